package dev.simpler.engine.trace;

import static dev.simpler.engine.trace.TraceDescriptor.CALLABLE;
import static dev.simpler.engine.trace.TraceDescriptor.CLAIM;
import static dev.simpler.engine.trace.TraceDescriptor.DEPENDENCY;
import static dev.simpler.engine.trace.TraceDescriptor.END_TIME;
import static dev.simpler.engine.trace.TraceDescriptor.FAILED_TASKS;
import static dev.simpler.engine.trace.TraceDescriptor.HEADER;
import static dev.simpler.engine.trace.TraceDescriptor.PROCESS_THREAD;
import static dev.simpler.engine.trace.TraceDescriptor.PRODUCER_CLAIM;
import static dev.simpler.engine.trace.TraceDescriptor.READY;
import static dev.simpler.engine.trace.TraceDescriptor.RECORD_SHIFT;
import static dev.simpler.engine.trace.TraceDescriptor.RUN_BEGIN;
import static dev.simpler.engine.trace.TraceDescriptor.RUN_END;
import static dev.simpler.engine.trace.TraceDescriptor.SKIPPED_TASKS;
import static dev.simpler.engine.trace.TraceDescriptor.SLOT_RUN;
import static dev.simpler.engine.trace.TraceDescriptor.SUBMIT;
import static dev.simpler.engine.trace.TraceDescriptor.TASK;
import static dev.simpler.engine.trace.TraceDescriptor.TIME;
import static dev.simpler.engine.trace.TraceDescriptor.WORKER_MEMBERS;
import static dev.simpler.engine.trace.TraceDescriptor.header;
import static dev.simpler.engine.trace.TraceDescriptor.pair;

/**
 * The trace events one thread recorded, in a ring of fixed-size records laid out by {@link TraceDescriptor} in a
 * {@code long[]} allocated when tracing starts: recording allocates nothing. When the ring is full the newest
 * event overwrites the oldest, and {@link #dropped()} counts what was overwritten.
 *
 * <p>Single writer: the thread it is bound to ({@link #bind()}; asserted). It is read only once tracing stopped
 * and the engine is quiet (see {@code Worker.stopTrace}), which orders every write before the read.
 */
final class TraceBuffer
{
    private final long[] records;
    private final long mask;
    private long written;
    /** The newest time this thread read for an event: when it makes a task ready right after, that is the moment. */
    private long lastNs;
    private Thread thread;
    private String threadName;
    private int threadId;

    /**
     * A ring of {@code capacity} records.
     *
     * @param capacity a power of two.
     */
    TraceBuffer(final int capacity)
    {
        if (Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("capacity must be a power of two: " + capacity);
        }
        this.records = new long[capacity << RECORD_SHIFT];
        this.mask = capacity - 1;
    }

    /**
     * Make the calling thread the buffer's writer.
     */
    void bind()
    {
        thread = Thread.currentThread();
        threadName = thread.getName();
        threadId = ThreadIds.current();
    }

    String threadName()
    {
        return threadName;
    }

    int threadId()
    {
        return threadId;
    }

    int capacity()
    {
        return (int)mask + 1;
    }

    long written()
    {
        return written;
    }

    /**
     * Events overwritten because the ring was full.
     *
     * @return how many of the oldest events were dropped.
     */
    long dropped()
    {
        return Math.max(0, written - capacity());
    }

    /**
     * Records still held, oldest first.
     *
     * @return how many records {@link #recordAt} reads.
     */
    int size()
    {
        return (int)Math.min(written, capacity());
    }

    /**
     * Where the {@code i}th record still held starts in {@link #records()}.
     *
     * @param i 0 for the oldest held, up to {@link #size()} - 1.
     * @return the index of its first long.
     */
    int recordAt(final int i)
    {
        return (int)((written - size() + i) & mask) << RECORD_SHIFT;
    }

    long[] records()
    {
        return records;
    }

    /**
     * The newest time this thread recorded (a submit, the end of a task's run, a run's begin or end), or read for
     * it: a task that the thread makes ready right after became ready then, and its clock is not read again.
     *
     * @return the time, or 0 before any.
     */
    long lastNs()
    {
        return lastNs;
    }

    /**
     * Note the time the engine saw something happen without a record of its own (a child's result taken).
     *
     * @param timeNs the time.
     */
    void saw(final long timeNs)
    {
        lastNs = timeNs;
    }

    void submit(
        final long time, final long claim, final int slot, final int run, final int kind, final long callable,
        final int members)
    {
        final int at = next();
        records[at + HEADER] = header(SUBMIT, kind, 0, 0);
        records[at + TIME] = time;
        lastNs = time;
        records[at + CLAIM] = claim;
        records[at + SLOT_RUN] = pair(slot, run);
        records[at + CALLABLE] = callable;
        records[at + WORKER_MEMBERS] = pair(0, members);
    }

    void ready(final long time, final long claim, final int slot, final int run)
    {
        final int at = next();
        records[at + HEADER] = header(READY, 0, 0, 0);
        records[at + TIME] = time;
        records[at + CLAIM] = claim;
        records[at + SLOT_RUN] = pair(slot, run);
    }

    void dependency(final long time, final long producerClaim, final long consumerClaim)
    {
        final int at = next();
        records[at + HEADER] = header(DEPENDENCY, 0, 0, 0);
        records[at + TIME] = time;
        records[at + CLAIM] = consumerClaim;
        records[at + PRODUCER_CLAIM] = producerClaim;
    }

    void task(
        final long start, final long end, final long claim, final int slot, final int run, final int kind,
        final long callable, final int member, final int members, final int flags, final int worker,
        final int childPid, final int childThread)
    {
        final int at = next();
        records[at + HEADER] = header(TASK, kind, flags, member);
        records[at + TIME] = start;
        records[at + END_TIME] = end;
        lastNs = end;
        records[at + CLAIM] = claim;
        records[at + SLOT_RUN] = pair(slot, run);
        records[at + CALLABLE] = callable;
        records[at + PROCESS_THREAD] = pair(childPid, childThread);
        records[at + WORKER_MEMBERS] = pair(worker, members);
    }

    void runBegan(final long time, final int run)
    {
        final int at = next();
        records[at + HEADER] = header(RUN_BEGIN, 0, 0, 0);
        records[at + TIME] = time;
        lastNs = time;
        records[at + SLOT_RUN] = pair(0, run);
    }

    void runEnded(final long time, final int run, final int failed, final int skipped, final int flags)
    {
        final int at = next();
        records[at + HEADER] = header(RUN_END, 0, flags, 0);
        records[at + TIME] = time;
        lastNs = time;
        records[at + SLOT_RUN] = pair(0, run);
        records[at + FAILED_TASKS] = failed;
        records[at + SKIPPED_TASKS] = skipped;
    }

    private int next()
    {
        assert Thread.currentThread() == thread : "a trace buffer is written by the thread it is bound to";
        final int at = (int)(written & mask) << RECORD_SHIFT;
        written++;
        return at;
    }
}
