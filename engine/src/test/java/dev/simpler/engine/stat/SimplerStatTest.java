package dev.simpler.engine.stat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.simpler.engine.counters.CountersFileDescriptor;

/**
 * What {@code simpler-stat} prints for directories without a live engine, and how it treats files it cannot use
 * (SPEC §14). The tool against running and killed engines is in {@code CountersTest}.
 */
class SimplerStatTest
{
    @TempDir
    Path directory;

    @Test
    @Timeout(30)
    void saysSoAndExitsWithZeroWhenNoEngineRuns()
    {
        final Run run = run("--once", "--dir", directory.toString());

        assertEquals(0, run.status);
        assertTrue(run.out.contains("No simpler engine is running on this machine"), run.out);
        assertEquals("", run.err);
    }

    @Test
    @Timeout(30)
    void skipsAndCountsTheFileOfAProcessThatIsGoneWithoutReadingIt() throws Exception
    {
        final Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(20, TimeUnit.SECONDS));
        Files.write(directory.resolve(fileName(gone.pid())), new byte[] {1, 2, 3});

        final String report = SimplerStat.report(directory);

        assertTrue(report.contains("No simpler engine is running"), report);
        assertTrue(report.contains("skipped 1 counters file of engines that are no longer running"), report);
        assertFalse(report.contains("pid " + gone.pid()), report);
    }

    @Test
    @Timeout(30)
    void namesTheProblemOfAFileOfALiveProcessThatIsNoCountersFile() throws IOException
    {
        final byte[] bytes = new byte[CountersFileDescriptor.FILE_LENGTH];
        new UnsafeBuffer(bytes).putInt(CountersFileDescriptor.MAGIC_OFFSET, 0x12345678);
        Files.write(directory.resolve(fileName(ProcessHandle.current().pid())), bytes);

        final String report = SimplerStat.report(directory);

        assertTrue(report.contains("is no simpler counters file: magic 0x12345678"), report);
    }

    @Test
    @Timeout(30)
    void namesTheVersionsOfAFileOfAnotherLayout() throws IOException
    {
        final byte[] bytes = new byte[CountersFileDescriptor.FILE_LENGTH];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        buffer.putInt(CountersFileDescriptor.MAGIC_OFFSET, CountersFileDescriptor.MAGIC);
        buffer.putInt(CountersFileDescriptor.LAYOUT_VERSION_OFFSET, CountersFileDescriptor.LAYOUT_VERSION + 1);
        Files.write(directory.resolve(fileName(ProcessHandle.current().pid())), bytes);

        final String report = SimplerStat.report(directory);

        assertTrue(report.contains("has counters layout version " + (CountersFileDescriptor.LAYOUT_VERSION + 1)
            + ", this reader reads version " + CountersFileDescriptor.LAYOUT_VERSION), report);
    }

    @Test
    @Timeout(30)
    void rejectsAnUnknownArgumentWithTheUsage()
    {
        final Run run = run("--every", "5");

        assertEquals(SimplerStat.EXIT_USAGE, run.status);
        assertTrue(run.err.contains("unknown argument --every"), run.err);
        assertTrue(run.err.contains("usage: java -jar simpler-stat.jar"), run.err);
    }

    private static String fileName(final long pid)
    {
        return "simpler-" + pid + "-" + CountersFileDescriptor.FILE_PURPOSE + "-0123456789abcdef0123456789abcdef";
    }

    private static Run run(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int status = SimplerStat.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private record Run(int status, String out, String err)
    {
    }
}
