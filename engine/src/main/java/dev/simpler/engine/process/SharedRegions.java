package dev.simpler.engine.process;

import dev.simpler.mailbox.SharedMemoryFile;

/**
 * The shared files of one engine that its children map (heap rings and shared tensors), with a version that
 * grows whenever one is added, so the process driver knows which children must map new ones before their next
 * task. Thread-safe: regions are added by the user's thread and read by the submitting and driver threads.
 */
public final class SharedRegions
{
    private volatile SharedRegion[] regions = new SharedRegion[0];

    /**
     * Add a shared file.
     *
     * @param file the mapped file.
     */
    public synchronized void add(final SharedMemoryFile file)
    {
        final SharedRegion[] current = regions;
        final SharedRegion[] grown = java.util.Arrays.copyOf(current, current.length + 1);
        grown[current.length] = new SharedRegion(file.path().toString(), file.address(), file.length());
        regions = grown;
    }

    /**
     * Number of regions added so far; a child that has mapped this many is up to date.
     *
     * @return the count.
     */
    public int count()
    {
        return regions.length;
    }

    /**
     * The regions from index {@code from} on.
     *
     * @param from first index.
     * @return a copy.
     */
    public SharedRegion[] from(final int from)
    {
        final SharedRegion[] current = regions;
        return java.util.Arrays.copyOfRange(current, Math.min(from, current.length), current.length);
    }

    /**
     * Whether a range of the engine's address space lies inside one shared file.
     *
     * @param address first byte.
     * @param nbytes  length.
     * @return true when a child can reach it.
     */
    public boolean contains(final long address, final long nbytes)
    {
        for (final SharedRegion region : regions)
        {
            if (region.contains(address, nbytes))
            {
                return true;
            }
        }
        return false;
    }
}
