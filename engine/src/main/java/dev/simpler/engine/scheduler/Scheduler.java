package dev.simpler.engine.scheduler;

import static dev.simpler.engine.config.Configuration.COMPLETION_GROUP;
import static dev.simpler.engine.config.Configuration.LOOK_AHEAD;

import java.util.Arrays;

import org.agrona.collections.IntArrayList;

import dev.simpler.engine.idle.Waiter;

/**
 * Keeps the fields the workers read off whatever lies before the scheduler in memory.
 */
abstract class SchedulerLeadPadding
{
    /** Fills the word after the object header, so that no field of a subclass is placed there. */
    @SuppressWarnings("unused")
    private int o00;
    @SuppressWarnings("unused")
    private long o01;
    private long o02;
    private long o03;
    private long o04;
    private long o05;
    private long o06;
    private long o07;
    private long o08;
    private long o09;
    private long o10;
    private long o11;
    private long o12;
    private long o13;
    private long o14;
    private long o15;
    private long o16;
}

/**
 * What the worker threads read on every task, set when the scheduler is built and never written again; padded
 * on both sides, since whatever lies before the object in memory may be written per task.
 */
abstract class SchedulerSharedFields extends SchedulerLeadPadding
{
    final SlotTable slots;
    final ReadyQueue[] readyQueues;
    final CompletionQueue completions;
    final StagedSubmits stagedSubmits = new StagedSubmits();

    SchedulerSharedFields(final SlotTable slots, final ReadyQueue subQueue, final ReadyQueue nextLevelQueue)
    {
        this.slots = slots;
        this.readyQueues = new ReadyQueue[] {subQueue, nextLevelQueue};
        this.completions = new CompletionQueue(slots);
    }
}

/**
 * Keeps the fields the workers read off the line of the counters the orchestrating thread updates per task.
 */
abstract class SchedulerSharedPadding extends SchedulerSharedFields
{
    @SuppressWarnings("unused")
    private long p01;
    private long p02;
    private long p03;
    private long p04;
    private long p05;
    private long p06;
    private long p07;
    private long p08;
    private long p09;
    private long p10;
    private long p11;
    private long p12;
    private long p13;
    private long p14;
    private long p15;
    private long p16;

    SchedulerSharedPadding(final SlotTable slots, final ReadyQueue subQueue, final ReadyQueue nextLevelQueue)
    {
        super(slots, subQueue, nextLevelQueue);
    }
}

/**
 * Counters the orchestrating thread updates on every submit and retirement.
 */
abstract class SchedulerCounters extends SchedulerSharedPadding
{
    long epochs;
    int liveSlots;
    int unseenTasks;

    SchedulerCounters(final SlotTable slots, final ReadyQueue subQueue, final ReadyQueue nextLevelQueue)
    {
        super(slots, subQueue, nextLevelQueue);
    }
}

/**
 * Keeps those counters off whatever follows.
 */
abstract class SchedulerCountersPadding extends SchedulerCounters
{
    @SuppressWarnings("unused")
    private long q01;
    private long q02;
    private long q03;
    private long q04;
    private long q05;
    private long q06;
    private long q07;
    private long q08;
    private long q09;
    private long q10;
    private long q11;
    private long q12;
    private long q13;
    private long q14;
    private long q15;
    private long q16;

    SchedulerCountersPadding(final SlotTable slots, final ReadyQueue subQueue, final ReadyQueue nextLevelQueue)
    {
        super(slots, subQueue, nextLevelQueue);
    }
}

/**
 * Whether the orchestrating thread is waiting for completions: on a line of its own, which the workers read after
 * every task and the orchestrating thread writes only when it starts and stops waiting.
 */
abstract class SchedulerDemand extends SchedulerCountersPadding
{
    @SuppressWarnings("unused")
    volatile int completionsWanted;
    /** Fills the group to a multiple of 8 bytes, so that no field of a subclass is placed beside the flag. */
    @SuppressWarnings("unused")
    private int fillDemand;

    SchedulerDemand(final SlotTable slots, final ReadyQueue subQueue, final ReadyQueue nextLevelQueue)
    {
        super(slots, subQueue, nextLevelQueue);
    }
}

/**
 * Keeps that flag off whatever follows.
 */
abstract class SchedulerDemandPadding extends SchedulerDemand
{
    @SuppressWarnings("unused")
    private long r01;
    private long r02;
    private long r03;
    private long r04;
    private long r05;
    private long r06;
    private long r07;
    private long r08;
    private long r09;
    private long r10;
    private long r11;
    private long r12;
    private long r13;
    private long r14;
    private long r15;
    private long r16;

    SchedulerDemandPadding(final SlotTable slots, final ReadyQueue subQueue, final ReadyQueue nextLevelQueue)
    {
        super(slots, subQueue, nextLevelQueue);
    }
}

/**
 * The graph executor (SPEC §5): per-task state, release of consumers, retirement. It has no thread of its own,
 * so a hand-off costs one queue transfer and no more:
 * <ul>
 *   <li>the orchestrating thread claims slots, wires producers to consumers, seals tasks (publishing those with
 *       nothing to wait for), takes completions and retires tasks;</li>
 *   <li>the worker thread that finishes a task marks it COMPLETED, releases its consumers (publishing each one
 *       whose producers have all completed, or skipping it when one failed) and hands the slot to the
 *       orchestrating thread through the completion queue (a worker thread hands them back in groups of up to
 *       {@link dev.simpler.engine.config.Configuration#COMPLETION_GROUP}: when the group is full, before it
 *       waits for work, and after every task while
 *       the orchestrating thread waits for completions).</li>
 * </ul>
 * A task retires once it completed, every consumer wired to it completed, and its scope ended: each of those
 * holds one reference, counted by the orchestrating thread alone.
 *
 * <p>A task that completed successfully and holds no heap-ring slab gives up its scope's hold as soon as the
 * orchestrating thread sees it complete: nothing can observe the difference (a later task that names what it
 * wrote would not wait for it, and it keeps no memory alive), and its slot is reused while still hot in cache
 * instead of the run's live set growing with every submit. Tasks that failed or were skipped keep the hold, so
 * that later readers of what they should have written are skipped too; tasks with a slab keep it, so that the
 * memory stays valid until the scope ends. Only those join their scope's list (intrusive, through the slots),
 * so the common task costs no list work at all; each scope opening gets an epoch, which tells a task that
 * completes after its scope ended that the hold is already gone.
 *
 * <p>A stream of submits (THREAD mode) is staged: the tasks are wired among themselves without locks, since no
 * worker can see them yet, and published in batches, so that the orchestrating thread and the workers meet once
 * per batch instead of once per task. A batch goes out when it is full, before the orchestrating thread waits,
 * or, when the orchestrating thread left tasks staged and went on with user code, from an idle worker
 * ({@link #takeStaged}); batches go out one at a time, in submit order.
 */
public final class Scheduler extends SchedulerDemandPadding
{


    private RetireListener retireListener = slot -> { };
    private final RunReport report = new RunReport();
    private final IntArrayList skipScratch = new IntArrayList();
    private final IntArrayList takenScratch = new IntArrayList();
    private final StagedSubmits.Batch orchestratorBatch = new StagedSubmits.Batch();
    private int[] scopeHead = new int[0];
    private int[] scopeTail = new int[0];
    private long[] scopeEpoch = new long[0];

    /**
     * A scheduler over a slot table and one ready queue per task kind.
     *
     * @param slots          the slot table.
     * @param subQueue       ready queue of the sub workers.
     * @param nextLevelQueue ready queue of the next-level workers.
     */
    public Scheduler(final SlotTable slots, final ReadyQueue subQueue, final ReadyQueue nextLevelQueue)
    {
        super(slots, subQueue, nextLevelQueue);
    }

    /**
     * Set who is told of retirements: the owner of the last-writer map and the heap rings.
     *
     * @param listener the listener.
     */
    public void retireListener(final RetireListener listener)
    {
        retireListener = listener;
    }

    /**
     * The slot table.
     *
     * @return the table.
     */
    public SlotTable slots()
    {
        return slots;
    }

    /**
     * Set the waiter of the orchestrating thread, woken when a completion arrives.
     *
     * @param waiter the waiter, or null.
     */
    public void orchestratorWaiter(final Waiter waiter)
    {
        completions.consumerWaiter(waiter);
    }

    /**
     * Failures of the current run.
     *
     * @return the report, reset by {@link #startRun()}.
     */
    public RunReport report()
    {
        return report;
    }

    /**
     * Forget the previous run's failures.
     */
    public void startRun()
    {
        report.reset();
    }

    /**
     * Tasks claimed and not yet retired.
     *
     * @return live slot count.
     */
    public int liveSlots()
    {
        return liveSlots;
    }

    /**
     * Tasks claimed whose completion the orchestrating thread has not seen yet: submitted and not finished, or
     * finished and still in the completion queue.
     *
     * @return the count.
     */
    public int unseenTasks()
    {
        return unseenTasks;
    }

    // ---------------------------------------------------------------- orchestrating thread

    /**
     * Whether a slot can be claimed without growing the table.
     *
     * @return true when a retired slot is free.
     */
    public boolean hasFreeSlot()
    {
        return slots.hasFree();
    }

    /**
     * Free slots.
     *
     * @return how many tasks can be claimed before the table grows.
     */
    public int freeSlots()
    {
        return slots.freeCount();
    }

    /**
     * Claim a slot for a new task; it holds one reference for its scope and waits for nothing yet.
     *
     * @return the slot, in state PENDING.
     */
    public TaskSlot claim()
    {
        final TaskSlot slot = slots.claim();
        liveSlots++;
        unseenTasks++;
        slot.refCount = 1;
        slot.completionSeen = false;
        // Only what this thread owns, or what must read as fresh before the task is published, is reset here (the
        // consumers past the first, which only this thread writes, when there were any): the outcome is written
        // when the task completes, and the stack links when it is pushed, so the lines the workers write are not
        // pulled back.
        slot.use++;
        slot.wirePoisoned = false;
        if (slot.wiredConsumers > 1)
        {
            slot.consumers.clear();
        }
        slot.wiredConsumers = 0;
        slot.clearWiring();
        slot.slabRing = null;
        slot.slabId = -1;
        slot.scopeDepth = -1;
        slot.scopeListed = false;
        slot.stageSeq = -1;
        slot.wiredProducers = 0;
        return slot;
    }

    /**
     * Make {@code consumer} depend on the task in slot {@code producerIndex}, once. A producer that already
     * completed is not waited for but stays alive until the consumer completes; one that failed or was skipped
     * makes the consumer skipped.
     *
     * @param consumer      the task being submitted.
     * @param producerIndex slot of its producer.
     */
    public void dependOn(final TaskSlot consumer, final int producerIndex)
    {
        if (producerIndex == consumer.index || consumer.hasProducer(producerIndex))
        {
            return;
        }
        final TaskSlot producer = slots.get(producerIndex);
        if (producer.stageSeq >= 0)
        {
            // A staged producer is wired by whoever publishes the consumer: without a lock when both go out in
            // the same batch, through the lock when the producer went out before.
            consumer.addDeferred(producerIndex);
        }
        else
        {
            wireLocked(consumer, producer);
        }
        producer.refCount++;
        consumer.addProducer(producerIndex);
    }

    /**
     * Finish the submit of a task: from now on workers may run it. With nothing to wait for it is published
     * (or skipped, when a producer failed) at once.
     *
     * @param slot the task.
     */
    public void seal(final TaskSlot slot)
    {
        for (int i = 0, n = slot.deferredCount; i < n; i++)
        {
            wireLocked(slot, slots.get(slot.deferredAt(i)));
        }
        sealWired(slot, skipScratch);
        skipCascade(skipScratch);
    }

    /**
     * Stage a submitted task instead of sealing it: no worker can see it until its batch is published, by
     * {@link #publishStaged()} or by an idle worker ({@link #takeStaged}). The first task of a batch wakes the
     * workers of its kind, so that a parked worker can take the batch if the orchestrating thread leaves it.
     *
     * @param slot the task, wired.
     * @return how many tasks are staged and not published, this one included.
     */
    public long stage(final TaskSlot slot)
    {
        final long staged = stagedSubmits.stage(slot);
        if (staged == 1)
        {
            readyQueues[slot.kind].wakeWorkers();
        }
        return staged;
    }

    /**
     * Publish every staged task; the orchestrating thread does this when a batch is full and before it waits.
     */
    public void publishStaged()
    {
        if (!stagedSubmits.hasStaged())
        {
            return;
        }
        while (!stagedSubmits.tryLock())
        {
            // A worker is publishing a batch it took: a bounded amount of work.
            Thread.onSpinWait();
        }
        try
        {
            while (stagedSubmits.take(orchestratorBatch))
            {
                publishBatch(orchestratorBatch, skipScratch, true);
            }
        }
        finally
        {
            stagedSubmits.unlock();
        }
    }

    /**
     * Whether tasks are staged and not published.
     *
     * @return true when {@link #takeStaged} would find a batch.
     */
    public boolean hasStaged()
    {
        return stagedSubmits.hasStaged();
    }

    /**
     * How many tasks were staged so far, published or not: a count that moves while the orchestrating thread
     * stages, and stands still while it runs user code.
     *
     * @return the staged count, or 0 when nothing is staged and not published.
     */
    public long stagedCount()
    {
        return stagedSubmits.hasStaged() ? stagedSubmits.stagedTotal() : 0;
    }

    /**
     * Publish the staged tasks from a worker thread, when the orchestrating thread left them staged while it
     * runs user code.
     *
     * @param batch   the calling worker's batch holder.
     * @param scratch the calling worker's own work list.
     * @return true when this thread took and published a batch.
     */
    public boolean takeStaged(final StagedBatch batch, final IntArrayList scratch)
    {
        if (!stagedSubmits.tryLock())
        {
            return false;
        }
        try
        {
            if (!stagedSubmits.take(batch.batch))
            {
                return false;
            }
            publishBatch(batch.batch, scratch, false);
            return true;
        }
        finally
        {
            stagedSubmits.unlock();
        }
    }

    /**
     * A worker thread's holder for a staged batch it takes.
     */
    public static final class StagedBatch
    {
        private final StagedSubmits.Batch batch = new StagedSubmits.Batch();
    }

    /**
     * Make a claimed slot the completed pseudo-task of an {@code alloc}.
     *
     * @param slot the slot.
     */
    public void completeAlloc(final TaskSlot slot)
    {
        slot.kind = TaskSlot.KIND_ALLOC;
        slot.outcome = TaskSlot.OUTCOME_OK;
        slot.groupSize = 0;
        slot.markCompletedByOwner();
        slot.completionSeen = true;
        unseenTasks--;
    }

    /**
     * A scope opened at {@code depth}.
     *
     * @param depth the scope depth, 0 for the run's own scope.
     */
    public void openScope(final int depth)
    {
        if (depth >= scopeHead.length)
        {
            growScopes(depth + 1);
        }
        scopeEpoch[depth] = ++epochs;
        scopeHead[depth] = -1;
        scopeTail[depth] = -1;
    }

    /**
     * Put a claimed task under the hold of the scope at {@code depth}, which is open. A task with a heap-ring
     * slab joins the scope's list at once; any other joins it only if it fails or is skipped while the scope is
     * still open.
     *
     * @param slot  the task.
     * @param depth the scope depth.
     */
    public void holdInScope(final TaskSlot slot, final int depth)
    {
        slot.scopeDepth = depth;
        slot.scopeEpoch = scopeEpoch[depth];
        if (slot.slabRing != null)
        {
            linkIntoScope(slot);
        }
    }

    /**
     * The scope at {@code depth} ended: release its hold on every task in its list, in the order they joined.
     * Tasks not in the list drop the hold themselves when their completion is seen.
     *
     * @param depth the scope depth.
     */
    public void releaseScope(final int depth)
    {
        int index = scopeHead[depth];
        scopeEpoch[depth] = 0;
        scopeHead[depth] = -1;
        scopeTail[depth] = -1;
        while (index != -1)
        {
            final TaskSlot slot = slots.get(index);
            index = slot.scopeNext;
            slot.scopeDepth = -1;
            slot.refCount--;
            retireIfDone(slot);
        }
    }

    /**
     * Tell the worker threads whether the orchestrating thread waits for completions: while it does, each hands
     * back its group after every task instead of when the group is full. Called only when it changes (the
     * orchestrating thread keeps its own copy), so the workers' line is written twice per long wait at most.
     *
     * @param wanted true when the orchestrating thread starts waiting, false when it stops.
     */
    public void wantCompletions(final boolean wanted)
    {
        completionsWanted = wanted ? 1 : 0;
    }

    /**
     * Whether workers have handed back completed tasks that are not processed yet.
     *
     * @return true when {@link #processCompletions()} has work.
     */
    public boolean hasCompletions()
    {
        return !completions.isEmpty();
    }

    /**
     * Take every completion handed back so far: record failures, release producers, retire what can retire.
     *
     * @return how many completions were taken.
     */
    public int processCompletions()
    {
        // Gather first: a group's entries sit in its head's completion record, so the loads of the slots below
        // can overlap. An entry is the slot number of a task that succeeded, or its complement when the outcome
        // must be read from the slot.
        final IntArrayList taken = takenScratch;
        int index = completions.takeAll();
        while (index != -1)
        {
            final int[] record = slots.get(index).completionRecord;
            final int grouped = record[CompletionRecord.COUNT];
            if (grouped == 0)
            {
                taken.addInt(~index);
            }
            else
            {
                for (int i = CompletionRecord.ENTRIES, end = i + grouped; i < end; i++)
                {
                    taken.addInt(record[i]);
                }
            }
            index = record[CompletionRecord.NEXT];
        }
        final int count = taken.size();
        for (int i = 0; i < count; i++)
        {
            final int entry = taken.getInt(i);
            if (entry >= 0)
            {
                onCompletionSeen(slots.get(entry), TaskSlot.OUTCOME_OK);
            }
            else
            {
                final TaskSlot slot = slots.get(~entry);
                onCompletionSeen(slot, slot.outcome);
            }
        }
        taken.clear();
        return count;
    }

    // ---------------------------------------------------------------- worker threads

    /**
     * A member of a task finished on a worker. The last member to finish completes the task.
     *
     * @param slot    the task.
     * @param scratch the calling thread's own work list.
     */
    public void memberFinished(final TaskSlot slot, final IntArrayList scratch)
    {
        memberFinished(slot, scratch, null);
    }

    /**
     * A member of a task finished on a worker thread that can run one released consumer itself: the first
     * single task of the worker's own kind that the completion makes ready is handed to it directly instead of
     * going through the ready queue, so a chain runs on one thread without a queue hop per task.
     *
     * @param slot    the task.
     * @param scratch the calling thread's own work list.
     * @param handoff where a released consumer is handed over, or null.
     */
    public void memberFinished(final TaskSlot slot, final IntArrayList scratch, final Handoff handoff)
    {
        if (slot.groupSize > 1 && !slot.memberDone())
        {
            return;
        }
        int outcome = TaskSlot.OUTCOME_OK;
        for (int i = 0; i < slot.groupSize; i++)
        {
            if (slot.members[i].failed())
            {
                outcome = TaskSlot.OUTCOME_FAILED;
                break;
            }
        }
        complete(slot, outcome, scratch, handoff);
        skipCascade(scratch);
    }

    /**
     * Start loading the links of the tasks that follow this one in its batch, when it heads a group of them: a
     * worker running a chain reads those links next, and the orchestrating thread wrote them last, so they come
     * from the other core. Nothing waits for the loads here (each value only decides a branch that is never
     * taken), so the transfers overlap with one another and with the tasks instead of following each task.
     *
     * @param slot the task about to run.
     */
    public void loadAhead(final TaskSlot slot)
    {
        if (slot.aheadUse == slot.useInProgress())
        {
            touch(slot.ahead0);
            touch(slot.ahead1);
            touch(slot.ahead2);
            touch(slot.ahead3);
            touch(slot.ahead4);
            touch(slot.ahead5);
            touch(slot.ahead6);
            touch(slot.ahead7);
        }
    }

    private void touch(final int index)
    {
        if (index >= 0 && slots.get(index).closedProducersHint() < 0)
        {
            throw new IllegalStateException("slot " + index + " has a negative producer count");
        }
    }

    private static int aheadOf(final int[] taken, final int count, final int position)
    {
        return position < count ? taken[position] : -1;
    }

    /**
     * Hand back the completions a worker thread has collected, as one group: one push instead of one per task,
     * and the orchestrating thread reads their slot numbers from one array instead of following a link through
     * each slot. A worker thread calls this before it waits for work (and the group goes out by itself when
     * full), so a completion waits at most for the tasks its worker runs next without pause.
     *
     * @param handoff the worker thread's handoff, which holds its collected completions.
     */
    public void flushCompletions(final Handoff handoff)
    {
        final int count = handoff.completedCount;
        if (count == 0)
        {
            return;
        }
        final int first = handoff.completed[0];
        final TaskSlot head = slots.get(first >= 0 ? first : ~first);
        System.arraycopy(handoff.completed, 0, head.completionRecord, CompletionRecord.ENTRIES, count);
        head.completionRecord[CompletionRecord.COUNT] = count;
        handoff.completedCount = 0;
        completions.pushGroup(head);
    }

    /**
     * One released consumer a worker thread will run next itself. Owned by that worker thread.
     */
    public static final class Handoff
    {
        private final int kind;
        private int slot = -1;
        private final int[] completed = new int[COMPLETION_GROUP];
        private int completedCount;

        /**
         * A handoff for a worker of one kind.
         *
         * @param kind {@link TaskSlot#KIND_SUB} or {@link TaskSlot#KIND_NEXT_LEVEL}.
         */
        public Handoff(final int kind)
        {
            this.kind = kind;
        }

        /**
         * Take the handed-over task, if any.
         *
         * @return its slot index, or -1.
         */
        public int take()
        {
            final int taken = slot;
            slot = -1;
            return taken;
        }

        boolean accepts(final TaskSlot consumer)
        {
            return slot == -1 && !consumer.poisoned && consumer.kind == kind && consumer.groupSize == 1;
        }
    }

    // ---------------------------------------------------------------- internals

    private void wireLocked(final TaskSlot consumer, final TaskSlot producer)
    {
        producer.lock();
        try
        {
            if (!producer.isCompleted())
            {
                if (consumer.wiredProducers == 0)
                {
                    // Before the first producer can count it: the link may hold the count of an earlier use.
                    consumer.openProducers();
                }
                producer.addConsumer(consumer.index);
                consumer.wiredProducers++;
            }
            else if (producer.outcome != TaskSlot.OUTCOME_OK)
            {
                consumer.poisoned = true;
                consumer.wirePoisoned = true;
            }
        }
        finally
        {
            producer.unlock();
        }
    }

    private void sealWired(final TaskSlot slot, final IntArrayList skipped)
    {
        // With no producer wired, no other thread knows the task yet: it is ready without an atomic update.
        if (slot.wiredProducers == 0 || slot.unseal())
        {
            becameReady(slot, skipped);
        }
    }

    private void publishBatch(final StagedSubmits.Batch batch, final IntArrayList skipped, final boolean owner)
    {
        final int[] taken = batch.slots;
        final boolean[] closed = batch.closed;
        final int count = batch.count;
        // First the edges inside the batch, while no task of it is visible to any other thread: no lock needed.
        // A task whose producers are all in the batch (or that has none) is sealed here with a plain store:
        // nothing can count it down before its producers are published below.
        for (int i = 0; i < count; i++)
        {
            final TaskSlot consumer = slots.get(taken[i]);
            // Only this thread can have poisoned a task whose producers are all unpublished: its own flag tells.
            boolean inside = consumer.wiredProducers == 0 && !consumer.wirePoisoned;
            for (int j = 0, n = consumer.deferredCount; j < n; j++)
            {
                final TaskSlot producer = slots.get(consumer.deferredAt(j));
                if (producer.stageSeq >= batch.from)
                {
                    producer.addConsumer(consumer.index);
                    consumer.wiredProducers++;
                }
                else
                {
                    inside = false;
                }
            }
            closed[i] = inside;
            if (inside)
            {
                consumer.sealClosed();
            }
            else
            {
                // Before any producer of it is published (in-batch ones at the end of this batch, earlier ones
                // once wired below): the link may hold the count of an earlier use.
                consumer.openProducers();
            }
        }
        // Then, in submit order, the edges to tasks published before, and the seal that lets each task run. The
        // tasks found ready go out together at the end, one ring claim and one wake-up per kind.
        final IntArrayList[] ready = batch.ready;
        for (int i = 0; i < count; i++)
        {
            final TaskSlot consumer = slots.get(taken[i]);
            if (owner)
            {
                // Pass 1 wired every consumer this task has in the batch, and every task submitted so far is in
                // this batch or an earlier one: a task that is no longer the last writer of anything has all the
                // consumers it will get, and its worker can complete it without the lock. (A worker publishing
                // the batch cannot know that the orchestrating thread is not submitting meanwhile, so it leaves
                // them as they are.)
                consumer.finalIfReplaced();
            }
            if (closed[i])
            {
                if (consumer.wiredProducers == 0)
                {
                    ready[consumer.kind].addInt(consumer.index);
                }
                continue;
            }
            for (int j = 0, n = consumer.deferredCount; j < n; j++)
            {
                final TaskSlot producer = slots.get(consumer.deferredAt(j));
                if (producer.stageSeq < batch.from)
                {
                    wireLocked(consumer, producer);
                }
            }
            if (consumer.wiredProducers == 0 || consumer.unseal())
            {
                (consumer.poisoned ? skipped : ready[consumer.kind]).addInt(consumer.index);
            }
        }
        for (int i = 0; i < count; i += LOOK_AHEAD)
        {
            final TaskSlot head = slots.get(taken[i]);
            head.aheadUse = head.use;
            head.ahead0 = aheadOf(taken, count, i + 1);
            head.ahead1 = aheadOf(taken, count, i + 2);
            head.ahead2 = aheadOf(taken, count, i + 3);
            head.ahead3 = aheadOf(taken, count, i + 4);
            head.ahead4 = aheadOf(taken, count, i + 5);
            head.ahead5 = aheadOf(taken, count, i + 6);
            head.ahead6 = aheadOf(taken, count, i + 7);
            head.ahead7 = aheadOf(taken, count, i + 8);
        }
        for (int kind = 0; kind < ready.length; kind++)
        {
            readyQueues[kind].publishAll(ready[kind]);
        }
        skipCascade(skipped);
    }

    private void complete(final TaskSlot slot, final int outcome, final IntArrayList skipped, final Handoff handoff)
    {
        slot.outcome = outcome;
        final int current = slot.useInProgress();
        if (slot.consumersFinal(current))
        {
            // No consumer can be wired any more: nothing to exclude, and the line stays in this core.
            slot.markCompleted(current);
        }
        else
        {
            slot.lock();
            slot.markCompleted(current);
            slot.unlock();
        }
        final boolean poison = outcome != TaskSlot.OUTCOME_OK;
        // Frozen since COMPLETED was set under the lock (or since the consumers were final). The first consumer
        // sits in the link, so a chain reads no list at all; the rest are only read here: the orchestrating thread
        // empties the list when it claims the slot again.
        final int first = slot.firstConsumer(current);
        if (first != TaskSlot.NO_CONSUMER)
        {
            release(slots.get(first >= 0 ? first : ~first), poison, skipped, handoff);
            if (first < 0)
            {
                final IntArrayList more = slot.consumers;
                for (int i = 0, n = more.size(); i < n; i++)
                {
                    release(slots.get(more.getInt(i)), poison, skipped, handoff);
                }
            }
        }
        // Before the completion is handed back: the slot may be claimed again as soon as it is.
        slot.resetForNextUse();
        if (handoff != null)
        {
            handoff.completed[handoff.completedCount++] = CompletionRecord.entry(slot.index, outcome);
            if (handoff.completedCount == COMPLETION_GROUP || completionsWanted != 0)
            {
                flushCompletions(handoff);
            }
        }
        else
        {
            completions.push(slot);
        }
    }

    private void release(
        final TaskSlot consumer, final boolean poison, final IntArrayList skipped, final Handoff handoff)
    {
        if (poison)
        {
            consumer.poisoned = true;
        }
        if (consumer.producerDone())
        {
            if (handoff != null && handoff.accepts(consumer))
            {
                handoff.slot = consumer.index;
            }
            else
            {
                becameReady(consumer, skipped);
            }
        }
    }

    private void becameReady(final TaskSlot slot, final IntArrayList skipped)
    {
        if (slot.poisoned)
        {
            skipped.addInt(slot.index);
        }
        else
        {
            readyQueues[slot.kind].publish(slot);
        }
    }

    private void skipCascade(final IntArrayList skipped)
    {
        while (!skipped.isEmpty())
        {
            complete(slots.get(skipped.popInt()), TaskSlot.OUTCOME_SKIPPED, skipped, null);
        }
    }

    private void onCompletionSeen(final TaskSlot slot, final int outcome)
    {
        slot.completionSeen = true;
        unseenTasks--;
        if (outcome == TaskSlot.OUTCOME_FAILED)
        {
            for (int i = 0; i < slot.groupSize; i++)
            {
                if (slot.members[i].failed())
                {
                    report.failed(slot.index, slot.members[i]);
                    break;
                }
            }
        }
        else if (outcome == TaskSlot.OUTCOME_SKIPPED)
        {
            report.skipped();
        }
        for (int i = 0, n = slot.producerCount; i < n; i++)
        {
            final TaskSlot producer = slots.get(slot.producerAt(i));
            producer.refCount--;
            retireIfDone(producer);
        }
        slot.clearProducers();
        if (slot.scopeDepth >= 0 && !slot.scopeListed)
        {
            if (outcome == TaskSlot.OUTCOME_OK || scopeEpoch[slot.scopeDepth] != slot.scopeEpoch)
            {
                slot.scopeDepth = -1;
                slot.refCount--;
            }
            else
            {
                linkIntoScope(slot);
            }
        }
        retireIfDone(slot);
    }

    private void linkIntoScope(final TaskSlot slot)
    {
        final int depth = slot.scopeDepth;
        final int tail = scopeTail[depth];
        slot.scopeListed = true;
        slot.scopeNext = -1;
        if (tail == -1)
        {
            scopeHead[depth] = slot.index;
        }
        else
        {
            slots.get(tail).scopeNext = slot.index;
        }
        scopeTail[depth] = slot.index;
    }

    private void growScopes(final int depths)
    {
        final int old = scopeHead.length;
        scopeHead = Arrays.copyOf(scopeHead, depths);
        scopeTail = Arrays.copyOf(scopeTail, depths);
        scopeEpoch = Arrays.copyOf(scopeEpoch, depths);
        Arrays.fill(scopeHead, old, depths, -1);
        Arrays.fill(scopeTail, old, depths, -1);
    }

    private void retireIfDone(final TaskSlot slot)
    {
        if (slot.completionSeen && slot.refCount == 0)
        {
            retireListener.onRetire(slot);
            for (int i = 0; i < slot.groupSize; i++)
            {
                slot.members[i].release();
            }
            slots.release(slot);
            liveSlots--;
        }
    }
}
