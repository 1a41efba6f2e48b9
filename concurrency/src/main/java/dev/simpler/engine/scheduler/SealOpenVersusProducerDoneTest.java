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
 * Producer counts and seal: the worker thread that completes the only producer of a task races the orchestrating
 * thread that seals the task ({@link TaskSlot#producerDone()} against {@link TaskSlot#sealOpen()}). The task was
 * wired while its producer ran, so its count goes down by the wired producers at the seal and up by one per
 * completed producer: exactly one of the two threads sees it reach zero and makes the task ready. The producer
 * failed, and its worker marked the consumer poisoned before counting: the thread that makes the task ready must
 * see that, or it would run a task that should be skipped.
 *
 * <p>Results: the worker made the task ready, the orchestrating thread made it ready, and the one that did saw
 * the poison (-1 when neither did).
 */
@JCStressTest
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "Sealed first: the worker counted the last producer.")
@Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "Producer counted first: the seal made the task ready.")
@Outcome(id = "0, 0, -1", expect = FORBIDDEN, desc = "Neither made the task ready: it would never run.")
@Outcome(id = {"1, 1, 0", "1, 1, 1"}, expect = FORBIDDEN, desc = "Both made the task ready: it would run twice.")
@Outcome(id = {"1, 0, 0", "0, 1, 0"}, expect = FORBIDDEN, desc = "Made ready without seeing the failure.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "Any other result.")
@State
public class SealOpenVersusProducerDoneTest
{
    private final int[] links = SlotLinks.newArray(2);
    private final TaskSlot producer = new TaskSlot(0, links, SlotLinks.offset(0));
    private final TaskSlot consumer = new TaskSlot(1, links, SlotLinks.offset(1));

    /**
     * Both slots claimed once, and the consumer wired to its running producer, as the orchestrating thread does
     * in {@code Scheduler.claim} and {@code Scheduler.dependOn}.
     */
    public SealOpenVersusProducerDoneTest()
    {
        producer.use = 1;
        consumer.use = 1;
        producer.lock();
        consumer.openProducers();
        producer.addConsumer(consumer.index);
        consumer.wiredProducers++;
        producer.unlock();
    }

    /**
     * The worker thread that ran the producer completes it, as {@code Scheduler.complete} and
     * {@code Scheduler.release} do: COMPLETED under the lock, then each consumer poisoned and counted.
     *
     * @param r r1: this thread made the consumer ready; r3: it saw the poison.
     */
    @Actor
    public void worker(final III_Result r)
    {
        final int current = producer.useInProgress();
        producer.lock();
        producer.markCompleted(current);
        producer.unlock();
        if (producer.firstConsumer(current) == consumer.index)
        {
            consumer.poisoned = true;
            if (consumer.producerDone())
            {
                r.r1 = 1;
                r.r3 = consumer.poisoned ? 1 : 0;
            }
        }
    }

    /**
     * The orchestrating thread seals the consumer, as {@code Scheduler.seal} does for a task with wired producers.
     *
     * @param r r2: this thread made the consumer ready; r3: it saw the poison.
     */
    @Actor
    public void orchestrator(final III_Result r)
    {
        if (consumer.sealOpen())
        {
            r.r2 = 1;
            r.r3 = consumer.poisoned ? 1 : 0;
        }
    }

    /**
     * Neither thread made the consumer ready: mark the poison result as not applicable.
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
}
