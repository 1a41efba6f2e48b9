package dev.simpler.engine.scheduler;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIIII_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Staged submits: the orchestrating thread stages two more tasks behind two it left staged, and publishes
 * ({@link Scheduler#stage}, {@link Scheduler#publishStaged()}), while an idle worker thread takes the staged batch
 * ({@link BatchPublisher#takeStaged}). Batches are taken whole under the publishing lock and published before it is
 * let go, so every staged task reaches the ready queue exactly once, in the order it was staged, whichever thread
 * took which part.
 *
 * <p>Results: the position of each of the four tasks in the ready queue (-1 when missing, -2 when published more
 * than once), whether the worker took a batch, and whether all four tasks retired once they ran.
 */
@JCStressTest
@Outcome(id = "0, 1, 2, 3, 0, 1", expect = ACCEPTABLE, desc = "The orchestrating thread published all four, in order.")
@Outcome(id = "0, 1, 2, 3, 1, 1", expect = ACCEPTABLE, desc = "The worker took a batch; all four in order.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "A staged task lost, published twice, or out of order.")
@State
public class StagedPublishVersusTakeTest
{
    private static final int TASKS = 4;

    private final Scheduler scheduler = SharedSlots.newScheduler();
    private final WorkerContext worker = WorkerContext.oneByOne();
    private final TaskSlot[] tasks = new TaskSlot[TASKS];

    /**
     * Four independent tasks claimed; the first two submitted and staged, as {@code GraphBuilder} does in a
     * stream of submits.
     */
    public StagedPublishVersusTakeTest()
    {
        for (int i = 0; i < TASKS; i++)
        {
            tasks[i] = SharedSlots.claimTask(scheduler, i);
        }
        submit(tasks[0]);
        submit(tasks[1]);
    }

    /**
     * The orchestrating thread submits two more, then publishes what is staged, as it does before it waits.
     */
    @Actor
    public void orchestrator()
    {
        submit(tasks[2]);
        submit(tasks[3]);
        scheduler.publishStaged();
    }

    /**
     * An idle worker thread finds tasks staged and publishes them.
     *
     * @param r r5: whether it took a batch.
     */
    @Actor
    public void worker(final IIIIII_Result r)
    {
        r.r5 = scheduler.publisher().takeStaged(worker) ? 1 : 0;
    }

    /**
     * Read the ready queue, then run the tasks and retire them.
     *
     * @param r r1..r4: positions; r6: whether all retired.
     */
    @Arbiter
    public void arbiter(final IIIIII_Result r)
    {
        r.r1 = position(tasks[0]);
        r.r2 = position(tasks[1]);
        r.r3 = position(tasks[2]);
        r.r4 = position(tasks[3]);
        for (final TaskSlot task : tasks)
        {
            scheduler.completer().memberFinished(task, worker, false);
        }
        r.r6 = SharedSlots.retire(scheduler) ? 1 : 0;
    }

    private void submit(final TaskSlot task)
    {
        scheduler.holdInScope(task, 0);
        task.noteWhetherRecorded();
        scheduler.stage(task);
    }

    private int position(final TaskSlot task)
    {
        final ReadyQueue queue = scheduler.readyQueues[TaskSlot.KIND_SUB];
        int position = -1;
        for (int sequence = 0, n = SharedSlots.published(scheduler); sequence < n; sequence++)
        {
            if (queue.slotAt(sequence) == task.index)
            {
                position = position == -1 ? sequence : -2;
            }
        }
        return position;
    }
}
