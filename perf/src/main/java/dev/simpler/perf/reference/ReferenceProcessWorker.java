package dev.simpler.perf.reference;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.simpler.mailbox.MailboxDescriptor;
import dev.simpler.mailbox.ParentMailbox;
import dev.simpler.mailbox.SharedMemoryFile;

/**
 * The parent side of one PROCESS-mode worker in the upstream style: one child JVM ({@link ReferenceChildMain}) and
 * one shared-memory mailbox laid out as in SPEC §7. {@link #execute(long)} publishes a task with TASK_READY and then
 * polls for TASK_DONE, sleeping 50 µs ({@code LockSupport.parkNanos(50_000)}) between polls as the upstream parent
 * does; that sleep, not the hand-off, dominates its per-task cost.
 *
 * <p>Not thread-safe: one worker thread drives it.
 */
public final class ReferenceProcessWorker implements AutoCloseable
{
    /** The one callable the child knows: a no-op. */
    public static final long NOOP_CALLABLE = 0;

    /** How long the parent sleeps between polls of the mailbox, as upstream. */
    public static final long POLL_SLEEP_NS = 50_000L;

    /** How long {@link #ReferenceProcessWorker()} waits for the child to report ready. */
    public static final long START_TIMEOUT_MS = 30_000L;

    private static final long STOP_TIMEOUT_MS = 5_000L;
    private static final long START_POLL_NS = 1_000_000L;

    private final SharedMemoryFile file;
    private final ParentMailbox mailbox;
    private final Process child;
    private boolean closed;

    /**
     * Create the mailbox, start the child with the same java binary and class path, and wait until it is ready.
     *
     * @throws IllegalStateException when the child fails to start, reports init failure or is not ready in time;
     *                               nothing is left behind.
     */
    public ReferenceProcessWorker()
    {
        file = SharedMemoryFile.create("refmailbox", MailboxDescriptor.MAILBOX_LENGTH);
        Process started = null;
        try
        {
            mailbox = new ParentMailbox(file.buffer(), "reference child");
            mailbox.reset();
            final List<String> command = List.of(
                System.getProperty("java.home") + "/bin/java",
                "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.base/java.nio=ALL-UNNAMED",
                "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"),
                ReferenceChildMain.class.getName(),
                file.path().toString());
            started = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
            awaitReady(started);
            child = started;
        }
        catch (final Exception ex)
        {
            if (null != started)
            {
                started.destroyForcibly();
                stop(started);
            }
            file.close();
            throw new IllegalStateException("reference child failed to start: " + ex.getMessage(), ex);
        }
    }

    private void awaitReady(final Process process)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (true)
        {
            final int status = mailbox.childStatus();
            if (MailboxDescriptor.CHILD_READY == status)
            {
                return;
            }
            if (MailboxDescriptor.CHILD_INIT_FAILED == status)
            {
                throw new IllegalStateException("child init failed: " + mailbox.errorMessage());
            }
            if (!process.isAlive())
            {
                throw new IllegalStateException("child exited before it was ready: exit=" + process.exitValue());
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("child not ready within " + START_TIMEOUT_MS + " ms");
            }
            LockSupport.parkNanos(START_POLL_NS);
        }
    }

    /**
     * Run one task in the child and wait for it: publish TASK_READY, poll TASK_DONE with a 50 µs sleep between
     * polls, take the result and store IDLE.
     *
     * @param callable the callable id; only {@link #NOOP_CALLABLE} succeeds.
     * @throws IllegalStateException when the child reports an error or has died.
     */
    public void execute(final long callable)
    {
        mailbox.beginTask(callable, 1, 1, false, false);
        mailbox.publishTask();
        while (!mailbox.isDone())
        {
            if (!child.isAlive())
            {
                mailbox.reset();
                throw new IllegalStateException("reference child died: exit=" + child.exitValue());
            }
            LockSupport.parkNanos(POLL_SLEEP_NS);
        }
        final int error = mailbox.takeResult();
        if (MailboxDescriptor.ERROR_OK != error)
        {
            throw new IllegalStateException("reference child failed the task: error=" + error + ", message=" +
                mailbox.errorMessage());
        }
    }

    /**
     * How many tasks the child reported completed, read from the args area after the last task.
     *
     * @return the child's count.
     */
    public long childTasksCompleted()
    {
        return file.buffer().getLong(MailboxDescriptor.ARGS_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The child's process.
     *
     * @return the process handle.
     */
    public ProcessHandle childProcess()
    {
        return child.toHandle();
    }

    /**
     * The pid the child wrote into the mailbox when it became ready.
     *
     * @return the pid.
     */
    public int childPid()
    {
        return mailbox.childPid();
    }

    /**
     * The mailbox file.
     *
     * @return its path.
     */
    public Path mailboxPath()
    {
        return file.path();
    }

    /**
     * Send SHUTDOWN, wait (bounded) for the child to exit, kill it if it does not, and delete the mailbox file.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            if (child.isAlive())
            {
                mailbox.shutdown();
            }
            stop(child);
        }
        finally
        {
            file.close();
        }
    }

    private static void stop(final Process process)
    {
        try
        {
            if (!process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
