package dev.simpler.demo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.mailbox.SharedMemoryFile;

/**
 * The floor for PROCESS mode: a raw ping-pong between this JVM and a child JVM on one cache line of a shared
 * file, both sides busy-spinning. The parent stores an odd number, the child answers with the next even one.
 */
final class PingPong
{
    private static final int WARMUP = 200_000;
    private static final int MEASURED = 200_000;

    private PingPong()
    {
    }

    /**
     * The child side: answer every odd value with the next even one until the value is negative.
     *
     * @param args the shared file.
     */
    public static void main(final String[] args)
    {
        try (SharedMemoryFile file = SharedMemoryFile.openExisting(Path.of(args[0])))
        {
            final UnsafeBuffer line = file.buffer();
            long seen = 0;
            while (true)
            {
                final long value = line.getLongVolatile(0);
                if (value < 0)
                {
                    return;
                }
                if (value != seen && (value & 1) == 1)
                {
                    seen = value + 1;
                    line.putLongRelease(0, seen);
                }
                else
                {
                    Thread.onSpinWait();
                }
            }
        }
    }

    static Histogram measure() throws Exception
    {
        try (SharedMemoryFile file = SharedMemoryFile.create("pingpong", 4096))
        {
            final List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(List.of("--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.base/java.nio=ALL-UNNAMED",
                "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"));
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), PingPong.class.getName(),
                file.path().toString()));
            final Process child = new ProcessBuilder(command).inheritIO().start();
            try
            {
                final UnsafeBuffer line = file.buffer();
                final Histogram histogram = new Histogram(60_000_000_000L, 3);
                long value = 1;
                for (int i = 0; i < WARMUP + MEASURED; i++)
                {
                    final long start = System.nanoTime();
                    line.putLongRelease(0, value);
                    while (line.getLongVolatile(0) != value + 1)
                    {
                        Thread.onSpinWait();
                    }
                    if (i >= WARMUP)
                    {
                        histogram.recordValue(System.nanoTime() - start);
                    }
                    value += 2;
                }
                line.putLongVolatile(0, -1);
                return histogram;
            }
            finally
            {
                if (!child.waitFor(5, TimeUnit.SECONDS))
                {
                    child.destroyForcibly().waitFor();
                }
            }
        }
    }
}
