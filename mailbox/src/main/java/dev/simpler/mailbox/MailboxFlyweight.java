package dev.simpler.mailbox;

import static dev.simpler.mailbox.MailboxDescriptor.AICPU_THREAD_NUM_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.ARGS_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.BLOCK_DIM_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.CALLABLE_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.CHILD_PID_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.CHILD_STATUS_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.ENABLE_DUMP_TENSOR_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.ENABLE_PROFILING_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.ERROR_MESSAGE_LENGTH_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.ERROR_MESSAGE_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.ERROR_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.MAILBOX_ALIGNMENT;
import static dev.simpler.mailbox.MailboxDescriptor.MAILBOX_LENGTH;
import static dev.simpler.mailbox.MailboxDescriptor.STATE_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.TASK_END_NS_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.TASK_START_NS_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.TASK_TAKEN_OFFSET;
import static dev.simpler.mailbox.MailboxDescriptor.TRACE_OFFSET;
import static java.nio.ByteOrder.LITTLE_ENDIAN;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteOrder;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Flyweight over one mailbox laid out by {@link MailboxDescriptor}, used by both the engine (parent) and the child.
 * <p>
 * The state and child status words carry the handshake: they are stored with release and loaded with acquire, so
 * every plain field written before a store is visible to the side that loads the new value. The other fields are
 * plain and little-endian. The single writer of each field follows from the handshake: the parent owns the mailbox
 * while the state is IDLE, the child while it is TASK_READY.
 * <p>
 * One instance, and the one {@link ArgsBlobFlyweight} it hands out, is reused; only the error message methods
 * allocate. Not thread-safe: one thread uses an instance at a time.
 */
public final class MailboxFlyweight
{
    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == LITTLE_ENDIAN;

    private final ArgsBlobFlyweight argsBlob = new ArgsBlobFlyweight();
    private AtomicBuffer buffer;
    private int offset;
    private int length = MAILBOX_LENGTH;

    /**
     * A mailbox flyweight that wraps nothing yet: {@link #wrap} gives it a mailbox.
     */
    public MailboxFlyweight()
    {
    }

    /**
     * Wrap a mailbox.
     *
     * @param buffer holding the mailbox, typically over a {@link SharedMemoryFile}.
     * @param offset of the mailbox in the buffer, a multiple of {@link MailboxDescriptor#MAILBOX_ALIGNMENT}.
     * @return this for a fluent API.
     * @throws IllegalArgumentException if the buffer does not hold {@link MailboxDescriptor#MAILBOX_LENGTH} bytes at
     *                                  {@code offset} or the mailbox is misaligned.
     */
    public MailboxFlyweight wrap(final AtomicBuffer buffer, final int offset)
    {
        return wrap(buffer, offset, MAILBOX_LENGTH);
    }

    /**
     * Wrap a mailbox of a given length, whose args area is {@code mailboxLength - ARGS_OFFSET} bytes (SPEC §7).
     *
     * @param buffer        holding the mailbox.
     * @param offset        of the mailbox in the buffer, a multiple of {@link MailboxDescriptor#MAILBOX_ALIGNMENT}.
     * @param mailboxLength a power of two from {@link MailboxDescriptor#MAILBOX_LENGTH} to
     *                      {@link MailboxDescriptor#MAX_MAILBOX_LENGTH}.
     * @return this for a fluent API.
     * @throws IllegalArgumentException for a length that is not a mailbox length, a buffer that does not hold it at
     *                                  {@code offset}, or a misaligned mailbox.
     */
    public MailboxFlyweight wrap(final AtomicBuffer buffer, final int offset, final int mailboxLength)
    {
        if (!MailboxDescriptor.isValidMailboxLength(mailboxLength))
        {
            throw new IllegalArgumentException("a mailbox is a power of two of " + MAILBOX_LENGTH + " to "
                + MailboxDescriptor.MAX_MAILBOX_LENGTH + " bytes: mailboxLength=" + mailboxLength);
        }
        if (null == buffer)
        {
            throw new IllegalArgumentException("buffer must not be null: offset=" + offset);
        }

        final int capacity = buffer.capacity();
        if (offset < 0 || offset > capacity - mailboxLength)
        {
            throw new IllegalArgumentException("mailbox must fit the buffer: offset=" + offset +
                ", mailboxLength=" + mailboxLength + ", capacity=" + capacity);
        }

        final long addressOffset = buffer.addressOffset() + offset;
        if ((addressOffset & (MAILBOX_ALIGNMENT - 1)) != 0)
        {
            throw new IllegalArgumentException("mailbox must be " + MAILBOX_ALIGNMENT + "-byte aligned: offset=" +
                offset + ", addressOffset=" + addressOffset);
        }

        this.buffer = buffer;
        this.offset = offset;
        this.length = mailboxLength;
        argsBlob.wrap(buffer, offset + ARGS_OFFSET, mailboxLength - ARGS_OFFSET);
        return this;
    }

    /**
     * Length of the wrapped mailbox.
     *
     * @return bytes, {@link MailboxDescriptor#MAILBOX_LENGTH} unless wrapped with another length.
     */
    public int length()
    {
        return length;
    }

    private int errorMessageCapacity()
    {
        return length - ERROR_MESSAGE_OFFSET;
    }

    /**
     * The buffer currently wrapped.
     *
     * @return the buffer, or null before the first wrap.
     */
    public AtomicBuffer buffer()
    {
        return buffer;
    }

    /**
     * Offset of the mailbox in its buffer.
     *
     * @return the offset.
     */
    public int offset()
    {
        return offset;
    }

    /**
     * Load the state with acquire semantics. The value comes from another process and may be corrupt; check it with
     * {@link MailboxDescriptor#isValidState(int)} or {@link MailboxDescriptor#checkState(int)}.
     *
     * @return the raw state value.
     */
    public int stateAcquire()
    {
        return fromLittleEndian(buffer.getIntAcquire(offset + STATE_OFFSET));
    }

    /**
     * Store the state with release semantics, publishing every field written before it.
     *
     * @param state one of the {@code STATE_*} codes.
     * @return this for a fluent API.
     * @throws IllegalArgumentException if {@code state} is not a state code.
     */
    public MailboxFlyweight stateRelease(final int state)
    {
        checkStateArgument(state);
        buffer.putIntRelease(offset + STATE_OFFSET, toLittleEndian(state));
        return this;
    }

    /**
     * Atomically move the state from {@code expectedState} to {@code newState}, with volatile semantics.
     *
     * @param expectedState state the caller believes is current.
     * @param newState      one of the {@code STATE_*} codes.
     * @return true if the state was {@code expectedState} and is now {@code newState}.
     * @throws IllegalArgumentException if {@code newState} is not a state code.
     */
    public boolean compareAndSetState(final int expectedState, final int newState)
    {
        checkStateArgument(newState);
        return buffer.compareAndSetInt(
            offset + STATE_OFFSET, toLittleEndian(expectedState), toLittleEndian(newState));
    }

    /**
     * The error code of the last task.
     *
     * @return one of the {@code ERROR_*} codes, or any value the child wrote.
     */
    public int error()
    {
        return buffer.getInt(offset + ERROR_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Set the error code; the child writes it before storing TASK_DONE.
     *
     * @param error one of the {@code ERROR_*} codes.
     * @return this for a fluent API.
     */
    public MailboxFlyweight error(final int error)
    {
        buffer.putInt(offset + ERROR_OFFSET, error, LITTLE_ENDIAN);
        return this;
    }

    /**
     * The callable to run.
     *
     * @return a sub callable id, or a chip callable handle.
     */
    public long callable()
    {
        return buffer.getLong(offset + CALLABLE_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Set the callable to run.
     *
     * @param callable a sub callable id, or a chip callable handle.
     * @return this for a fluent API.
     */
    public MailboxFlyweight callable(final long callable)
    {
        buffer.putLong(offset + CALLABLE_OFFSET, callable, LITTLE_ENDIAN);
        return this;
    }

    /**
     * The blockDim of the task's call config.
     *
     * @return the block dimension.
     */
    public int blockDim()
    {
        return buffer.getInt(offset + BLOCK_DIM_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Set the blockDim of the task's call config.
     *
     * @param blockDim the block dimension.
     * @return this for a fluent API.
     */
    public MailboxFlyweight blockDim(final int blockDim)
    {
        buffer.putInt(offset + BLOCK_DIM_OFFSET, blockDim, LITTLE_ENDIAN);
        return this;
    }

    /**
     * The aicpuThreadNum of the task's call config.
     *
     * @return the AICPU thread count.
     */
    public int aicpuThreadNum()
    {
        return buffer.getInt(offset + AICPU_THREAD_NUM_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Set the aicpuThreadNum of the task's call config.
     *
     * @param aicpuThreadNum the AICPU thread count.
     * @return this for a fluent API.
     */
    public MailboxFlyweight aicpuThreadNum(final int aicpuThreadNum)
    {
        buffer.putInt(offset + AICPU_THREAD_NUM_OFFSET, aicpuThreadNum, LITTLE_ENDIAN);
        return this;
    }

    /**
     * The enableProfiling flag of the task's call config.
     *
     * @return true if the stored value is non-zero.
     */
    public boolean enableProfiling()
    {
        return buffer.getInt(offset + ENABLE_PROFILING_OFFSET, LITTLE_ENDIAN) != 0;
    }

    /**
     * Set the enableProfiling flag of the task's call config, stored as 1 or 0.
     *
     * @param enableProfiling the flag.
     * @return this for a fluent API.
     */
    public MailboxFlyweight enableProfiling(final boolean enableProfiling)
    {
        buffer.putInt(offset + ENABLE_PROFILING_OFFSET, enableProfiling ? 1 : 0, LITTLE_ENDIAN);
        return this;
    }

    /**
     * The enableDumpTensor flag of the task's call config.
     *
     * @return true if the stored value is non-zero.
     */
    public boolean enableDumpTensor()
    {
        return buffer.getInt(offset + ENABLE_DUMP_TENSOR_OFFSET, LITTLE_ENDIAN) != 0;
    }

    /**
     * Set the enableDumpTensor flag of the task's call config, stored as 1 or 0.
     *
     * @param enableDumpTensor the flag.
     * @return this for a fluent API.
     */
    public MailboxFlyweight enableDumpTensor(final boolean enableDumpTensor)
    {
        buffer.putInt(offset + ENABLE_DUMP_TENSOR_OFFSET, enableDumpTensor ? 1 : 0, LITTLE_ENDIAN);
        return this;
    }

    /**
     * The child's pid; valid once the child status has been loaded as ready.
     *
     * @return the pid the child wrote, 0 before.
     */
    public int childPid()
    {
        return buffer.getInt(offset + CHILD_PID_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Set the child's pid; the child writes it before storing its status.
     *
     * @param childPid the child's pid.
     * @return this for a fluent API.
     */
    public MailboxFlyweight childPid(final int childPid)
    {
        buffer.putInt(offset + CHILD_PID_OFFSET, childPid, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Load the child status with acquire semantics.
     *
     * @return the raw status value; check it with {@link MailboxDescriptor#isValidChildStatus(int)}.
     */
    public int childStatusAcquire()
    {
        return fromLittleEndian(buffer.getIntAcquire(offset + CHILD_STATUS_OFFSET));
    }

    /**
     * Store the child status with release semantics, publishing the pid and any error message written before it.
     *
     * @param childStatus one of the {@code CHILD_*} codes.
     * @return this for a fluent API.
     * @throws IllegalArgumentException if {@code childStatus} is not a status code.
     */
    public MailboxFlyweight childStatusRelease(final int childStatus)
    {
        if (!MailboxDescriptor.isValidChildStatus(childStatus))
        {
            throw new IllegalArgumentException("child status must be in " + MailboxDescriptor.CHILD_STARTING + ".." +
                MailboxDescriptor.CHILD_INIT_FAILED + ": childStatus=" + childStatus);
        }

        buffer.putIntRelease(offset + CHILD_STATUS_OFFSET, toLittleEndian(childStatus));
        return this;
    }

    /**
     * Load the task-taken flag with acquire semantics.
     *
     * @return 1 once the child took the task in flight, 0 before.
     */
    public int taskTakenAcquire()
    {
        return fromLittleEndian(buffer.getIntAcquire(offset + TASK_TAKEN_OFFSET));
    }

    /**
     * Store the task-taken flag with release semantics.
     *
     * @param taken 0 (the parent, with a new task) or 1 (the child, when it takes the task).
     * @return this for a fluent API.
     */
    public MailboxFlyweight taskTakenRelease(final int taken)
    {
        buffer.putIntRelease(offset + TASK_TAKEN_OFFSET, toLittleEndian(taken));
        return this;
    }

    /**
     * The trace word (SPEC §14): {@link MailboxDescriptor#TRACE_REQUESTED} from the parent, the id of the thread
     * that ran the task from a child that timed it, or 0.
     *
     * @return the word.
     */
    public int traceWord()
    {
        return buffer.getInt(offset + TRACE_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Set the trace word; published by the next release store of the state.
     *
     * @param word {@link MailboxDescriptor#TRACE_REQUESTED}, a thread id, or 0.
     * @return this for a fluent API.
     */
    public MailboxFlyweight traceWord(final int word)
    {
        buffer.putInt(offset + TRACE_OFFSET, word, LITTLE_ENDIAN);
        return this;
    }

    /**
     * When the child took a traced task.
     *
     * @return {@code System.nanoTime()} in the child, or 0 when the task was not timed.
     */
    public long taskStartNs()
    {
        return buffer.getLong(offset + TASK_START_NS_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * When the child finished a traced task.
     *
     * @return {@code System.nanoTime()} in the child, or 0 when the task was not timed.
     */
    public long taskEndNs()
    {
        return buffer.getLong(offset + TASK_END_NS_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Write the times of a traced task and the id of the thread that ran it; the child does this before TASK_DONE,
     * the parent writes zeros once it read them.
     *
     * @param threadId the child's task thread, or 0.
     * @param startNs  when the child took the task.
     * @param endNs    when it finished it.
     * @return this for a fluent API.
     */
    public MailboxFlyweight taskTimes(final int threadId, final long startNs, final long endNs)
    {
        buffer.putLong(offset + TASK_START_NS_OFFSET, startNs, LITTLE_ENDIAN);
        buffer.putLong(offset + TASK_END_NS_OFFSET, endNs, LITTLE_ENDIAN);
        buffer.putInt(offset + TRACE_OFFSET, threadId, LITTLE_ENDIAN);
        return this;
    }

    /**
     * The args blob over the args area (the mailbox's length less {@link MailboxDescriptor#ARGS_OFFSET}) at
     * {@link MailboxDescriptor#ARGS_OFFSET}. The returned object is the same on every call.
     *
     * @return the reused args blob flyweight.
     */
    public ArgsBlobFlyweight argsBlob()
    {
        return argsBlob;
    }

    /**
     * Write an error message into the args area as {@code [i32 length][UTF-8 bytes]}, truncated on a character
     * boundary to what the args area holds after the length word. This overwrites any args blob.
     *
     * @param message text to write; null is written as an empty message.
     * @return the number of UTF-8 bytes written.
     */
    public int putErrorMessage(final String message)
    {
        final byte[] bytes = null == message ? new byte[0] : message.getBytes(UTF_8);
        int length = bytes.length;
        final int capacity = errorMessageCapacity();
        if (length > capacity)
        {
            length = capacity;
            while (length > 0 && isUtf8ContinuationByte(bytes[length]))
            {
                length--;
            }
        }

        buffer.putBytes(offset + ERROR_MESSAGE_OFFSET, bytes, 0, length);
        buffer.putInt(offset + ERROR_MESSAGE_LENGTH_OFFSET, length, LITTLE_ENDIAN);
        return length;
    }

    /**
     * Read the error message from the args area. A length outside what the args area holds
     * yields a message that says the mailbox is corrupt instead of an exception; invalid UTF-8 is replaced.
     *
     * @return the message.
     */
    public String errorMessage()
    {
        final int length = buffer.getInt(offset + ERROR_MESSAGE_LENGTH_OFFSET, LITTLE_ENDIAN);
        if (length < 0 || length > errorMessageCapacity())
        {
            return "corrupt error message in mailbox, length must be in 0.." + errorMessageCapacity() + ": length=" +
                length;
        }

        return buffer.getStringWithoutLengthUtf8(offset + ERROR_MESSAGE_OFFSET, length);
    }

    /**
     * Zero the whole mailbox with plain stores. Only for a mailbox no other process is using yet (or any more).
     *
     * @return this for a fluent API.
     */
    public MailboxFlyweight clear()
    {
        buffer.setMemory(offset, length, (byte)0);
        return this;
    }

    /**
     * Describe the fixed fields for diagnostics; allocates.
     *
     * @return the fields as text.
     */
    @Override
    public String toString()
    {
        if (null == buffer)
        {
            return "MailboxFlyweight{unwrapped}";
        }

        return "MailboxFlyweight{offset=" + offset +
            ", state=" + MailboxDescriptor.stateName(stateAcquire()) +
            ", error=" + MailboxDescriptor.errorName(error()) +
            ", callable=" + callable() +
            ", blockDim=" + blockDim() +
            ", aicpuThreadNum=" + aicpuThreadNum() +
            ", enableProfiling=" + enableProfiling() +
            ", enableDumpTensor=" + enableDumpTensor() +
            ", childPid=" + childPid() +
            ", childStatus=" + MailboxDescriptor.childStatusName(childStatusAcquire()) + "}";
    }

    private static void checkStateArgument(final int state)
    {
        if (!MailboxDescriptor.isValidState(state))
        {
            throw new IllegalArgumentException("state must be in " + MailboxDescriptor.STATE_IDLE + ".." +
                MailboxDescriptor.STATE_SHUTDOWN + ": state=" + state);
        }
    }

    private static boolean isUtf8ContinuationByte(final byte b)
    {
        return (b & 0xC0) == 0x80;
    }

    // The atomic accessors use native order; the wire is little-endian on every platform.
    private static int toLittleEndian(final int value)
    {
        return NATIVE_LITTLE_ENDIAN ? value : Integer.reverseBytes(value);
    }

    private static int fromLittleEndian(final int value)
    {
        return NATIVE_LITTLE_ENDIAN ? value : Integer.reverseBytes(value);
    }
}
