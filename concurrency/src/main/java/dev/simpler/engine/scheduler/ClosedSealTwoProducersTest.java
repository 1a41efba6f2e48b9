package dev.simpler.engine.scheduler;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Producer counts of a task sealed closed ({@link TaskSlot#sealClosed()}): its two producers were in its batch,
 * so the orchestrating thread wired it without the lock and wrote the count it waits for before any producer was
 * published, and the count goes up from zero. The two worker threads that complete the producers (without the
 * lock: their consumers are final) count concurrently, and exactly one of them reaches the sealed count. The
 * first producer failed, and its worker marked the consumer poisoned before counting: whichever worker makes the
 * task ready must see that.
 *
 * <p>Results: the first worker made the task ready, the second did, and the one that did saw the poison (-1 when
 * neither did).
 */
@JCStressTest
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "The worker of the failed producer counted last.")
@Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "The other worker counted last and saw the failure.")
@Outcome(id = "0, 0, -1", expect = FORBIDDEN, desc = "Neither made the task ready: it would never run.")
@Outcome(id = {"1, 1, 0", "1, 1, 1"}, expect = FORBIDDEN, desc = "Both made the task ready: it would run twice.")
@Outcome(id = "0, 1, 0", expect = FORBIDDEN, desc = "Made ready without seeing the failure.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "Any other result.")
@State
public class ClosedSealTwoProducersTest
{
    private final int[] links = SlotLinks.newArray(3);
    private final TaskSlot failed = new TaskSlot(0, links, SlotLinks.offset(0));
    private final TaskSlot succeeded = new TaskSlot(1, links, SlotLinks.offset(1));
    private final TaskSlot consumer = new TaskSlot(2, links, SlotLinks.offset(2));

    /**
     * The three slots claimed once ({@code Scheduler.claim}), and the batch wired and sealed as
     * {@code Scheduler.publishBatch} does for a consumer whose producers are all in it: edges without the lock, the
     * closed count, and the producers' consumers final since they are the last writer of nothing.
     */
    public ClosedSealTwoProducersTest()
    {
        failed.use = 1;
        succeeded.use = 1;
        consumer.use = 1;
        failed.addConsumer(consumer.index);
        consumer.wiredProducers++;
        succeeded.addConsumer(consumer.index);
        consumer.wiredProducers++;
        consumer.sealClosed();
        failed.finalIfReplaced();
        succeeded.finalIfReplaced();
    }

    /**
     * The worker thread that ran the failed producer completes it.
     *
     * @param r r1: this thread made the consumer ready; r3: it saw the poison.
     */
    @Actor
    public void failedWorker(final III_Result r)
    {
        if (complete(failed, true))
        {
            r.r1 = 1;
            r.r3 = consumer.poisoned ? 1 : 0;
        }
    }

    /**
     * The worker thread that ran the other producer completes it.
     *
     * @param r r2: this thread made the consumer ready; r3: it saw the poison.
     */
    @Actor
    public void succeededWorker(final III_Result r)
    {
        if (complete(succeeded, false))
        {
            r.r2 = 1;
            r.r3 = consumer.poisoned ? 1 : 0;
        }
    }

    /**
     * Neither worker made the consumer ready: mark the poison result as not applicable.
     *
     * @param r the results.
     */
    @Arbiter
    public void arbiter(final III_Result r)
    {
        if (r.r1 == 0 && r.r2 == 0)
        {
            r.r3 = -1;
        }
    }

    /**
     * Complete a producer as {@code Scheduler.complete} and {@code Scheduler.release} do.
     *
     * @param producer the producer.
     * @param poison   whether it failed.
     * @return true when this made the consumer ready.
     */
    private boolean complete(final TaskSlot producer, final boolean poison)
    {
        final int current = producer.useInProgress();
        if (producer.consumersFinal(current))
        {
            producer.markCompleted(current);
        }
        else
        {
            producer.lock();
            producer.markCompleted(current);
            producer.unlock();
        }
        if (producer.firstConsumer(current) != consumer.index)
        {
            return false;
        }
        if (poison)
        {
            consumer.poisoned = true;
        }
        return consumer.producerDone();
    }
}
