package dev.simpler.mailbox;

import static dev.simpler.mailbox.MailboxDescriptor.CHILD_INIT_FAILED;
import static dev.simpler.mailbox.MailboxDescriptor.CHILD_READY;
import static dev.simpler.mailbox.MailboxDescriptor.ERROR_OK;
import static dev.simpler.mailbox.MailboxDescriptor.STATE_IDLE;
import static dev.simpler.mailbox.MailboxDescriptor.STATE_SHUTDOWN;
import static dev.simpler.mailbox.MailboxDescriptor.STATE_TASK_DONE;
import static dev.simpler.mailbox.MailboxDescriptor.STATE_TASK_READY;

import org.agrona.concurrent.AtomicBuffer;

/**
 * The child's side of the mailbox handshake (SPEC §7): report ready (or failed) with its pid, poll for
 * TASK_READY or SHUTDOWN with acquire loads, read the task, and finish it by writing the error code (and a
 * message when it failed) followed by a release store of TASK_DONE.
 *
 * <p>Not thread-safe: the child's one task thread uses it.
 */
public final class ChildMailbox
{
    /** {@link #poll()}: nothing to do yet. */
    public static final int NOTHING = 0;
    /** {@link #poll()}: a task is ready. */
    public static final int TASK = 1;
    /** {@link #poll()}: the parent asked the child to exit. */
    public static final int SHUTDOWN = 2;

    private final MailboxFlyweight mailbox = new MailboxFlyweight();
    private int threadId;
    /** Whether the task in hand is timed (the parent asked, SPEC §14), and when it was taken. */
    private boolean timing;
    private long takenAt;

    /**
     * The child side of a mailbox.
     *
     * @param buffer the mailbox memory, {@link MailboxDescriptor#MAILBOX_LENGTH} bytes.
     */
    public ChildMailbox(final AtomicBuffer buffer)
    {
        this(buffer, MailboxDescriptor.MAILBOX_LENGTH);
    }

    /**
     * The child side of a mailbox of a given length (SPEC §7).
     *
     * @param buffer        the mailbox memory, at least {@code mailboxLength} bytes.
     * @param mailboxLength a power of two from 4096 to 65536.
     */
    public ChildMailbox(final AtomicBuffer buffer, final int mailboxLength)
    {
        mailbox.wrap(buffer, 0, mailboxLength);
    }

    /**
     * The flyweight, to read the task's callable, configuration and args blob.
     *
     * @return the mailbox flyweight.
     */
    public MailboxFlyweight flyweight()
    {
        return mailbox;
    }

    /**
     * Report that the child is ready for tasks.
     *
     * @param pid the child's process id.
     */
    public void ready(final int pid)
    {
        mailbox.childPid(pid);
        mailbox.childStatusRelease(CHILD_READY);
    }

    /**
     * Report that the child could not initialise, with why.
     *
     * @param pid     the child's process id.
     * @param message what went wrong, written into the args area.
     */
    public void initFailed(final int pid, final String message)
    {
        mailbox.putErrorMessage(message);
        mailbox.error(MailboxDescriptor.ERROR_CHILD_INIT_FAILED);
        mailbox.childPid(pid);
        mailbox.childStatusRelease(CHILD_INIT_FAILED);
    }

    /**
     * Look at the state word once.
     *
     * @return {@link #NOTHING}, {@link #TASK} or {@link #SHUTDOWN}.
     * @throws MailboxProtocolException when the state word holds a value outside 0..3.
     */
    public int poll()
    {
        final int state = mailbox.stateAcquire();
        switch (state)
        {
            case STATE_TASK_READY:
                return TASK;
            case STATE_SHUTDOWN:
                return SHUTDOWN;
            case STATE_IDLE:
            case STATE_TASK_DONE:
                return NOTHING;
            default:
                throw new MailboxProtocolException("corrupt mailbox state read by the child, must be in 0..3: state="
                    + state);
        }
    }

    /**
     * Name the thread that runs the tasks, for the times of traced tasks (SPEC §14).
     *
     * @param id the operating system's id of the child's task thread.
     */
    public void threadId(final int id)
    {
        threadId = id;
    }

    /**
     * Mark the task taken, before anything of it runs: a child that dies after this fails the task, one that dies
     * before leaves it to another child. When the parent asked for the task's times, the clock starts here.
     */
    public void take()
    {
        mailbox.taskTakenRelease(1);
        // A plain load from the line the state was just read from: untraced tasks pay one compare.
        if (mailbox.traceWord() == MailboxDescriptor.TRACE_REQUESTED)
        {
            timing = true;
            takenAt = System.nanoTime();
        }
    }

    /**
     * Finish the task successfully.
     */
    public void done()
    {
        if (timing)
        {
            writeTimes();
        }
        mailbox.error(ERROR_OK);
        mailbox.stateRelease(STATE_TASK_DONE);
    }

    /**
     * Finish the task with a failure.
     *
     * @param errorCode non-zero code (1 unknown callable or run failure, 2 the callable threw).
     * @param message   what went wrong.
     */
    public void failed(final int errorCode, final String message)
    {
        if (timing)
        {
            writeTimes();
        }
        mailbox.putErrorMessage(message);
        mailbox.error(errorCode);
        mailbox.stateRelease(STATE_TASK_DONE);
    }

    private void writeTimes()
    {
        timing = false;
        mailbox.taskTimes(threadId, takenAt, System.nanoTime());
    }
}
