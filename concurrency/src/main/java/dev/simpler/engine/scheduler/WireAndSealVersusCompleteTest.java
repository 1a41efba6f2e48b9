package dev.simpler.engine.scheduler;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Producer counts and seal through the scheduler: the orchestrating thread submits a consumer of a running task
 * ({@link Scheduler#dependOn} then {@link Scheduler#seal}) while the worker thread that ran that task completes it
 * ({@link Completer#memberFinished(TaskSlot, WorkerContext, boolean)}). The wiring and the completion
 * meet under the producer's lock, then the seal's count and the worker's count meet in the consumer's producer
 * count: the consumer becomes ready exactly once, published by the seal or handed to the worker that counted
 * last, and both tasks retire once they ran.
 *
 * <p>Results: times the consumer was published, times it was handed to the worker, whether it was wired to the
 * producer (0 when the producer had completed before), and whether both tasks retired.
 */
@JCStressTest
@Outcome(id = "1, 0, 0, 1", expect = ACCEPTABLE, desc = "The producer completed before the wiring; the seal published.")
@Outcome(id = "1, 0, 1, 1", expect = ACCEPTABLE, desc = "Wired; the seal counted last and published.")
@Outcome(id = "0, 1, 1, 1", expect = ACCEPTABLE, desc = "Wired; the worker counted last and kept the consumer.")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "The consumer never became ready.")
@Outcome(id = {"1, 1, .*", "2, .*"}, expect = FORBIDDEN, desc = "The consumer became ready twice.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "Any other result.")
@State
public class WireAndSealVersusCompleteTest
{
    /** The address the producer writes and the consumer reads. */
    private static final long ADDRESS = 0x1000;

    private final Scheduler scheduler = SharedSlots.newScheduler();
    private final WorkerContext worker = WorkerContext.forWorkerThread(TaskSlot.KIND_SUB);
    private final TaskSlot producer;
    private final TaskSlot consumer;

    /**
     * The producer submitted, sealed and so published (a worker thread took it and ran it), and the consumer's
     * slot claimed, as {@code GraphBuilder} does.
     */
    public WireAndSealVersusCompleteTest()
    {
        producer = SharedSlots.claimTask(scheduler, 1);
        producer.addWrittenRange(ADDRESS, ADDRESS + Long.BYTES);
        producer.addLastWrite();
        scheduler.holdInScope(producer, 0);
        producer.noteWhetherRecorded();
        scheduler.seal(producer);
        consumer = SharedSlots.claimTask(scheduler, 2);
    }

    /**
     * The orchestrating thread finishes the consumer's submit: it reads what the producer writes.
     */
    @Actor
    public void orchestrator()
    {
        scheduler.dependOn(consumer, producer);
        scheduler.holdInScope(consumer, 0);
        consumer.noteWhetherRecorded();
        scheduler.seal(consumer);
    }

    /**
     * The worker thread that ran the producer finishes it.
     */
    @Actor
    public void worker()
    {
        scheduler.completer().memberFinished(producer, worker, false);
    }

    /**
     * Read where the consumer went, then run it and retire both tasks.
     *
     * @param r the results.
     */
    @Arbiter
    public void arbiter(final IIII_Result r)
    {
        r.r1 = SharedSlots.timesPublished(scheduler, consumer);
        final int handed = worker.takeHandoff();
        r.r2 = handed == consumer.index ? 1 : handed == -1 ? 0 : -1;
        r.r3 = consumer.wiredProducers;
        scheduler.completer().memberFinished(consumer, worker, false);
        scheduler.completer().flushCompletions(worker);
        r.r4 = SharedSlots.retire(scheduler) ? 1 : 0;
    }
}
