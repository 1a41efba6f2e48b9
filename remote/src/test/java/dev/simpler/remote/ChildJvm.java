package dev.simpler.remote;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A JVM the remote tests start (a node, an L4), on this JVM's class path, optionally inside a network namespace:
 * its output lines can be awaited, it is killed with SIGKILL on demand, and it halts by itself when this JVM dies
 * ({@link #watchParent()}), so that no test leaves one behind.
 */
final class ChildJvm implements AutoCloseable
{
    private final String name;
    private final Process process;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private final Thread reader;

    private ChildJvm(final String name, final Process process)
    {
        this.name = name;
        this.process = process;
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
     * Kill the JVM with SIGKILL and wait for it to be gone.
     */
    void kill() throws InterruptedException
    {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS))
        {
            throw new AssertionError(name + " did not die within 10 s of SIGKILL");
        }
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
     * What the JVM printed so far.
     *
     * @return the lines.
     */
    synchronized String printed()
    {
        return String.join("\n", seen);
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
            StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = in.readLine()) != null)
            {
                synchronized (this)
                {
                    seen.add(line);
                }
                lines.add(line);
            }
        }
        catch (final IOException ex)
        {
            // The child is gone: its output ends here.
        }
    }
}
