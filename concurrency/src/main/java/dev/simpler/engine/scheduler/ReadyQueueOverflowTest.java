package dev.simpler.engine.scheduler;

import com.lmax.disruptor.Sequence;
import org.agrona.collections.IntArrayList;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIIII_Result;

import dev.simpler.engine.idle.Waiter;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The ready queue's overflow: a ring of two entries, full, while two threads publish past its capacity and a
 * worker thread drains it. The orchestrating thread publishes a batch of two ({@link ReadyQueue#publishAll}, which
 * falls back to one at a time when the ring has no room for both); the worker thread publishes a consumer it
 * released ({@link ReadyQueue#publish}), then claims entries as {@code WorkerThread} does, moving overflowed tasks
 * into the ring ({@link ReadyQueue#drainOverflow()}) whenever its claimed entry is not published. Tasks that find
 * the ring full wait in the overflow stack, and may be taken off it and pushed back by the drain while the other
 * producer pushes: every task must come out of the ring exactly once.
 *
 * <p>The worker gives up when nothing arrives for a while (an actor must finish); the arbiter then drains the
 * rest as the same worker, single-threaded. Results: times each of the five tasks was claimed, and how many the
 * worker claimed while the producers ran (at least the two that filled the ring, mostly all five).
 */
@JCStressTest
@Outcome(id = {"1, 1, 1, 1, 1, 3", "1, 1, 1, 1, 1, 4", "1, 1, 1, 1, 1, 5"}, expect = ACCEPTABLE,
    desc = "Every task claimed once.")
@Outcome(id = "1, 1, 1, 1, 1, 2", expect = ACCEPTABLE,
    desc = "Every task claimed once; the worker gave up on an entry that a producer had claimed, not published.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "A task lost or claimed twice.")
@State
public class ReadyQueueOverflowTest
{
    private static final int CAPACITY = 2;
    private static final int TASKS = 5;
    /** Idle rounds after which the worker gives up: far more than the producers' few stores take. */
    private static final int PATIENCE = 1 << 12;
    private static final long NOTHING_CLAIMED = Long.MIN_VALUE;

    private final ReadyQueue queue = new ReadyQueue(SharedSlots.table(), CAPACITY);
    private final Sequence workerSequence = new Sequence();
    private final TaskSlot[] slots = SharedSlots.claimSlots(TASKS);
    private final IntArrayList batch = new IntArrayList();
    private final int[] claims = new int[TASKS];
    private long claimed = NOTHING_CLAIMED;

    /**
     * The queue with its one worker registered, and the ring filled by two tasks published before.
     */
    public ReadyQueueOverflowTest()
    {
        queue.consumers(new Sequence[] {workerSequence}, new Waiter[0]);
        queue.publish(slots[0]);
        queue.publish(slots[1]);
        batch.addInt(slots[2].index);
        batch.addInt(slots[3].index);
    }

    /**
     * The orchestrating thread publishes the tasks of a batch that are ready.
     */
    @Actor
    public void orchestrator()
    {
        queue.publishAll(batch);
    }

    /**
     * A worker thread publishes a consumer that a completion released, then works through the queue.
     *
     * @param r r6: tasks it claimed.
     */
    @Actor
    public void worker(final IIIIII_Result r)
    {
        queue.publish(slots[4]);
        r.r6 = drain(PATIENCE);
    }

    /**
     * The worker goes on once the producers are done, then the results are read.
     *
     * @param r r1..r5: times each task was claimed.
     */
    @Arbiter
    public void arbiter(final IIIIII_Result r)
    {
        drain(0);
        r.r1 = claims[0];
        r.r2 = claims[1];
        r.r3 = claims[2];
        r.r4 = claims[3];
        r.r5 = claims[4];
        SharedSlots.release(slots);
    }

    /**
     * Claim entries as {@code WorkerThread} does until every task was claimed, or nothing arrived for a while.
     *
     * @param patience idle rounds before giving up.
     * @return tasks claimed.
     */
    private int drain(final int patience)
    {
        int taken = 0;
        int idle = 0;
        while (total() < TASKS)
        {
            if (claimed == NOTHING_CLAIMED)
            {
                claimed = queue.claim(workerSequence);
            }
            if (queue.isAvailable(claimed))
            {
                count(queue.slotAt(claimed));
                claimed = NOTHING_CLAIMED;
                taken++;
                idle = 0;
            }
            else if (queue.hasOverflow())
            {
                queue.drainOverflow();
            }
            else if (idle++ < patience)
            {
                Thread.onSpinWait();
            }
            else
            {
                break;
            }
        }
        return taken;
    }

    private int total()
    {
        int total = 0;
        for (final int count : claims)
        {
            total += count;
        }
        return total;
    }

    private void count(final int index)
    {
        for (int i = 0; i < TASKS; i++)
        {
            if (slots[i].index == index)
            {
                claims[i]++;
                return;
            }
        }
        throw new IllegalStateException("claimed slot " + index + ", which no producer published");
    }
}
