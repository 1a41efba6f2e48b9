package dev.simpler.engine.memory;

import org.agrona.concurrent.status.AtomicCounter;

import dev.simpler.engine.counters.EngineCounters;

/**
 * A bump allocator over one shared mapping with FIFO reclamation (SPEC §4). Slabs are carved at the head and
 * returned in allocation order: freeing a slab that is not the oldest live one only marks it, and the tail
 * advances over every freed slab at the front when the oldest one is freed.
 *
 * <p>It publishes the bytes in use (not free for allocation, {@code size - freeBytes()}) in a counter of the
 * Worker's counters file whenever a slab is carved or freed (SPEC §14).
 *
 * <p>Single writer: only the thread that owns the task graph (the one in {@code Worker.run}) calls it.
 */
public final class HeapRing
{
    /** Every slab starts on a multiple of this many bytes. */
    public static final int ALIGNMENT = 1024;

    private final int index;
    private final long baseAddress;
    private final long size;
    private final AtomicCounter bytesInUse;

    private long head;
    private long tail;
    private int liveSlabs;

    private long oldestSlabId;
    private long nextSlabId;
    private long[] slabStart = new long[64];
    private long[] slabEnd = new long[64];
    private boolean[] slabFreed = new boolean[64];
    private Object[] slabOwner = new Object[64];

    /**
     * A ring over {@code [baseAddress, baseAddress + size)} whose bytes in use nobody else sees.
     *
     * @param index       ring number, 0..3, for messages.
     * @param baseAddress first byte, aligned to {@link #ALIGNMENT}.
     * @param size        bytes, a multiple of {@link #ALIGNMENT}.
     */
    public HeapRing(final int index, final long baseAddress, final long size)
    {
        this(index, baseAddress, size, EngineCounters.unpublishedCounter());
    }

    /**
     * A ring over {@code [baseAddress, baseAddress + size)}.
     *
     * @param index       ring number, 0..3, for messages.
     * @param baseAddress first byte, aligned to {@link #ALIGNMENT}.
     * @param size        bytes, a multiple of {@link #ALIGNMENT}.
     * @param bytesInUse  where the ring publishes its bytes in use; this ring is its only writer.
     */
    public HeapRing(final int index, final long baseAddress, final long size, final AtomicCounter bytesInUse)
    {
        if ((baseAddress & (ALIGNMENT - 1)) != 0 || (size & (ALIGNMENT - 1)) != 0 || size <= 0)
        {
            throw new IllegalArgumentException("heap ring base and size must be positive multiples of "
                + ALIGNMENT + ": base=0x" + Long.toHexString(baseAddress) + ", size=" + size);
        }
        this.index = index;
        this.baseAddress = baseAddress;
        this.size = size;
        this.bytesInUse = bytesInUse;
    }

    /**
     * Round a request up to whole aligned units (at least one, so every slab has its own address).
     *
     * @param bytes requested bytes.
     * @return bytes the slab occupies.
     */
    public static long alignedSize(final long bytes)
    {
        final long atLeastOne = Math.max(bytes, 1);
        return (atLeastOne + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /**
     * Ring number.
     *
     * @return 0..3.
     */
    public int index()
    {
        return index;
    }

    /**
     * Capacity.
     *
     * @return bytes.
     */
    public long size()
    {
        return size;
    }

    /**
     * Address of the first byte of the ring.
     *
     * @return the base address.
     */
    public long baseAddress()
    {
        return baseAddress;
    }

    /**
     * Bytes not held by live slabs (not all of them may be contiguous).
     *
     * @return free bytes.
     */
    public long freeBytes()
    {
        if (liveSlabs == 0)
        {
            return size;
        }
        if (head > tail)
        {
            return (size - head) + tail;
        }
        return tail - head;
    }

    /**
     * Number of slabs not yet reclaimed.
     *
     * @return live slab count.
     */
    public int liveSlabs()
    {
        return liveSlabs;
    }

    /**
     * Carve a slab if it fits now.
     *
     * @param bytes aligned size from {@link #alignedSize(long)}.
     * @return the slab id, or -1 when it does not fit until older slabs are freed.
     * @throws IllegalArgumentException when the request is larger than the whole ring.
     */
    public long tryAllocate(final long bytes)
    {
        if (bytes > size)
        {
            throw new IllegalArgumentException(describe("cannot ever hold", bytes) + "; raise heapRingSize");
        }
        final long start;
        if (liveSlabs == 0)
        {
            head = 0;
            tail = 0;
            start = 0;
        }
        else if (head > tail)
        {
            if (size - head >= bytes)
            {
                start = head;
            }
            else if (tail >= bytes)
            {
                start = 0;
            }
            else
            {
                return -1;
            }
        }
        else if (tail - head >= bytes)
        {
            start = head;
        }
        else
        {
            return -1;
        }
        head = start + bytes;
        final long slabId = record(start, bytes);
        bytesInUse.setRelease(size - freeBytes());
        return slabId;
    }

    /**
     * Address of a live slab.
     *
     * @param slabId id from {@link #tryAllocate(long)}.
     * @return the address of its first byte.
     */
    public long address(final long slabId)
    {
        return baseAddress + slabStart[position(slabId)];
    }

    /**
     * Return a slab. Space is reclaimed once every older slab has been returned too.
     *
     * @param slabId id from {@link #tryAllocate(long)}.
     */
    public void free(final long slabId)
    {
        if (slabId < oldestSlabId || slabId >= nextSlabId || slabFreed[position(slabId)])
        {
            throw new IllegalStateException("heap ring " + index + ": slab " + slabId + " is not live");
        }
        slabFreed[position(slabId)] = true;
        slabOwner[position(slabId)] = null;
        while (oldestSlabId < nextSlabId && slabFreed[position(oldestSlabId)])
        {
            oldestSlabId++;
            liveSlabs--;
        }
        if (liveSlabs == 0)
        {
            head = 0;
            tail = 0;
        }
        else
        {
            tail = slabStart[position(oldestSlabId)];
        }
        bytesInUse.setRelease(size - freeBytes());
    }

    /**
     * The text every exhaustion message starts with: names the ring, the request and the free space.
     *
     * @param what  what happened to the request.
     * @param bytes the request.
     * @return the message prefix.
     */
    public String describe(final String what, final long bytes)
    {
        return "heap ring " + index + " " + what + " a request of " + bytes + " bytes: free=" + freeBytes()
            + " bytes of " + size + ", live slabs=" + liveSlabs;
    }

    /**
     * Name the task that holds a live slab, so that a task naming any of its bytes can keep it alive
     * ({@link #ownerAt}).
     *
     * @param slabId id from {@link #tryAllocate(long)}.
     * @param owner  the holder, until the slab is freed.
     */
    public void own(final long slabId, final Object owner)
    {
        slabOwner[position(slabId)] = owner;
    }

    /**
     * Whether an address lies in this ring.
     *
     * @param address the address.
     * @return true for {@code [baseAddress, baseAddress + size)}.
     */
    public boolean contains(final long address)
    {
        return Long.compareUnsigned(address - baseAddress, size) < 0;
    }

    /**
     * The holder of the live slab that contains {@code address}, or null when no live slab does.
     *
     * @param address an address in the ring.
     * @return the owner given to {@link #own}, or null.
     */
    public Object ownerAt(final long address)
    {
        final long slabId = slabAt(address - baseAddress);
        return slabId < 0 ? null : slabOwner[position(slabId)];
    }

    /**
     * One past the last byte of the live slab that contains {@code address}.
     *
     * @param address an address inside a live slab ({@link #ownerAt} not null).
     * @return the address after the slab.
     */
    public long slabEndAt(final long address)
    {
        return baseAddress + slabEnd[position(slabAt(address - baseAddress))];
    }

    /**
     * The live slab containing the ring offset {@code offset}: slabs in allocation order have increasing starts,
     * except that once the ring wrapped the later ones start again from 0, so the search first picks the run.
     */
    private long slabAt(final long offset)
    {
        if (liveSlabs == 0)
        {
            return -1;
        }
        final long oldestStart = slabStart[position(oldestSlabId)];
        // The first slab that starts below the oldest one, if the ring wrapped: the second run begins there.
        long low = oldestSlabId + 1;
        long high = nextSlabId;
        while (low < high)
        {
            final long mid = (low + high) >>> 1;
            if (slabStart[position(mid)] < oldestStart)
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }
        final long wrap = low;
        long from = offset >= oldestStart ? oldestSlabId : wrap;
        long to = offset >= oldestStart ? wrap : nextSlabId;
        // The last slab of the run that starts at or before the offset.
        while (from < to)
        {
            final long mid = (from + to) >>> 1;
            if (slabStart[position(mid)] <= offset)
            {
                from = mid + 1;
            }
            else
            {
                to = mid;
            }
        }
        final long found = from - 1;
        if (found < oldestSlabId || found >= nextSlabId)
        {
            return -1;
        }
        final int pos = position(found);
        return !slabFreed[pos] && slabStart[pos] <= offset && offset < slabEnd[pos] ? found : -1;
    }

    private long record(final long start, final long bytes)
    {
        if (nextSlabId - oldestSlabId == slabStart.length)
        {
            grow();
        }
        if (liveSlabs == 0)
        {
            tail = start;
        }
        final long id = nextSlabId++;
        final int pos = position(id);
        slabStart[pos] = start;
        slabEnd[pos] = start + bytes;
        slabFreed[pos] = false;
        slabOwner[pos] = null;
        liveSlabs++;
        return id;
    }

    private int position(final long slabId)
    {
        return (int)(slabId & (slabStart.length - 1));
    }

    private void grow()
    {
        final int oldLength = slabStart.length;
        final long[] newStart = new long[oldLength * 2];
        final long[] newEnd = new long[oldLength * 2];
        final boolean[] newFreed = new boolean[oldLength * 2];
        final Object[] newOwner = new Object[oldLength * 2];
        final int newMask = oldLength * 2 - 1;
        for (long id = oldestSlabId; id < nextSlabId; id++)
        {
            final int from = (int)(id & (oldLength - 1));
            final int to = (int)(id & newMask);
            newStart[to] = slabStart[from];
            newEnd[to] = slabEnd[from];
            newFreed[to] = slabFreed[from];
            newOwner[to] = slabOwner[from];
        }
        slabStart = newStart;
        slabEnd = newEnd;
        slabFreed = newFreed;
        slabOwner = newOwner;
    }
}
