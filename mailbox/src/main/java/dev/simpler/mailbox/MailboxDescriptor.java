package dev.simpler.mailbox;

/**
 * Layout of the 4096-byte mailbox shared by the engine and one child process (SPEC §7), with its state, error and
 * child status codes. The layout is byte-compatible with the upstream simpler runtime's.
 * <p>
 * All multi-byte fields are little-endian:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                          State (i32)                          |  0
 *  +---------------------------------------------------------------+
 *  |                          Error (i32)                          |  4
 *  +---------------------------------------------------------------+
 *  |                        Callable (u64)                         |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Block Dim (i32)                        | 16
 *  +---------------------------------------------------------------+
 *  |                     AICPU Thread Num (i32)                    | 20
 *  +---------------------------------------------------------------+
 *  |                    Enable Profiling (i32)                     | 24
 *  +---------------------------------------------------------------+
 *  |                   Enable Dump Tensor (i32)                    | 28
 *  +---------------------------------------------------------------+
 *  |                        Child Pid (i32)                        | 32
 *  +---------------------------------------------------------------+
 *  |                      Child Status (i32)                       | 36
 *  +---------------------------------------------------------------+
 *  |                       Task Taken (i32)                        | 40
 *  +---------------------------------------------------------------+
 *  |                       Trace Word (i32)                        | 44
 *  +---------------------------------------------------------------+
 *  |                     Task Start Ns (u64)                       | 48
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      Task End Ns (u64)                        | 56
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |              Args Blob or Error Message (4032 bytes)         ...  64
 * ...                                                              |
 *  +---------------------------------------------------------------+
 * </pre>
 * Handshake: the parent writes callable, config and blob, then stores {@link #STATE_TASK_READY} with release; the
 * child loads the state with acquire, runs the task, writes the error, then stores {@link #STATE_TASK_DONE} with
 * release; the parent loads {@link #STATE_TASK_DONE} with acquire, reads the error, and stores {@link #STATE_IDLE}.
 * {@link #STATE_SHUTDOWN} tells an idle child to exit.
 * <p>
 * Bytes 40..63 are reserved and zero in the upstream layout; this one uses them for extensions that are zero
 * unless both sides know them: the task-taken flag, and the trace word with the child's times of a traced task
 * (SPEC §14). An upstream child ignores them, an upstream parent never asks for times.
 */
public final class MailboxDescriptor
{
    /** Length of a mailbox in bytes: the default, byte-compatible with the upstream runtime, and the smallest. */
    public static final int MAILBOX_LENGTH = 4096;

    /** The largest mailbox; a mailbox is a power of two from {@link #MAILBOX_LENGTH} to this (SPEC §7). */
    public static final int MAX_MAILBOX_LENGTH = 65536;

    /** Required alignment of a mailbox, so the state and status words can be accessed atomically. */
    public static final int MAILBOX_ALIGNMENT = 8;

    /** Offset of the i32 state, one of the {@code STATE_*} codes; stored with release, loaded with acquire. */
    public static final int STATE_OFFSET = 0;

    /** Offset of the i32 error, one of the {@code ERROR_*} codes; written by the child before TASK_DONE. */
    public static final int ERROR_OFFSET = 4;

    /** Offset of the u64 callable: a sub callable id, or a next-level chip callable handle. */
    public static final int CALLABLE_OFFSET = 8;

    /** Offset of the i32 blockDim of the task's call config. */
    public static final int BLOCK_DIM_OFFSET = 16;

    /** Offset of the i32 aicpuThreadNum of the task's call config. */
    public static final int AICPU_THREAD_NUM_OFFSET = 20;

    /** Offset of the i32 enableProfiling flag, 0 or 1. */
    public static final int ENABLE_PROFILING_OFFSET = 24;

    /** Offset of the i32 enableDumpTensor flag, 0 or 1. */
    public static final int ENABLE_DUMP_TENSOR_OFFSET = 28;

    /** Offset of the i32 child pid, an extension: written by the child before it reports ready. */
    public static final int CHILD_PID_OFFSET = 32;

    /** Offset of the i32 child status, an extension: one of the {@code CHILD_*} codes; release/acquire. */
    public static final int CHILD_STATUS_OFFSET = 36;

    /**
     * Offset of the i32 task-taken flag, an extension: the parent stores 0 with the task, the child stores 1 (release)
     * when it takes the task, before it runs anything of it. A child that dies with the flag still 0 never saw the
     * task, so the parent can give it to another child.
     */
    public static final int TASK_TAKEN_OFFSET = 40;

    /**
     * Offset of the i32 trace word, an extension (SPEC §14): the parent stores {@link #TRACE_REQUESTED} with a task
     * to have the child time it, and leaves it 0 otherwise; a child that timed the task stores its task thread's id
     * there (a positive number) together with the two times below, before TASK_DONE. The parent sets it back to 0
     * when it has read them. A child that does not know the word leaves it as it is and the times zero.
     */
    public static final int TRACE_OFFSET = 44;

    /**
     * Offset of the u64 time at which the child took a traced task, on the child's {@code System.nanoTime()} clock
     * (CLOCK_MONOTONIC on Linux, the parent's clock too); 0 when the task was not timed.
     */
    public static final int TASK_START_NS_OFFSET = 48;

    /** Offset of the u64 time at which the child finished a traced task, just before TASK_DONE; 0 when not timed. */
    public static final int TASK_END_NS_OFFSET = 56;

    /** Trace word: the parent asks the child to time the task (a thread id is never negative). */
    public static final int TRACE_REQUESTED = -1;

    /** Offset of the args area: the args blob of a task, or the error message after a failure. */
    public static final int ARGS_OFFSET = 64;

    /** Capacity of the args area in bytes. */
    public static final int ARGS_CAPACITY = MAILBOX_LENGTH - ARGS_OFFSET;

    /** Offset of the i32 length of the UTF-8 error message, which reuses the args area. */
    public static final int ERROR_MESSAGE_LENGTH_OFFSET = ARGS_OFFSET;

    /** Offset of the UTF-8 bytes of the error message. */
    public static final int ERROR_MESSAGE_OFFSET = ERROR_MESSAGE_LENGTH_OFFSET + 4;

    /** Maximum length in bytes of the UTF-8 error message; longer messages are truncated. */
    public static final int ERROR_MESSAGE_CAPACITY = MAILBOX_LENGTH - ERROR_MESSAGE_OFFSET;

    /** State: no task; the parent may write one, or SHUTDOWN. */
    public static final int STATE_IDLE = 0;

    /** State: the parent has published a task for the child. */
    public static final int STATE_TASK_READY = 1;

    /** State: the child has finished the task and written the error. */
    public static final int STATE_TASK_DONE = 2;

    /** State: the child must exit. */
    public static final int STATE_SHUTDOWN = 3;

    /** Error: the task succeeded. */
    public static final int ERROR_OK = 0;

    /** Error: unknown callable, or the run failed. */
    public static final int ERROR_RUN_FAILED = 1;

    /** Error: the callable threw. */
    public static final int ERROR_CALLABLE_THREW = 2;

    /** Error: the child failed to initialise. */
    public static final int ERROR_CHILD_INIT_FAILED = 99;

    /** Child status: the child is starting. */
    public static final int CHILD_STARTING = 0;

    /** Child status: the child is ready for tasks. */
    public static final int CHILD_READY = 1;

    /** Child status: the child failed to initialise; the error message says why. */
    public static final int CHILD_INIT_FAILED = 2;

    private static final String[] STATE_NAMES = { "IDLE", "TASK_READY", "TASK_DONE", "SHUTDOWN" };
    private static final String[] CHILD_STATUS_NAMES = { "STARTING", "READY", "INIT_FAILED" };

    private MailboxDescriptor()
    {
    }

    /**
     * Is the value a mailbox length: a power of two from {@link #MAILBOX_LENGTH} to {@link #MAX_MAILBOX_LENGTH}?
     *
     * @param length bytes.
     * @return true when a mailbox may have it.
     */
    public static boolean isValidMailboxLength(final int length)
    {
        return length >= MAILBOX_LENGTH && length <= MAX_MAILBOX_LENGTH && Integer.bitCount(length) == 1;
    }

    /**
     * Capacity of the args area of a mailbox of {@code length} bytes.
     *
     * @param length a mailbox length.
     * @return {@code length - ARGS_OFFSET}.
     */
    public static int argsCapacity(final int length)
    {
        return length - ARGS_OFFSET;
    }

    /**
     * The smallest mailbox whose args area holds {@code argsBytes}, or -1 when none does.
     *
     * @param argsBytes bytes of an args blob.
     * @return a mailbox length, or -1.
     */
    public static int mailboxLengthFor(final long argsBytes)
    {
        for (int length = MAILBOX_LENGTH; length <= MAX_MAILBOX_LENGTH; length <<= 1)
        {
            if (argsBytes <= argsCapacity(length))
            {
                return length;
            }
        }
        return -1;
    }

    /**
     * Is the value one of the state codes?
     *
     * @param state value read from the state field.
     * @return true for {@link #STATE_IDLE}..{@link #STATE_SHUTDOWN}.
     */
    public static boolean isValidState(final int state)
    {
        return state >= STATE_IDLE && state <= STATE_SHUTDOWN;
    }

    /**
     * Name of a state code for messages.
     *
     * @param state value read from the state field.
     * @return e.g. {@code "TASK_READY"}, or {@code "UNKNOWN(17)"} for a value that is not a state.
     */
    public static String stateName(final int state)
    {
        return isValidState(state) ? STATE_NAMES[state] : "UNKNOWN(" + state + ")";
    }

    /**
     * Check a value read from the state field is a state, so a corrupt mailbox is reported instead of waited on.
     *
     * @param state value read from the state field.
     * @return {@code state}.
     * @throws IllegalStateException if it is not one of the state codes.
     */
    public static int checkState(final int state)
    {
        if (!isValidState(state))
        {
            throw new IllegalStateException("corrupt mailbox state, must be in " + STATE_IDLE + ".." + STATE_SHUTDOWN +
                ": state=" + state);
        }

        return state;
    }

    /**
     * Is the value one of the child status codes?
     *
     * @param status value read from the child status field.
     * @return true for {@link #CHILD_STARTING}..{@link #CHILD_INIT_FAILED}.
     */
    public static boolean isValidChildStatus(final int status)
    {
        return status >= CHILD_STARTING && status <= CHILD_INIT_FAILED;
    }

    /**
     * Name of a child status code for messages.
     *
     * @param status value read from the child status field.
     * @return e.g. {@code "READY"}, or {@code "UNKNOWN(7)"} for a value that is not a status.
     */
    public static String childStatusName(final int status)
    {
        return isValidChildStatus(status) ? CHILD_STATUS_NAMES[status] : "UNKNOWN(" + status + ")";
    }

    /**
     * Name of an error code for messages.
     *
     * @param error value read from the error field.
     * @return e.g. {@code "CALLABLE_THREW"}, or {@code "UNKNOWN(5)"} for a value that is not an error code.
     */
    public static String errorName(final int error)
    {
        switch (error)
        {
            case ERROR_OK:
                return "OK";
            case ERROR_RUN_FAILED:
                return "RUN_FAILED";
            case ERROR_CALLABLE_THREW:
                return "CALLABLE_THREW";
            case ERROR_CHILD_INIT_FAILED:
                return "CHILD_INIT_FAILED";
            default:
                return "UNKNOWN(" + error + ")";
        }
    }
}
