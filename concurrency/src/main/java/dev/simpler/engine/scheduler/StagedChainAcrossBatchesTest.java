package dev.simpler.engine.scheduler;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Staged submits with dependencies: a chain of three tasks (each reads what the one before writes) is staged
 * while an idle worker thread takes the staged batch, so the chain may be split between batches anywhere. An edge
 * inside a batch is wired without the lock and its consumer sealed closed ({@link TaskSlot#sealClosed()}); an
 * edge to a task of an earlier batch is wired through that task's lock when the consumer's batch is published.
 * Either way only the head of the chain is ready at first, and running the chain makes each task ready exactly
 * once, after the one before.
 *
 * <p>Results: tasks in the ready queue before any ran, tasks in it once the chain ran, whether they came in chain
 * order, how many edges were wired across a batch boundary (the worker takes at most one batch, so at most one
 * edge crosses), and whether all three retired.
 */
@JCStressTest
@Outcome(id = "1, 3, 1, 0, 1", expect = ACCEPTABLE, desc = "The chain went out in one batch.")
@Outcome(id = "1, 3, 1, 1, 1", expect = ACCEPTABLE, desc = "The chain was split between two batches.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "A task ready too early, never, or twice.")
@State
public class StagedChainAcrossBatchesTest
{
    /** What the first task writes and the second reads, and what the second writes and the third reads. */
    private static final long FIRST_OUTPUT = 0x1000;
    private static final long SECOND_OUTPUT = 0x2000;

    private final Scheduler scheduler = SharedSlots.newScheduler();
    private final WorkerContext worker = WorkerContext.oneByOne();
    private final TaskSlot first;
    private final TaskSlot second;
    private final TaskSlot third;

    /**
     * Three tasks claimed; the first submitted and staged, as {@code GraphBuilder} does in a stream of submits.
     */
    public StagedChainAcrossBatchesTest()
    {
        first = SharedSlots.claimTask(scheduler, 1);
        second = SharedSlots.claimTask(scheduler, 2);
        third = SharedSlots.claimTask(scheduler, 3);
        write(first, FIRST_OUTPUT);
        submit(first);
    }

    /**
     * The orchestrating thread submits the rest of the chain, then publishes what is staged.
     */
    @Actor
    public void orchestrator()
    {
        scheduler.dependOn(second, first);
        write(second, SECOND_OUTPUT);
        submit(second);
        scheduler.dependOn(third, second);
        submit(third);
        scheduler.publishStaged();
    }

    /**
     * An idle worker thread finds tasks staged and publishes them.
     */
    @Actor
    public void worker()
    {
        scheduler.publisher().takeStaged(worker);
    }

    /**
     * Read the ready queue, then run what is ready, in queue order, until nothing more becomes ready, and retire.
     *
     * @param r the results.
     */
    @Arbiter
    public void arbiter(final IIIII_Result r)
    {
        final ReadyQueue queue = scheduler.readyQueues[TaskSlot.KIND_SUB];
        r.r1 = SharedSlots.published(scheduler);
        // A task sealed closed holds the count of its producers in its link; one wired through the lock holds 0.
        r.r4 = (second.closedProducersHint() == 0 ? 1 : 0) + (third.closedProducersHint() == 0 ? 1 : 0);
        // Running a task publishes the consumers it makes ready, behind the entries already read.
        final TaskSlot[] chain = {first, second, third};
        boolean inOrder = true;
        int ran = 0;
        while (ran < SharedSlots.published(scheduler))
        {
            final TaskSlot task = scheduler.slots().get(queue.slotAt(ran));
            inOrder &= ran < chain.length && task == chain[ran];
            scheduler.completer().memberFinished(task, worker, false);
            ran++;
        }
        r.r2 = ran;
        r.r3 = inOrder ? 1 : 0;
        r.r5 = SharedSlots.retire(scheduler) ? 1 : 0;
    }

    private static void write(final TaskSlot task, final long address)
    {
        task.addWrittenRange(address, address + Long.BYTES);
        task.addLastWrite();
    }

    private void submit(final TaskSlot task)
    {
        scheduler.holdInScope(task, 0);
        task.noteWhetherRecorded();
        scheduler.stage(task);
    }
}
