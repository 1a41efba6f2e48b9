package dev.simpler.engine.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import org.agrona.collections.IntArrayList;

import dev.simpler.engine.idle.Waiter;

/**
 * The ready queue of one worker type (SPEC §5): an LMAX Disruptor {@link RingBuffer} of (slot, member) entries
 * shared by the workers of that type as a work queue. Every worker claims the next unclaimed sequence from a
 * shared work sequence, then waits until it is published; its own gating sequence keeps producers from
 * overwriting the entry it claimed. A group of N is published as N consecutive entries, so the N members go to
 * the next N workers that claim.
 *
 * <p>Producers are the orchestrating thread (tasks ready at submit) and any worker thread (consumers released
 * by a completion). A producer never blocks: when the ring is full the task goes to an intrusive overflow stack
 * that the workers move back into the ring as they drain it.
 */
public final class ReadyQueue
{
    private static final int EMPTY = -1;
    private static final VarHandle OVERFLOW_HEAD;

    static
    {
        try
        {
            OVERFLOW_HEAD = MethodHandles.lookup().findVarHandle(ReadyQueue.class, "overflowHead", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** One ready queue entry: a task slot and the group member to run. */
    static final class Entry
    {
        int slot;
        int member;
    }

    private final SlotTable slots;
    private final RingBuffer<Entry> ring;
    private final Sequence workSequence = new Sequence(-1);
    @SuppressWarnings("unused")
    private volatile int overflowHead = EMPTY;
    private Waiter[] waiters = new Waiter[0];

    /**
     * An empty queue.
     *
     * @param slots    the slot table the entries refer to.
     * @param capacity ring entries, a power of two.
     */
    public ReadyQueue(final SlotTable slots, final int capacity)
    {
        this.slots = slots;
        // Workers wait through their own Waiter, never through the ring, so the ring's wait strategy only matters
        // for the signal every publish sends: the busy-spin strategy's signal does nothing (the default blocking
        // strategy would take a lock and notifyAll on every publish).
        this.ring = RingBuffer.createMultiProducer(Entry::new, capacity, new BusySpinWaitStrategy());
    }

    /**
     * Register the consumers; called once before any task is published.
     *
     * @param consumerSequences one gating sequence per worker of this type.
     * @param consumerWaiters   the workers' waiters, woken on publish.
     */
    public void consumers(final Sequence[] consumerSequences, final Waiter[] consumerWaiters)
    {
        ring.addGatingSequences(consumerSequences);
        waiters = consumerWaiters.clone();
    }

    /**
     * Claim the next entry for a worker. The entry may not be published yet: wait with {@link #isAvailable}.
     *
     * @param consumer the worker's gating sequence.
     * @return the claimed sequence.
     */
    public long claim(final Sequence consumer)
    {
        long current;
        do
        {
            current = workSequence.get();
            consumer.set(current);
        }
        while (!workSequence.compareAndSet(current, current + 1));
        return current + 1;
    }

    /**
     * Whether the next unclaimed entry is published, or tasks wait in the overflow stack. A consumer that claims
     * only when this holds does not sit on a claimed entry while idle; exact when no other consumer of this queue
     * claims concurrently (PROCESS-mode children are stepped one at a time).
     *
     * @return true when a claim now would find work.
     */
    public boolean hasUnclaimedWork()
    {
        return ring.isAvailable(workSequence.get() + 1) || hasOverflow();
    }

    /**
     * The group size of the task a claim would get next; exact when no other consumer of this queue claims
     * concurrently (PROCESS-mode children are stepped one at a time).
     *
     * @return its group size (1 for a single task), or 0 when no entry is published beyond the claimed ones
     *         (tasks in the overflow stack count once a consumer moved them into the ring).
     */
    public int nextUnclaimedGroupSize()
    {
        final long next = workSequence.get() + 1;
        return ring.isAvailable(next) ? slots.get(ring.get(next).slot).groupSize : 0;
    }

    /**
     * Entries claimed by producers and not yet claimed by a worker: a gauge for the counters file, read from any
     * thread (two volatile reads of lines the producers and consumers write, so not on a hot path). A group of N
     * counts N; tasks waiting in the overflow stack are not counted.
     *
     * @return the depth, 0 or more.
     */
    public long depth()
    {
        return Math.max(0, ring.getCursor() - workSequence.get());
    }

    /**
     * Whether a claimed entry has been published.
     *
     * @param sequence the claimed sequence.
     * @return true when it can be read.
     */
    public boolean isAvailable(final long sequence)
    {
        return ring.isAvailable(sequence);
    }

    /**
     * Slot of a published entry.
     *
     * @param sequence a published sequence.
     * @return slot index.
     */
    public int slotAt(final long sequence)
    {
        return ring.get(sequence).slot;
    }

    /**
     * Group member of a published entry.
     *
     * @param sequence a published sequence.
     * @return member index.
     */
    public int memberAt(final long sequence)
    {
        return ring.get(sequence).member;
    }

    /**
     * Publish a ready task: one entry per member, consecutive.
     *
     * @param slot the task.
     */
    void publish(final TaskSlot slot)
    {
        publishOrOverflow(slot);
        Waiter.wakeAll(waiters);
    }

    /**
     * Publish again a single task that a worker claimed and could not run because it died before it took the task,
     * so that another worker of the queue runs it.
     *
     * @param slot the task, of one member.
     */
    public void requeue(final TaskSlot slot)
    {
        if (slot.groupSize != 1)
        {
            throw new IllegalArgumentException("only a single task can be published again: slot " + slot.index
                + " is a group of " + slot.groupSize);
        }
        publish(slot);
    }

    /**
     * Publish tasks together: one claim of the ring for all their entries and one wake-up, instead of one of
     * each per task. Falls back to one at a time when the ring has no room for all of them.
     *
     * @param ready slot numbers of ready tasks of this queue's kind, in order; emptied.
     */
    void publishAll(final IntArrayList ready)
    {
        final int count = ready.size();
        if (count == 0)
        {
            return;
        }
        int members = 0;
        for (int i = 0; i < count; i++)
        {
            members += slots.get(ready.getInt(i)).groupSize;
        }
        long hi = -1;
        try
        {
            hi = ring.tryNext(members);
        }
        catch (final InsufficientCapacityException ex)
        {
            for (int i = 0; i < count; i++)
            {
                publishOrOverflow(slots.get(ready.getInt(i)));
            }
        }
        if (hi >= 0)
        {
            final long lo = hi - members + 1;
            long sequence = lo;
            for (int i = 0; i < count; i++)
            {
                final TaskSlot slot = slots.get(ready.getInt(i));
                for (int m = 0, n = slot.groupSize; m < n; m++)
                {
                    final Entry entry = ring.get(sequence++);
                    entry.slot = slot.index;
                    entry.member = m;
                }
            }
            ring.publish(lo, hi);
        }
        ready.clear();
        Waiter.wakeAll(waiters);
    }

    /**
     * Whether tasks wait in the overflow stack.
     *
     * @return true when {@link #drainOverflow()} has work.
     */
    public boolean hasOverflow()
    {
        return (int)OVERFLOW_HEAD.getAcquire(this) != EMPTY;
    }

    /**
     * Move overflowed tasks into the ring while it has room.
     */
    public void drainOverflow()
    {
        int index = (int)OVERFLOW_HEAD.getAndSet(this, EMPTY);
        boolean moved = false;
        while (index != EMPTY)
        {
            final TaskSlot slot = slots.get(index);
            index = slot.nextOverflow;
            if (tryPublish(slot))
            {
                moved = true;
            }
            else
            {
                pushOverflow(slot);
            }
        }
        if (moved)
        {
            Waiter.wakeAll(waiters);
        }
    }

    /**
     * What a consumer does while the entry it claimed is not published yet: move overflowed tasks into the ring,
     * where its entry may be among them. The one sequence every consumer of the queue follows, worker thread or
     * child.
     *
     * @param sequence the consumer's claimed sequence.
     * @return 1 when the entry is published, or when overflowed tasks were moved (look again); 0 when there is
     *         nothing to do but wait.
     */
    public int pollClaimed(final long sequence)
    {
        if (isAvailable(sequence))
        {
            return 1;
        }
        if (hasOverflow())
        {
            drainOverflow();
            return 1;
        }
        return 0;
    }

    /**
     * Count a consumer in as a member of the group it took, and wake the other members' consumers when it is the
     * last: the members run on distinct consumers at the same time.
     *
     * @param group the group's slot.
     * @return true when every member is taken now.
     */
    public boolean joinGroup(final TaskSlot group)
    {
        if (group.claimMember() == group.groupSize)
        {
            wakeWorkers();
            return true;
        }
        return false;
    }

    /**
     * Wake every parked worker of this type, e.g. when a group becomes fully claimed.
     */
    public void wakeWorkers()
    {
        Waiter.wakeAll(waiters);
    }

    private void publishOrOverflow(final TaskSlot slot)
    {
        if (!tryPublish(slot))
        {
            pushOverflow(slot);
        }
    }

    private boolean tryPublish(final TaskSlot slot)
    {
        final int members = slot.groupSize;
        final long hi;
        try
        {
            hi = ring.tryNext(members);
        }
        catch (final InsufficientCapacityException ex)
        {
            return false;
        }
        final long lo = hi - members + 1;
        for (int i = 0; i < members; i++)
        {
            final Entry entry = ring.get(lo + i);
            entry.slot = slot.index;
            entry.member = i;
        }
        ring.publish(lo, hi);
        return true;
    }

    private void pushOverflow(final TaskSlot slot)
    {
        int current;
        do
        {
            current = (int)OVERFLOW_HEAD.getAcquire(this);
            slot.nextOverflow = current;
        }
        while (!OVERFLOW_HEAD.compareAndSet(this, current, slot.index));
    }
}
