package dev.simpler.remote.node;

/**
 * The node's staging memory (one shared tensor of its L3 Worker, so PROCESS-mode children see it), cut into the
 * blocks of tasks in flight and the sessions' slots: first fit over a sorted table of the extents in use. Few
 * extents are ever in use (one slot and at most one block per session), so a linear table beats a tree here and
 * allocates nothing.
 *
 * <p>Single writer: the node conductor.
 */
final class StagingArena
{
    private static final long UNIT = 64;

    private final long base;
    private final long capacity;
    private final long[] starts;
    private final long[] ends;
    private int count;
    private long bytesInUse;

    /**
     * An arena over {@code [base, base + capacity)}.
     *
     * @param base       first byte, aligned to 64.
     * @param capacity   bytes.
     * @param maxExtents most extents in use at once.
     */
    StagingArena(final long base, final long capacity, final int maxExtents)
    {
        this.base = base;
        this.capacity = capacity;
        this.starts = new long[maxExtents];
        this.ends = new long[maxExtents];
    }

    /**
     * Reserve bytes.
     *
     * @param bytes how many (0 is rounded up to one unit).
     * @return the address of the first, or -1 when no gap is large enough now.
     */
    long allocate(final long bytes)
    {
        if (count == starts.length)
        {
            return -1;
        }
        final long size = Math.max(UNIT, (bytes + UNIT - 1) & ~(UNIT - 1));
        long gapStart = base;
        for (int i = 0; i <= count; i++)
        {
            final long gapEnd = i < count ? starts[i] : base + capacity;
            if (gapEnd - gapStart >= size)
            {
                System.arraycopy(starts, i, starts, i + 1, count - i);
                System.arraycopy(ends, i, ends, i + 1, count - i);
                starts[i] = gapStart;
                ends[i] = gapStart + size;
                count++;
                bytesInUse += size;
                return gapStart;
            }
            if (i < count)
            {
                gapStart = ends[i];
            }
        }
        return -1;
    }

    /**
     * Give back what {@link #allocate} returned.
     *
     * @param address the address.
     * @throws IllegalStateException when it is not in use (a bug).
     */
    void free(final long address)
    {
        int low = 0;
        int high = count - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            if (starts[mid] < address)
            {
                low = mid + 1;
            }
            else if (starts[mid] > address)
            {
                high = mid - 1;
            }
            else
            {
                bytesInUse -= ends[mid] - starts[mid];
                System.arraycopy(starts, mid + 1, starts, mid, count - mid - 1);
                System.arraycopy(ends, mid + 1, ends, mid, count - mid - 1);
                count--;
                return;
            }
        }
        throw new IllegalStateException("staging address 0x" + Long.toHexString(address) + " is not in use");
    }

    /**
     * Bytes of the arena.
     *
     * @return the capacity.
     */
    long capacity()
    {
        return capacity;
    }

    /**
     * Bytes reserved now, rounded up to units.
     *
     * @return bytes in use.
     */
    long bytesInUse()
    {
        return bytesInUse;
    }

    /**
     * Extents reserved now.
     *
     * @return the count.
     */
    int extentsInUse()
    {
        return count;
    }
}
