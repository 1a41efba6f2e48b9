package dev.simpler.mailbox;

import static dev.simpler.mailbox.MailboxDescriptor.ERROR_OK;
import static dev.simpler.mailbox.MailboxDescriptor.STATE_IDLE;
import static dev.simpler.mailbox.MailboxDescriptor.STATE_SHUTDOWN;
import static dev.simpler.mailbox.MailboxDescriptor.STATE_TASK_DONE;
import static dev.simpler.mailbox.MailboxDescriptor.STATE_TASK_READY;

import org.agrona.concurrent.AtomicBuffer;

/**
 * The parent's side of the mailbox handshake (SPEC §7): write a task while the mailbox is IDLE and publish it
 * with a release store of TASK_READY; poll for TASK_DONE with acquire loads; take the result and hand the
 * mailbox back by storing IDLE. Polling never blocks, so one thread can drive many mailboxes.
 *
 * <p>Not thread-safe: one parent thread drives a mailbox.
 */
public final class ParentMailbox
{
    private final MailboxFlyweight mailbox = new MailboxFlyweight();
    private final String name;
    private boolean taskInFlight;

    /**
     * The parent side of a mailbox.
     *
     * @param buffer the mailbox memory, {@link MailboxDescriptor#MAILBOX_LENGTH} bytes.
     * @param name   who is behind the mailbox, for messages (e.g. "child pid 1234").
     */
    public ParentMailbox(final AtomicBuffer buffer, final String name)
    {
        this(buffer, name, MailboxDescriptor.MAILBOX_LENGTH);
    }

    /**
     * The parent side of a mailbox of a given length (SPEC §7, {@code Worker.Builder.mailboxSize}).
     *
     * @param buffer        the mailbox memory, at least {@code mailboxLength} bytes.
     * @param name          who is behind the mailbox, for messages.
     * @param mailboxLength a power of two from 4096 to 65536.
     */
    public ParentMailbox(final AtomicBuffer buffer, final String name, final int mailboxLength)
    {
        mailbox.wrap(buffer, 0, mailboxLength);
        this.name = name;
    }

    /**
     * The flyweight, for fields the protocol steps do not cover.
     *
     * @return the mailbox flyweight.
     */
    public MailboxFlyweight flyweight()
    {
        return mailbox;
    }

    /**
     * Zero the mailbox for a new child; any task in flight is forgotten (its child is gone).
     */
    public void reset()
    {
        taskInFlight = false;
        mailbox.clear();
    }

    /**
     * Whether a task was published and its result not yet taken.
     *
     * @return true between {@link #publishTask()} and {@link #takeResult()}.
     */
    public boolean taskInFlight()
    {
        return taskInFlight;
    }

    /**
     * Start writing a task: its callable and launch configuration. Write the args blob through
     * {@link #argsBlob()} next, then {@link #publishTask()}.
     *
     * @param callable         callable id or handle.
     * @param blockDim         launch configuration.
     * @param aicpuThreadNum   launch configuration.
     * @param enableProfiling  launch configuration.
     * @param enableDumpTensor launch configuration.
     * @return the args blob flyweight to fill.
     * @throws IllegalStateException when a task is still in flight.
     */
    public ArgsBlobFlyweight beginTask(
        final long callable,
        final int blockDim,
        final int aicpuThreadNum,
        final boolean enableProfiling,
        final boolean enableDumpTensor)
    {
        if (taskInFlight)
        {
            throw new IllegalStateException(name + ": a task is still in flight in this mailbox");
        }
        mailbox.error(ERROR_OK)
            .callable(callable)
            .blockDim(blockDim)
            .aicpuThreadNum(aicpuThreadNum)
            .enableProfiling(enableProfiling)
            .enableDumpTensor(enableDumpTensor);
        return mailbox.argsBlob();
    }

    /**
     * The args blob of the task being written.
     *
     * @return the blob flyweight.
     */
    public ArgsBlobFlyweight argsBlob()
    {
        return mailbox.argsBlob();
    }

    /**
     * Ask the child to time the task being written (SPEC §14): it writes when it took and finished the task, and
     * the id of its thread, before TASK_DONE. Call between {@link #beginTask} and {@link #publishTask()}; read the
     * times through {@link #flyweight()} once the task is done, then {@link #forgetTaskTimes()}.
     */
    public void requestTaskTimes()
    {
        mailbox.traceWord(MailboxDescriptor.TRACE_REQUESTED);
    }

    /**
     * Zero the trace word and the times, so that the next task is not timed unless asked and no old times are
     * read for it.
     */
    public void forgetTaskTimes()
    {
        mailbox.taskTimes(0, 0, 0);
    }

    /**
     * Publish the written task: a release store of TASK_READY.
     */
    public void publishTask()
    {
        taskInFlight = true;
        mailbox.taskTakenRelease(0);
        mailbox.stateRelease(STATE_TASK_READY);
    }

    /**
     * Whether the child took the task in flight: read after the child died, it tells a task the child never saw
     * (it can run elsewhere) from one it started (it failed with the child).
     *
     * @return true once the child marked the task taken.
     */
    public boolean wasTaskTaken()
    {
        return mailbox.taskTakenAcquire() != 0;
    }

    /**
     * Whether the child finished the task in flight.
     *
     * @return true once the child stored TASK_DONE.
     * @throws MailboxProtocolException when the state word holds anything but TASK_READY or TASK_DONE.
     */
    public boolean isDone()
    {
        final int state = mailbox.stateAcquire();
        if (state == STATE_TASK_DONE)
        {
            return true;
        }
        if (state == STATE_TASK_READY)
        {
            return false;
        }
        throw new MailboxProtocolException(name + ": corrupt mailbox state while a task is in flight, expected "
            + "TASK_READY or TASK_DONE: state=" + MailboxDescriptor.stateName(state));
    }

    /**
     * Take the result of a finished task and hand the mailbox back (IDLE).
     *
     * @return the error code, 0 for success; read {@link #errorMessage()} before the next task when non-zero.
     */
    public int takeResult()
    {
        final int error = mailbox.error();
        taskInFlight = false;
        mailbox.stateRelease(STATE_IDLE);
        return error;
    }

    /**
     * The child's message for a failed task or a failed initialisation.
     *
     * @return the message.
     */
    public String errorMessage()
    {
        return mailbox.errorMessage();
    }

    /**
     * Tell an idle child to exit.
     */
    public void shutdown()
    {
        mailbox.stateRelease(STATE_SHUTDOWN);
    }

    /**
     * The child's start-up status.
     *
     * @return {@link MailboxDescriptor#CHILD_STARTING}, {@code CHILD_READY} or {@code CHILD_INIT_FAILED}.
     * @throws MailboxProtocolException for any other value.
     */
    public int childStatus()
    {
        final int status = mailbox.childStatusAcquire();
        if (!MailboxDescriptor.isValidChildStatus(status))
        {
            throw new MailboxProtocolException(name + ": corrupt child status, must be in 0..2: status=" + status);
        }
        return status;
    }

    /**
     * The pid the child wrote when it started.
     *
     * @return the pid, 0 before the child wrote it.
     */
    public int childPid()
    {
        return mailbox.childPid();
    }
}
