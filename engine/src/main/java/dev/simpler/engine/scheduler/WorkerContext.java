package dev.simpler.engine.scheduler;

import static dev.simpler.engine.config.Configuration.COMPLETION_GROUP;

import org.agrona.collections.IntArrayList;

/**
 * What one thread that completes tasks owns while it does so: its work list, the consumer a completion handed to
 * it, the completions it collected for one hand-back, and its holder for a staged batch it publishes.
 *
 * <p>Owned by one thread: a worker thread (its own context), the holder of the PROCESS-mode driving lock (the
 * children's contexts), or the orchestrating thread (the context it skips tasks with).
 */
public final class WorkerContext
{
    private static final int NO_KIND = -1;

    final IntArrayList scratch = new IntArrayList();
    final StagedSubmits.Batch stagedBatch = new StagedSubmits.Batch();
    /** Whether this thread collects completions into groups and runs a consumer its completion releases. */
    final boolean handsOff;
    private final int kind;
    int handoffSlot = -1;
    final int[] completed;
    int completedCount;

    private WorkerContext(final int kind, final boolean handsOff)
    {
        this.kind = kind;
        this.handsOff = handsOff;
        this.completed = new int[handsOff ? COMPLETION_GROUP : 0];
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
