package dev.simpler.perf;

import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.mailbox.SharedMemoryFile;

/**
 * The child side of the raw ping-pong floor: answers every odd value on the first cache line of a shared file
 * with the next even one, busy-spinning, until the value turns negative.
 */
public final class PingPongChild
{
    private PingPongChild()
    {
    }

    /**
     * Answer until told to stop.
     *
     * @param args the shared file.
     */
    public static void main(final String[] args)
    {
        try (SharedMemoryFile file = SharedMemoryFile.openExisting(Path.of(args[0])))
        {
            final UnsafeBuffer line = file.buffer();
            long answered = 0;
            while (true)
            {
                final long value = line.getLongVolatile(0);
                if (value < 0)
                {
                    return;
                }
                if ((value & 1) == 1 && value != answered)
                {
                    answered = value + 1;
                    line.putLongRelease(0, answered);
                }
                else
                {
                    Thread.onSpinWait();
                }
            }
        }
    }
}
