package dev.simpler.engine.trace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The operating system's id of the calling thread, so that a trace's lanes carry the ids that {@code top -H},
 * {@code perf} and async-profiler show.
 */
public final class ThreadIds
{
    private static final Path THREAD_SELF = Path.of("/proc/thread-self");

    private ThreadIds()
    {
    }

    /**
     * The calling thread's id.
     *
     * @return its Linux thread id (from {@code /proc/thread-self}, which names {@code <pid>/task/<tid>}); where there
     *         is none, the Java thread id.
     */
    @SuppressWarnings("deprecation")
    public static int current()
    {
        try
        {
            final String link = Files.readSymbolicLink(THREAD_SELF).toString();
            return Integer.parseInt(link.substring(link.lastIndexOf('/') + 1));
        }
        catch (final IOException | UnsupportedOperationException | NumberFormatException | SecurityException ex)
        {
            // Not Linux: the Java id still tells the threads apart.
            return (int)Thread.currentThread().getId();
        }
    }
}
