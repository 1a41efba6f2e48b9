package dev.simpler.engine.process;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.mailbox.SharedMemoryFile;

/**
 * How a parent wakes a child that went to sleep waiting for a task (PROCESS mode with the backoff strategy).
 * {@code LockSupport.unpark} does not reach another process, so an idle child would otherwise poll its mailbox
 * with timed parks and every task sent to it would wait out part of a park.
 *
 * <p>Two parts, neither of them in the mailbox (whose layout is fixed by SPEC §7):
 * <ul>
 *   <li>a word in a small shared file of its own, where the child announces that it is going to sleep;</li>
 *   <li>the child's standard input, a pipe from the parent, on which a sleeping child blocks in {@code read}.</li>
 * </ul>
 * The child stores SLEEPING, fences and checks its mailbox once more before it blocks; the parent stores the
 * mailbox state (TASK_READY or SHUTDOWN), fences and reads the word. Of two threads that each store then load
 * the other's word with a full fence between, at least one sees the other's store: either the child sees the
 * task and does not block, or the parent sees SLEEPING and writes one byte. Only a sleeping child costs the
 * parent a system call; a busy or spinning one costs it a fence and a read of a line that rarely changes.
 *
 * <p>A byte that arrives after the child woke by itself is harmless: its next sleep returns at once, finds no
 * task and sleeps again. End of file means the parent closed the pipe (shutdown) or died; either way the child
 * exits, so a sleeping child needs no timer to notice that its parent is gone.
 */
final class Doorbell implements AutoCloseable
{
    /** File length: one cache line. */
    static final int LENGTH = 64;

    private static final int SLEEPING_OFFSET = 0;
    private static final int AWAKE = 0;
    private static final int SLEEPING = 1;

    private final SharedMemoryFile file;
    private final UnsafeBuffer word;

    private Doorbell(final SharedMemoryFile file)
    {
        this.file = file;
        this.word = file.buffer();
    }

    /**
     * A new doorbell for one child, created by the parent.
     *
     * @return the doorbell; the parent closes (deletes) it.
     */
    static Doorbell create()
    {
        return new Doorbell(SharedMemoryFile.create("doorbell", LENGTH));
    }

    /**
     * The doorbell the parent created, opened by the child.
     *
     * @param path the file the parent named in the spec.
     * @return the doorbell.
     */
    static Doorbell open(final Path path)
    {
        return new Doorbell(SharedMemoryFile.openExisting(path));
    }

    /**
     * The shared file, named in the child's spec.
     *
     * @return its path.
     */
    Path path()
    {
        return file.path();
    }

    // ------------------------------------------------------------------------------------------ parent side

    /**
     * Forget what a previous child left (a child that died asleep); before a child is launched.
     */
    void reset()
    {
        word.putIntVolatile(SLEEPING_OFFSET, AWAKE);
    }

    /**
     * Wake the child if it is asleep; call after the mailbox state was stored.
     *
     * @param childInput the child's standard input.
     * @return true when the child was asleep and a byte was written.
     */
    boolean ring(final OutputStream childInput)
    {
        VarHandle.fullFence();
        if (word.getIntVolatile(SLEEPING_OFFSET) != SLEEPING)
        {
            return false;
        }
        try
        {
            childInput.write(1);
            childInput.flush();
        }
        catch (final IOException ex)
        {
            // The child is gone (broken pipe): its death is noticed and reported by the process checks.
            return false;
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------ child side

    /**
     * Announce sleep: the caller checks its mailbox after this and calls {@link #sleep(InputStream, byte[])} only
     * when nothing arrived, or {@link #awake()} when something did.
     */
    void announceSleep()
    {
        word.putIntVolatile(SLEEPING_OFFSET, SLEEPING);
    }

    /**
     * Block until the parent rings, closes the pipe or dies.
     *
     * @param parentPipe the child's standard input.
     * @param scratch    where the wake-up bytes are read to.
     * @return false when the pipe reached end of file: the parent is gone or shutting down.
     */
    boolean sleep(final InputStream parentPipe, final byte[] scratch)
    {
        try
        {
            return parentPipe.read(scratch) >= 0;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /**
     * The child is awake again.
     */
    void awake()
    {
        word.putIntRelease(SLEEPING_OFFSET, AWAKE);
    }

    /**
     * The child's end of the pipe from the parent: its standard input, unbuffered.
     *
     * @return the stream.
     */
    static InputStream parentPipe()
    {
        return new FileInputStream(FileDescriptor.in);
    }

    @Override
    public void close()
    {
        file.close();
    }
}
