package dev.simpler.engine.scheduler;

import org.agrona.collections.IntArrayList;

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
public final class SlotTable
{
    /** Slots per chunk. */
    public static final int CHUNK_SIZE = 1024;
    /** Most live tasks an engine holds at once. */
    public static final int MAX_SLOTS = 1 << 22;

    private static final int CHUNK_SHIFT = Integer.numberOfTrailingZeros(CHUNK_SIZE);
    private static final int CHUNK_MASK = CHUNK_SIZE - 1;

    private volatile TaskSlot[][] chunks = new TaskSlot[0][];
    private final IntArrayList freeSlots = new IntArrayList();
    private int capacity;

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
        return !freeSlots.isEmpty();
    }

    /**
     * Free slots.
     *
     * @return how many slots {@link #claim()} can hand out before the table grows.
     */
    int freeCount()
    {
        return freeSlots.size();
    }

    /**
     * Take a free slot, growing the table when none is free.
     *
     * @return the slot.
     * @throws IllegalStateException when {@link #MAX_SLOTS} tasks are live.
     */
    TaskSlot claim()
    {
        if (freeSlots.isEmpty())
        {
            grow();
        }
        return get(freeSlots.popInt());
    }

    /**
     * Give a retired slot back.
     *
     * @param slot the slot.
     */
    void release(final TaskSlot slot)
    {
        freeSlots.addInt(slot.index);
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
        for (int i = 0; i < CHUNK_SIZE; i++)
        {
            chunk[i] = new TaskSlot(capacity + i);
        }
        grown[old.length] = chunk;
        chunks = grown;
        for (int i = CHUNK_SIZE - 1; i >= 0; i--)
        {
            freeSlots.addInt(capacity + i);
        }
        capacity += CHUNK_SIZE;
    }
}
