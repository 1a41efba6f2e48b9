package dev.simpler.engine.scheduler;

import static dev.simpler.engine.config.Configuration.COMPLETION_GROUP;

import org.agrona.collections.IntArrayList;

/**
 * Keeps a completing thread's own fields off the lines of whatever the collector placed before its context.
 */
abstract class WorkerContextLeadPadding
{
    @SuppressWarnings("unused")
    private int o00;
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long o01, o02, o03, o04, o05, o06, o07, o08, o09, o10, o11, o12, o13, o14, o15, o16;
}

/**
 * What the completing thread writes on every task: the consumer handed to it and the completions it collected.
 */
abstract class WorkerContextFields extends WorkerContextLeadPadding
{
    /**
     * Ints of padding at each end of {@link #completed}, written on every task: the array's own neighbours are
     * wherever the collector put them.
     */
    static final int COMPLETED_BASE = 16;

    final IntArrayList scratch = new IntArrayList();
    final StagedSubmits.Batch stagedBatch = new StagedSubmits.Batch();
    /** Whether this thread collects completions into groups and runs a consumer its completion releases. */
    final boolean handsOff;
    final int kind;
    int handoffSlot = -1;
    /** The completions collected for one hand-back, from {@link #COMPLETED_BASE}. */
    final int[] completed;
    int completedCount;

    WorkerContextFields(final int kind, final boolean handsOff)
    {
        this.kind = kind;
        this.handsOff = handsOff;
        this.completed = new int[handsOff ? COMPLETED_BASE + COMPLETION_GROUP + COMPLETED_BASE : 0];
    }
}

/**
 * What one thread that completes tasks owns while it does so: its work list, the consumer a completion handed to
 * it, the completions it collected for one hand-back, and its holder for a staged batch it publishes.
 *
 * <p>Owned by one thread: a worker thread (its own context), the holder of the PROCESS-mode driving lock (the
 * children's contexts), or the orchestrating thread (the context it skips tasks with).
 */
public final class WorkerContext extends WorkerContextFields
{
    private static final int NO_KIND = -1;

    // Laid out right after the fields above, so that no other object's field shares their last line.
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16;

    private WorkerContext(final int kind, final boolean handsOff)
    {
        super(kind, handsOff);
    }

    /**
     * The context of a worker thread: it runs a released consumer of its own kind itself and hands completions
     * back in groups.
     *
     * @param kind {@link TaskSlot#KIND_SUB} or {@link TaskSlot#KIND_NEXT_LEVEL}.
     * @return the context.
     */
    public static WorkerContext forWorkerThread(final int kind)
    {
        return new WorkerContext(kind, true);
    }

    /**
     * The context of a thread that completes tasks one by one: it hands each completion back as it happens and
     * makes every released consumer ready for any worker.
     *
     * @return the context.
     */
    public static WorkerContext oneByOne()
    {
        return new WorkerContext(NO_KIND, false);
    }

    /**
     * Take the consumer a completion handed to this thread, if any.
     *
     * @return its slot index, or -1.
     */
    public int takeHandoff()
    {
        final int taken = handoffSlot;
        handoffSlot = -1;
        return taken;
    }

    boolean accepts(final TaskSlot consumer)
    {
        return handoffSlot == -1 && !consumer.poisoned && consumer.kind == kind && consumer.groupSize == 1;
    }
}
