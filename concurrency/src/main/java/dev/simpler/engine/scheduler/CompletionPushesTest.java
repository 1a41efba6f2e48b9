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
 * The completion queue: two worker threads hand completions back at the same time, each a group
 * ({@link CompletionQueue#pushGroup}) and a single one ({@link CompletionQueue#push}), in opposite orders. Their
 * pushes meet on the stack's head; none may be lost, and the orchestrating thread, taking the stack afterwards,
 * finds every completion once with the entries written before its push.
 *
 * <p>Results: completions found of the first worker's group (2) and single one (1), of the second worker's single
 * one (1) and group (2), and anomalies (duplicates, or entries never handed back).
 */
@JCStressTest
@Outcome(id = "2, 1, 1, 2, 0", expect = ACCEPTABLE, desc = "Every completion found once.")
@Outcome(id = ".*", expect = FORBIDDEN, desc = "A completion lost, found twice, or found with stale entries.")
@State
public class CompletionPushesTest
{
    private final TaskSlot[] slots = SharedSlots.claimSlots(6);
    private final Completions completions = new Completions(slots,
        slots[0].index, ~slots[1].index, ~slots[2].index, ~slots[3].index, slots[4].index, slots[5].index);

    /**
     * A worker thread hands back a group (the second task failed), then a single completion.
     */
    @Actor
    public void firstWorker()
    {
        completions.handBack(slots[0], slots[0].index, ~slots[1].index);
        completions.push(slots[2]);
    }

    /**
     * Another worker thread hands back a single completion, then a group.
     */
    @Actor
    public void secondWorker()
    {
        completions.push(slots[3]);
        completions.handBack(slots[4], slots[4].index, slots[5].index);
    }

    /**
     * The orchestrating thread takes the stack.
     *
     * @param r the results.
     */
    @Arbiter
    public void arbiter(final IIIII_Result r)
    {
        completions.takeAll();
        r.r1 = completions.seen(0, 1);
        r.r2 = completions.seen(2, 2);
        r.r3 = completions.seen(3, 3);
        r.r4 = completions.seen(4, 5);
        r.r5 = completions.anomalies();
        completions.release();
    }
}
