package dev.simpler.engine.scheduler;

/**
 * The layout of a slot's completion record: an int array that a worker thread fills when the slot heads a group
 * of completions it hands back, and that the orchestrating thread reads when it takes them. The record lives in
 * its own array, padded at both ends, so that taking a group reads one line the worker wrote and no other, and
 * the entries carry each task's outcome so that the orchestrating thread need not read the slot's shared line.
 *
 * <p>An entry is a slot number when the task succeeded, or its complement ({@code ~index}, negative) when the
 * orchestrating thread must read the outcome from the slot.
 */
final class CompletionRecord
{
    /**
     * Ints of padding at each end: two cache lines, the pair the adjacent-line prefetcher fetches together.
     */
    private static final int PADDING = 32;
    /** How many entries the group holds; 0 when only the slot itself completed, outcome in the slot. */
    static final int COUNT = PADDING;
    /** The next slot number in the completion stack, or -1. */
    static final int NEXT = PADDING + 1;
    /** The first entry. */
    static final int ENTRIES = PADDING + 2;
    /** Length of the array. */
    static final int LENGTH = ENTRIES + dev.simpler.engine.config.Configuration.COMPLETION_GROUP + PADDING;

    private CompletionRecord()
    {
    }

    /**
     * The entry for a completed task.
     *
     * @param index   the slot number.
     * @param outcome one of the {@code TaskSlot.OUTCOME_} constants.
     * @return the entry.
     */
    static int entry(final int index, final int outcome)
    {
        return outcome == TaskSlot.OUTCOME_OK ? index : ~index;
    }
}
