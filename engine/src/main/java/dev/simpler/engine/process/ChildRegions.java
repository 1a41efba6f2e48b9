package dev.simpler.engine.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.simpler.mailbox.SharedMemoryFile;

/**
 * The shared files a child has mapped, and the translation of engine addresses into the child's own mappings.
 * Used by the child's one task thread only.
 */
final class ChildRegions implements AutoCloseable
{
    private final List<SharedMemoryFile> files = new ArrayList<>();
    private long[] parentBases = new long[0];
    private long[] childBases = new long[0];
    private long[] lengths = new long[0];

    void map(final SharedRegion region)
    {
        final SharedMemoryFile file = SharedMemoryFile.openExisting(Path.of(region.path()));
        files.add(file);
        final int n = parentBases.length;
        parentBases = java.util.Arrays.copyOf(parentBases, n + 1);
        childBases = java.util.Arrays.copyOf(childBases, n + 1);
        lengths = java.util.Arrays.copyOf(lengths, n + 1);
        parentBases[n] = region.parentBase();
        childBases[n] = file.address();
        lengths[n] = Math.min(region.length(), file.length());
    }

    /**
     * Translate an engine address into this process.
     *
     * @param address engine address of the first byte, 0 for the null tensor.
     * @param nbytes  bytes the tensor spans.
     * @return the address in this process, or -1 when the range is in no mapped file.
     */
    long translate(final long address, final long nbytes)
    {
        if (address == 0)
        {
            return 0;
        }
        for (int i = 0; i < parentBases.length; i++)
        {
            final long offset = address - parentBases[i];
            if (offset >= 0 && nbytes >= 0 && offset <= lengths[i] - nbytes)
            {
                return childBases[i] + offset;
            }
        }
        return -1;
    }

    @Override
    public void close()
    {
        for (final SharedMemoryFile file : files)
        {
            file.close();
        }
        files.clear();
    }
}
