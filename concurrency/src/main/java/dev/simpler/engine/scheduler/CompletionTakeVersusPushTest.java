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
 * The completion queue: the orchestrating thread takes the stack ({@link CompletionQueue#takeAll()}) while a
 * worker thread hands back a group, then a single completion. The take gets the stack as it was at one point:
 * nothing, the group, or both, and reads the group's record as the worker wrote it before the push (a record read
 * stale would show too few entries or wrong ones); what it did not get stays for the next take.
 *
 * <p>Results: completions the concurrent take found, completions the next take found, and anomalies (duplicates,
 * or entries never handed back).
 */
@JCStressTest
@Outcome(id = "0, 3, 0", expect = ACCEPTABLE, desc = "Taken before the first push.")
@Outcome(id = "2, 1, 0", expect = ACCEPTABLE, desc = "Taken between the pushes: the group, whole.")
@Outcome(id = "3, 0, 0", expect = ACCEPTABLE, desc = "Taken after both pushes.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "A completion lost, found twice, or found with stale entries.")
@State
public class CompletionTakeVersusPushTest
{
    private final TaskSlot[] slots = SharedSlots.claimSlots(3);
    private final Completions completions =
        new Completions(slots, slots[0].index, ~slots[1].index, ~slots[2].index);

    /**
     * A worker thread hands back a group (the second task failed), then a single completion.
     */
    @Actor
    public void worker()
    {
        completions.handBack(slots[0], slots[0].index, ~slots[1].index);
        completions.push(slots[2]);
    }

    /**
     * The orchestrating thread takes what was handed back so far.
     *
     * @param r r1: completions found.
     */
    @Actor
    public void orchestrator(final III_Result r)
    {
        r.r1 = completions.takeAll();
    }

    /**
     * The orchestrating thread's next take.
     *
     * @param r r2: completions found; r3: anomalies over both takes.
     */
    @Arbiter
    public void arbiter(final III_Result r)
    {
        r.r2 = completions.takeAll();
        r.r3 = completions.anomalies();
        completions.release();
    }
}
