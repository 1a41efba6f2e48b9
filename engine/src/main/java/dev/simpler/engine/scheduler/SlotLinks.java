package dev.simpler.engine.scheduler;

/**
 * The layout of the links of a chunk of slots: one int array per chunk of the slot table, four ints per slot,
 * that only the orchestrating thread stores into and only worker threads read. A slot's link tells what the
 * orchestrating thread decided about one use of it beyond its description: its first consumer, how many producers
 * it was sealed with, and whether its consumers are final.
 *
 * <p>The links sit apart from the slots, four to a cache line, because the orchestrating thread rewrites a link
 * for nearly every task it publishes (an independent task's seal, a chain's consumer, the final mark), and the
 * worker that ran the slot's previous task still holds that line: each store has to take the line back first.
 * In a line of its own per slot that cost one transfer per task each way; packed, the tasks of a batch, which
 * mostly take slots that retired together and so lie side by side, share the transfers. Values that could be
 * stale from an earlier use are tagged with the use they belong to (the producer count is rewritten before any
 * producer can count the task), so the orchestrating thread resets nothing at retirement and the workers never
 * write a link.
 */
final class SlotLinks
{
    /**
     * Ints of padding at each end of the array: two cache lines, the pair the adjacent-line prefetcher fetches
     * together.
     */
    private static final int PADDING = 32;
    /** Ints per slot. */
    private static final int INTS = 4;

    /** The use of the slot whose first consumer {@link #FIRST_CONSUMER} names; in any other it has none yet. */
    static final int CONSUMER_USE = 0;
    /**
     * The first consumer wired to the task; its complement ({@code ~index}) once more are in the slot's consumer
     * list, which only the orchestrating thread writes.
     */
    static final int FIRST_CONSUMER = 1;
    /**
     * For a task sealed before any of its producers was published, how many producers it waits for; 0 for any
     * other task that waits for producers. Written before any producer can count the task down.
     */
    static final int CLOSED_PRODUCERS = 2;
    /** The use of the slot whose consumers are final: no consumer can be wired to it any more. Release/acquire. */
    static final int FINAL_USE = 3;

    private SlotLinks()
    {
    }

    /**
     * The link array of a chunk of slots.
     *
     * @param slots slots in the chunk.
     * @return the array, padded at both ends.
     */
    static int[] newArray(final int slots)
    {
        return new int[PADDING + slots * INTS + PADDING];
    }

    /**
     * Where a slot's link starts in its chunk's array.
     *
     * @param slotInChunk the slot's position in its chunk.
     * @return the index of its first int.
     */
    static int offset(final int slotInChunk)
    {
        return PADDING + slotInChunk * INTS;
    }
}
