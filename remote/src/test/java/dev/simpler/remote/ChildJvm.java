package dev.simpler.remote;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.simpler.mailbox.SharedMemoryFile;
import dev.simpler.remote.transport.Transport;

/**
 * A JVM the remote tests start (a node, an L4), on this JVM's class path, optionally inside a network namespace:
 * its output lines can be awaited, it is killed with SIGKILL on demand, and it halts by itself when this JVM dies
 * ({@link #watchParent()}), so that no test leaves one behind.
 */
final class ChildJvm implements AutoCloseable
{
    private static final int MAX_LINES = 10_000;
    private static final int LAST_LINES = 40;
    private static final Path LOG_DIRECTORY = Path.of("target", "child-logs");

    private final String name;
    private final Process process;
    /** Lines not yet awaited; a child that floods its output loses the oldest here, never the test's memory. */
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>(MAX_LINES);
    /** The last lines, for messages; the whole output is in {@link #log}. */
    private final ArrayDeque<String> seen = new ArrayDeque<>();
    private final Path log;
    private final Thread reader;

    private ChildJvm(final String name, final Process process)
    {
        this.name = name;
        this.process = process;
        this.log = LOG_DIRECTORY.resolve(name.replaceAll("[^A-Za-z0-9.-]", "_") + "-" + process.pid() + ".log");
        this.reader = new Thread(this::readLines, "child-output-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Start a JVM.
     *
     * @param name      for messages.
     * @param namespace a network namespace to run it in, or null.
     * @param jvmArgs   extra JVM options (system properties).
     * @param mainClass the main class.
     * @param args      its arguments.
     * @return the JVM, started.
     */
    static ChildJvm start(
        final String name, final String namespace, final List<String> jvmArgs, final Class<?> mainClass,
        final String... args)
    {
        final List<String> command = new ArrayList<>();
        if (namespace != null)
        {
            command.addAll(List.of("ip", "netns", "exec", namespace));
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens",
            "java.base/sun.nio.ch=ALL-UNNAMED", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        try
        {
            Files.createDirectories(LOG_DIRECTORY);
            return new ChildJvm(name, new ProcessBuilder(command).redirectErrorStream(true).start());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start " + name + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * In a child's main: halt when the JVM that started it dies, so a killed test leaves no child behind.
     */
    static void watchParent()
    {
        ProcessHandle.current().parent().ifPresent((parent) -> parent.onExit().thenRun(() ->
            Runtime.getRuntime().halt(3)));
    }

    /**
     * Wait for an output line that starts with a prefix.
     *
     * @param prefix  the prefix.
     * @param timeout how long, in ms.
     * @return the rest of the line.
     * @throws AssertionError naming the child and the lines it printed when none came in time.
     */
    String awaitLine(final String prefix, final long timeout) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        while (true)
        {
            // Short polls, so that a child that died is noticed at once rather than at the deadline.
            final String line = lines.poll(20, TimeUnit.MILLISECONDS);
            if (line == null && (System.nanoTime() - deadline > 0 || !process.isAlive() && lines.isEmpty()
                && !reader.isAlive()))
            {
                throw new AssertionError(name + " printed no line starting with \"" + prefix + "\" within "
                    + timeout + " ms (alive: " + process.isAlive() + "); it printed: " + printed());
            }
            if (line != null && line.startsWith(prefix))
            {
                return line.substring(prefix.length());
            }
        }
    }

    /**
     * Send the JVM a line on its standard input.
     *
     * @param line the line.
     */
    void send(final String line)
    {
        try
        {
            process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(name + " takes no more input: " + ex.getMessage(), ex);
        }
    }

    /**
     * Kill the JVM with SIGKILL and wait for it to be gone.
     */
    void kill() throws InterruptedException
    {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS))
        {
            throw new AssertionError(name + " did not die within 10 s of SIGKILL");
        }
        // What a killed JVM could not remove: its media driver directory and shared memory files.
        Transport.sweepStale(Transport.parentDirectory());
        SharedMemoryFile.sweepStale();
    }

    /**
     * The JVM's exit status, waiting for it to exit.
     *
     * @return the status.
     */
    int waitFor(final long timeoutMs) throws InterruptedException
    {
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
        {
            throw new AssertionError(name + " did not exit within " + timeoutMs + " ms; it printed: " + printed());
        }
        return process.exitValue();
    }

    /**
     * The last lines the JVM printed.
     *
     * @return the lines.
     */
    synchronized String printed()
    {
        return String.join("\n", seen) + "\n(all of it in " + log.toAbsolutePath() + ")";
    }

    @Override
    public String toString()
    {
        return name;
    }

    @Override
    public void close()
    {
        try
        {
            if (process.isAlive())
            {
                kill();
            }
            reader.join(5_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private void readLines()
    {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8));
            BufferedWriter out = Files.newBufferedWriter(log, StandardCharsets.UTF_8))
        {
            String line;
            while ((line = in.readLine()) != null)
            {
                out.write(line);
                out.newLine();
                out.flush();
                synchronized (this)
                {
                    seen.addLast(line);
                    if (seen.size() > LAST_LINES)
                    {
                        seen.removeFirst();
                    }
                }
                if (!lines.offer(line))
                {
                    lines.poll();
                    lines.offer(line);
                }
            }
        }
        catch (final IOException ex)
        {
            // The child is gone: its output ends here.
        }
    }
}
