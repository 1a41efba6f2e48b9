package dev.simpler.engine.scheduler;

/**
 * The slot table that every state of a test shares, and the few things the tests do with it. A table of its own
 * per state would cost a chunk of {@value SlotTable#CHUNK_SIZE} slots (about 2 MB, and 5 ms to build) per sample,
 * while jcstress keeps thousands of states alive at once; the shared table grows to hold their slots, and a slot
 * is reused once its state retired it.
 *
 * <p>In the engine only the orchestrating thread claims and releases slots. Here jcstress builds and retires
 * states from its actor threads, so slots are claimed and given back under this class's lock, from constructors
 * and arbiters only: no actor takes the lock, so it orders nothing inside a race.
 */
final class SharedSlots
{
    /** Entries of each ready queue of a test's scheduler: more than a test ever publishes, so it never wraps. */
    static final int READY_CAPACITY = 16;

    private static final SlotTable TABLE = new SlotTable();

    private SharedSlots()
    {
    }

    /**
     * The shared table, for structures that only look slots up in it.
     *
     * @return the table.
     */
    static SlotTable table()
    {
        return TABLE;
    }

    /**
     * Slots for a test of a queue, which only reads their number and group size and links them.
     *
     * @param count how many.
     * @return single tasks (group size 1), in claim order.
     */
    static synchronized TaskSlot[] claimSlots(final int count)
    {
        final TaskSlot[] slots = new TaskSlot[count];
        for (int i = 0; i < count; i++)
        {
            slots[i] = TABLE.claim();
            slots[i].describe(TaskSlot.KIND_SUB, i, null, 1);
        }
        return slots;
    }

    /**
     * Give back the slots of {@link #claimSlots(int)}.
     *
     * @param slots the slots.
     */
    static synchronized void release(final TaskSlot... slots)
    {
        for (final TaskSlot slot : slots)
        {
            TABLE.release(slot);
        }
    }

    /**
     * A scheduler over the shared table, with a ready queue per kind that no worker drains (the tests read what
     * was published), and the run's scope open.
     *
     * @return the scheduler.
     */
    static Scheduler newScheduler()
    {
        final Scheduler scheduler = new Scheduler(
            TABLE, new ReadyQueue(TABLE, READY_CAPACITY), new ReadyQueue(TABLE, READY_CAPACITY), new RunLedger(1));
        scheduler.runs().begin(null);
        scheduler.openScope(0);
        return scheduler;
    }

    /**
     * Claim a slot for a single task of the sub workers, as the orchestrating thread does for a submit.
     *
     * @param scheduler the test's scheduler.
     * @param callable  any value; the tests never call it.
     * @return the slot.
     */
    static synchronized TaskSlot claimTask(final Scheduler scheduler, final long callable)
    {
        final TaskSlot slot = scheduler.claim();
        slot.describe(TaskSlot.KIND_SUB, callable, null, 1);
        return slot;
    }

    /**
     * Take the completions the workers handed back and retire what can retire, as the orchestrating thread does.
     *
     * @param scheduler the test's scheduler.
     * @return true when every task the scheduler claimed has retired.
     */
    static synchronized boolean retire(final Scheduler scheduler)
    {
        scheduler.processCompletions();
        return scheduler.liveSlots() == 0;
    }

    /**
     * How many entries of the sub workers' ready queue are published, counted from the first: no worker claims
     * them, and a test publishes fewer than the ring holds.
     *
     * @param scheduler the test's scheduler.
     * @return the count.
     */
    static int published(final Scheduler scheduler)
    {
        final ReadyQueue queue = scheduler.readyQueues[TaskSlot.KIND_SUB];
        int count = 0;
        while (count < READY_CAPACITY && queue.isAvailable(count))
        {
            count++;
        }
        return count;
    }

    /**
     * How many times a task was published to the sub workers' ready queue.
     *
     * @param scheduler the test's scheduler.
     * @param slot      the task.
     * @return the number of its entries.
     */
    static int timesPublished(final Scheduler scheduler, final TaskSlot slot)
    {
        final ReadyQueue queue = scheduler.readyQueues[TaskSlot.KIND_SUB];
        int times = 0;
        for (int sequence = 0, n = published(scheduler); sequence < n; sequence++)
        {
            if (queue.slotAt(sequence) == slot.index)
            {
                times++;
            }
        }
        return times;
    }
}
