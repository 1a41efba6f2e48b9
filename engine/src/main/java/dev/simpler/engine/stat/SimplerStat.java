package dev.simpler.engine.stat;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import dev.simpler.engine.JvmFlags;
import dev.simpler.engine.counters.CountersFile;
import dev.simpler.engine.counters.CountersFileDescriptor;
import dev.simpler.mailbox.SharedMemoryFile;

/**
 * {@code simpler-stat}: lists the simpler engines running on this machine and prints the live counters of each of
 * their Workers (SPEC §14), as AeronStat does for Aeron's CnC file. Every Worker publishes its counters in a file
 * {@code simpler-<pid>-counters-*} of the shared-memory directory; this tool maps each read-only.
 *
 * <pre>
 * java -jar engine/target/simpler-stat.jar [--once] [--interval MS] [--dir DIRECTORY]
 * </pre>
 * Without {@code --once} it clears the screen and prints again every second (or every {@code --interval} ms) until
 * it is interrupted. Files whose process is gone (an engine killed with SIGKILL) are skipped and counted; the next
 * engine start removes them. It only reads: it never writes or deletes a file.
 */
public final class SimplerStat
{
    /** Exit status of a bad command line. */
    static final int EXIT_USAGE = 2;
    /** Exit status when this JVM cannot read the files (the flag Agrona needs is missing). */
    static final int EXIT_JVM_FLAGS = 1;

    private static final String USAGE = "usage: java -jar simpler-stat.jar [--once] [--interval MS] [--dir DIRECTORY]"
        + "\n  --once          print the counters once and exit (default: refresh until interrupted)"
        + "\n  --interval MS   time between refreshes, default 1000"
        + "\n  --dir DIRECTORY where the engines' shared files are, default " + SharedMemoryFile.defaultDirectory();
    private static final String CLEAR_SCREEN = "\u001b[H\u001b[2J";
    /**
     * A live process whose start lies this long after a Worker's start cannot be that Worker's: its pid was reused.
     * Loose, as the process start time the system reports is rounded to a clock tick and to the boot time's second.
     */
    private static final long PID_REUSE_SLACK_MS = 2_000L;
    private static final DateTimeFormatter TIME =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    private SimplerStat()
    {
    }

    /**
     * Run the tool.
     *
     * @param args the command line, see the class comment.
     */
    public static void main(final String[] args)
    {
        final int status = run(args, System.out, System.err);
        if (status != 0)
        {
            System.exit(status);
        }
    }

    /**
     * Run the tool on streams of the caller's.
     *
     * @param args the command line.
     * @param out  where the counters go.
     * @param err  where usage and errors go.
     * @return the exit status: 0, or {@link #EXIT_USAGE}, or {@link #EXIT_JVM_FLAGS}.
     */
    static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        boolean once = false;
        long intervalMs = 1000;
        Path directory = SharedMemoryFile.defaultDirectory();
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--once":
                    once = true;
                    break;
                case "--interval":
                    if (i + 1 == args.length || !args[i + 1].matches("[1-9][0-9]{0,8}"))
                    {
                        err.println("--interval needs a number of milliseconds from 1 to 999999999\n" + USAGE);
                        return EXIT_USAGE;
                    }
                    intervalMs = Long.parseLong(args[++i]);
                    break;
                case "--dir":
                    if (i + 1 == args.length)
                    {
                        err.println("--dir needs a directory\n" + USAGE);
                        return EXIT_USAGE;
                    }
                    directory = Path.of(args[++i]);
                    break;
                case "-h":
                case "--help":
                    out.println(USAGE);
                    return 0;
                default:
                    err.println("unknown argument " + args[i] + "\n" + USAGE);
                    return EXIT_USAGE;
            }
        }
        try
        {
            JvmFlags.check();
        }
        catch (final IllegalStateException ex)
        {
            err.println("simpler-stat: " + ex.getMessage());
            return EXIT_JVM_FLAGS;
        }

        if (once)
        {
            out.print(report(directory));
            out.flush();
            return 0;
        }
        while (!Thread.currentThread().isInterrupted())
        {
            out.print(CLEAR_SCREEN + report(directory));
            out.flush();
            try
            {
                Thread.sleep(intervalMs);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        return 0;
    }

    /**
     * One screen: the engines in a directory, with their counters.
     *
     * @param directory where the counters files are.
     * @return the text.
     */
    static String report(final Path directory)
    {
        final long nowMs = System.currentTimeMillis();
        final StringBuilder text = new StringBuilder();
        final List<Path> files;
        try
        {
            files = CountersFile.list(directory);
        }
        catch (final UncheckedIOException ex)
        {
            return "simpler-stat: " + ex.getMessage() + "\n";
        }
        final List<CountersFile> open = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        int stale = 0;
        try
        {
            for (final Path file : files)
            {
                final long pid = CountersFileDescriptor.pidOfFileName(file.getFileName().toString());
                if (!isAlive(pid, Long.MIN_VALUE))
                {
                    stale++;
                    continue;
                }
                final CountersFile counters;
                try
                {
                    counters = CountersFile.open(file);
                }
                catch (final IllegalStateException | UncheckedIOException ex)
                {
                    if (isAlive(pid, Long.MIN_VALUE))
                    {
                        problems.add(ex.getMessage());
                    }
                    continue;
                }
                if (counters.pid() != pid || !isAlive(pid, counters.startTimeMs()))
                {
                    // A pid reused since the engine died, or a file whose header names another process.
                    stale++;
                    counters.close();
                    continue;
                }
                open.add(counters);
            }
            open.sort(Comparator.comparingLong(CountersFile::pid).thenComparingLong(CountersFile::startTimeMs)
                .thenComparing(CountersFile::workerId));

            text.append("simpler-stat ").append(TIME.format(Instant.ofEpochMilli(nowMs))).append(" - ")
                .append(open.size()).append(open.size() == 1 ? " Worker" : " Workers").append(" in ")
                .append(directory).append('\n');
            if (open.isEmpty())
            {
                text.append("No simpler engine is running on this machine: no counters file of a live process in ")
                    .append(directory).append('\n');
            }
            for (final CountersFile counters : open)
            {
                appendWorker(text, counters, nowMs);
            }
        }
        finally
        {
            for (final CountersFile counters : open)
            {
                counters.close();
            }
        }
        for (final String problem : problems)
        {
            text.append("skipped: ").append(problem).append('\n');
        }
        if (stale > 0)
        {
            text.append("(skipped ").append(stale).append(stale == 1 ? " counters file" : " counters files")
                .append(" of engines that are no longer running; the next engine start removes them)\n");
        }
        return text.toString();
    }

    private static void appendWorker(final StringBuilder text, final CountersFile counters, final long nowMs)
    {
        text.append('\n')
            .append("pid ").append(counters.pid())
            .append("  Worker ").append(counters.workerId())
            .append("  level ").append(counters.level())
            .append("  mode ").append(counters.mode())
            .append("  up ").append(age(nowMs - counters.startTimeMs()))
            .append('\n');
        counters.counters().forEach((counterId, typeId, keyBuffer, label) ->
            text.append(String.format("%3d: %,20d - %s%n", counterId,
                counters.counters().getCounterValue(counterId), label)));
    }

    /**
     * Whether a process runs and, when known, started no later than a Worker of it could have.
     */
    private static boolean isAlive(final long pid, final long workerStartMs)
    {
        final Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive())
        {
            return false;
        }
        final Optional<Instant> started = process.get().info().startInstant();
        return started.isEmpty() || workerStartMs == Long.MIN_VALUE
            || started.get().toEpochMilli() <= workerStartMs + PID_REUSE_SLACK_MS;
    }

    private static String age(final long ms)
    {
        final long seconds = Math.max(0, ms) / 1000;
        final long days = seconds / 86_400;
        final String clock = String.format("%d:%02d:%02d", (seconds / 3600) % 24, (seconds / 60) % 60, seconds % 60);
        return days > 0 ? days + "d " + clock : clock;
    }
}
