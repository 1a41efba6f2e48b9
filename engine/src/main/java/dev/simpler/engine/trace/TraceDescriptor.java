package dev.simpler.engine.trace;

/**
 * Layout of one record of a {@link TraceBuffer}: eight longs (64 bytes) in the buffer's {@code long[]}, one record
 * per event. Every field has a named index here, and what it holds depends on the record's type:
 * <pre>
 *  index | SUBMIT           | READY        | DEPENDENCY      | TASK                      | RUN_BEGIN | RUN_END
 *  ------+------------------+--------------+-----------------+---------------------------+-----------+-----------
 *    0   | type, kind       | type         | type            | type, kind, flags, member | type      | type, flags
 *    1   | time             | time         | 0               | start                     | time      | time
 *    2   | -                | -            | -               | end                       | -         | -
 *    3   | claim            | claim        | consumer claim  | claim                     | -         | -
 *    4   | slot, run        | slot, run    | -               | slot, run                 | run       | run
 *    5   | callable         | -            | producer claim  | callable                  | -         | failed
 *    6   | -                | -            | -               | child pid, child thread   | -         | skipped
 *    7   | members          | -            | -               | worker, members           | -         | -
 * </pre>
 * Times are {@link System#nanoTime()}; a claim numbers a task uniquely among its engine's tasks (the slot table's
 * claim count), a slot is reused. Two ints share a long as {@code low | high << 32}.
 */
final class TraceDescriptor
{
    /** Longs per record. */
    static final int RECORD_LONGS = 8;
    /** log2 of {@link #RECORD_LONGS}. */
    static final int RECORD_SHIFT = 3;

    /** Type (bits 0-7), task kind (8-15), flags (16-31) and group member (32-63). */
    static final int HEADER = 0;
    /** The time of the event, or the start of a task's run. */
    static final int TIME = 1;
    /** The end of a task's run. */
    static final int END_TIME = 2;
    /** The task's claim number (SUBMIT, READY, TASK), or the consumer's (DEPENDENCY). */
    static final int CLAIM = 3;
    /** Slot (low) and run (high); the run alone for RUN_BEGIN and RUN_END. */
    static final int SLOT_RUN = 4;
    /** The callable id or handle (SUBMIT, TASK), the producer's claim (DEPENDENCY), failed tasks (RUN_END). */
    static final int CALLABLE = 5;
    /** The producer's claim of a DEPENDENCY record. */
    static final int PRODUCER_CLAIM = 5;
    /** Failed tasks of a finished run. */
    static final int FAILED_TASKS = 5;
    /** Child pid (low) and the child's thread id (high) of a task run in a child; 0 for the recording thread. */
    static final int PROCESS_THREAD = 6;
    /** Skipped tasks of a finished run. */
    static final int SKIPPED_TASKS = 6;
    /** Worker id (low, from {@link Tracer#worker}) and group size (high). */
    static final int WORKER_MEMBERS = 7;

    /** A task was submitted, on the orchestrating thread. */
    static final int SUBMIT = 1;
    /** A task became ready: published to its ready queue or handed to a worker, on the thread that made it so. */
    static final int READY = 2;
    /** A consumer was wired to a producer, on the orchestrating thread. */
    static final int DEPENDENCY = 3;
    /** A member of a task ran, recorded after it finished. */
    static final int TASK = 4;
    /** A run began, on the thread submitting it. */
    static final int RUN_BEGIN = 5;
    /** A run finished (or was abandoned), on the driving thread. */
    static final int RUN_END = 6;

    /** TASK flag: the member failed. */
    static final int FLAG_FAILED = 1;
    /** TASK flag: the times are the engine's (send to result) because the child did not report its own. */
    static final int FLAG_ENGINE_CLOCK = 2;
    /** RUN_END flag: the run was abandoned (the engine broke or closed). */
    static final int FLAG_ABANDONED = 4;

    private TraceDescriptor()
    {
    }

    static long header(final int type, final int kind, final int flags, final int member)
    {
        return (type & 0xffL) | (kind & 0xffL) << 8 | (flags & 0xffffL) << 16 | (long)member << 32;
    }

    static int type(final long header)
    {
        return (int)(header & 0xff);
    }

    static int kind(final long header)
    {
        return (int)(header >>> 8 & 0xff);
    }

    static int flags(final long header)
    {
        return (int)(header >>> 16 & 0xffff);
    }

    static int member(final long header)
    {
        return (int)(header >>> 32);
    }

    static long pair(final int low, final int high)
    {
        return (low & 0xffffffffL) | (long)high << 32;
    }

    static int low(final long pair)
    {
        return (int)pair;
    }

    static int high(final long pair)
    {
        return (int)(pair >>> 32);
    }
}
