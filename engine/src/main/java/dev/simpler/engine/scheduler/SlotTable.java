package dev.simpler.engine.scheduler;

/**
 * Keeps the chunks the workers read off whatever lies before the table in memory.
 */
abstract class SlotTableLeadPadding
{
    /** Fills the word after the object header, so that no field of a subclass is placed there. */
    @SuppressWarnings("unused")
    private int o00;
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long o01, o02, o03, o04, o05, o06, o07, o08, o09, o10, o11, o12, o13, o14, o15, o16;
}

/**
 * What the worker threads read to look a slot up; replaced only when the table grows.
 */
abstract class SlotTableChunks extends SlotTableLeadPadding
{
    volatile TaskSlot[][] chunks = new TaskSlot[0][];
    /** Fills the group to a multiple of 8 bytes, so that no field of a subclass is placed next to the chunks. */
    @SuppressWarnings("unused")
    private int fill;
}

/**
 * Keeps the chunks the workers read off the free set the orchestrating thread updates per task.
 */
abstract class SlotTableChunksPadding extends SlotTableChunks
{
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15, p16;
}

/**
 * The orchestrating thread's free set: one bit per slot, set while the slot is free, in an array padded at both
 * ends (the array is an object of its own, and whatever lies next to it in memory is not written on every claim).
 */
abstract class SlotTableFreeList extends SlotTableChunksPadding
{
    /**
     * Longs of padding at each end of the free bits: two cache lines, the pair the adjacent-line prefetcher fetches
     * together.
     */
    static final int BITS_PADDING = 16;

    long[] freeBits = new long[2 * BITS_PADDING];
    /** No free bit lies in a word below this one. */
    int lowestFreeWord;
    int freeCount;
    int capacity;
    /** Claims so far: numbers each claimed task uniquely among all tasks of the table ({@link TaskSlot#claim}). */
    long claims;
}

/**
 * Keeps the free set off whatever follows.
 */
abstract class SlotTableFreeListPadding extends SlotTableFreeList
{
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16;
}

/**
 * Every task slot, in chunks of {@value #CHUNK_SIZE} that are allocated once and reused. The table grows by
 * whole chunks when every slot is live (a run may hold any number of tasks until its scope ends), up to
 * {@link #MAX_SLOTS}; the orchestrating thread paces itself rather than grow the table for tasks that are merely
 * in flight (see {@code GraphBuilder}).
 *
 * <p>Single writer: the orchestrating thread claims and releases slots and grows the table. Worker threads
 * only look slots up, by an index they received through a ready queue, which happens after the growth that
 * created the slot was published.
 */
public final class SlotTable extends SlotTableFreeListPadding
{
    /** Slots per chunk. */
    public static final int CHUNK_SIZE = dev.simpler.engine.config.Configuration.SLOT_CHUNK_SIZE;
    /** Most live tasks an engine holds at once. */
    public static final int MAX_SLOTS = 1 << 22;

    private static final int CHUNK_SHIFT = Integer.numberOfTrailingZeros(CHUNK_SIZE);
    private static final int CHUNK_MASK = CHUNK_SIZE - 1;

    /**
     * A table with one chunk.
     */
    public SlotTable()
    {
        grow();
    }

    /**
     * Look a slot up.
     *
     * @param index slot number.
     * @return the slot.
     */
    public TaskSlot get(final int index)
    {
        return chunks[index >>> CHUNK_SHIFT][index & CHUNK_MASK];
    }

    /**
     * Slots the table holds now, live or free.
     *
     * @return capacity.
     */
    public int capacity()
    {
        return capacity;
    }

    /**
     * Whether a slot is free.
     *
     * @return true when {@link #claim()} will not grow the table.
     */
    boolean hasFree()
    {
        return freeCount > 0;
    }

    /**
     * Free slots.
     *
     * @return how many slots {@link #claim()} can hand out before the table grows.
     */
    int freeCount()
    {
        return freeCount;
    }

    /**
     * Take the free slot with the lowest number, growing the table when none is free.
     *
     * <p>The lowest rather than the last one freed: the slots in use then stay the lowest numbers, few and close
     * together, and tasks submitted one after another mostly take neighbouring slots. Their links lie four to a
     * line ({@link SlotLinks}), so the orchestrating thread writes, and the worker that completes them reads, about
     * one line per four tasks of a chain; with the last slot freed taken first, the slots of consecutive tasks
     * drifted into an arbitrary order of the same few dozen, and every task's links took a line of their own.
     *
     * @return the slot.
     * @throws IllegalStateException when {@link #MAX_SLOTS} tasks are live.
     */
    TaskSlot claim()
    {
        if (freeCount == 0)
        {
            grow();
        }
        int word = lowestFreeWord;
        long bits;
        while ((bits = freeBits[BITS_PADDING + word]) == 0)
        {
            word++;
        }
        lowestFreeWord = word;
        freeBits[BITS_PADDING + word] = bits & (bits - 1);
        freeCount--;
        final TaskSlot slot = get((word << 6) + Long.numberOfTrailingZeros(bits));
        slot.claim = ++claims;
        return slot;
    }

    /**
     * Give a retired slot back.
     *
     * @param slot the slot.
     */
    void release(final TaskSlot slot)
    {
        final int index = slot.index;
        final int word = index >>> 6;
        freeBits[BITS_PADDING + word] |= 1L << index;
        freeCount++;
        if (word < lowestFreeWord)
        {
            lowestFreeWord = word;
        }
    }

    private void grow()
    {
        if (capacity + CHUNK_SIZE > MAX_SLOTS)
        {
            throw new IllegalStateException("too many live tasks: " + capacity + " task slots are in use (limit "
                + MAX_SLOTS + "); close scopes so that finished tasks retire");
        }
        final TaskSlot[][] old = chunks;
        final TaskSlot[][] grown = new TaskSlot[old.length + 1][];
        System.arraycopy(old, 0, grown, 0, old.length);
        final TaskSlot[] chunk = new TaskSlot[CHUNK_SIZE];
        final int[] links = SlotLinks.newArray(CHUNK_SIZE);
        for (int i = 0; i < CHUNK_SIZE; i++)
        {
            chunk[i] = new TaskSlot(capacity + i, links, SlotLinks.offset(i));
        }
        grown[old.length] = chunk;
        chunks = grown;
        final long[] grownBits = new long[BITS_PADDING + ((capacity + CHUNK_SIZE) >>> 6) + BITS_PADDING];
        System.arraycopy(freeBits, BITS_PADDING, grownBits, BITS_PADDING, capacity >>> 6);
        freeBits = grownBits;
        // A chunk is a whole number of words: every bit of the new ones is free.
        for (int word = capacity >>> 6, end = (capacity + CHUNK_SIZE) >>> 6; word < end; word++)
        {
            freeBits[BITS_PADDING + word] = -1L;
        }
        freeCount += CHUNK_SIZE;
        capacity += CHUNK_SIZE;
    }
}
