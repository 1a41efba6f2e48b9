package dev.simpler.engine.trace;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.simpler.engine.scheduler.RunReport;
import dev.simpler.engine.scheduler.StoredArgs;
import dev.simpler.engine.scheduler.TaskSlot;

/**
 * What one engine records about its tasks and runs (SPEC §14): the Chrome trace between {@code Worker.startTrace}
 * and {@code Worker.stopTrace}, and the JDK Flight Recorder events {@link TaskEvent} and {@link RunEvent} while a
 * recording enables them.
 *
 * <p>The engine's roles call it where a task is submitted, wired to a producer, made ready and run, and where a run
 * begins and finishes, each behind one test of {@link #on()}: a field written only when tracing starts or stops and
 * when a JFR recording starts or stops, so that with both off the hot paths pay one well-predicted branch and
 * allocate nothing. While tracing, each thread writes its own {@link TraceBuffer}; a JFR event object is made per
 * task or run only while JFR enables it.
 *
 * <p>Thread-safe: the switches are volatile and changed under this object's lock; recording goes to the calling
 * thread's own buffer; the run events are written by the driving role only (one thread at a time, handed over with
 * the engine's driving lock).
 */
public final class Tracer
{
    /** Events each recording thread keeps by default: 65536 (4 MiB per thread); older ones are dropped. */
    public static final int DEFAULT_EVENTS_PER_THREAD = 1 << 16;
    /** The fewest events per thread {@link #start} accepts. */
    public static final int MIN_EVENTS_PER_THREAD = 16;
    /** The most events per thread {@link #start} accepts: 2^24 (1 GiB per thread). */
    public static final int MAX_EVENTS_PER_THREAD = 1 << 24;

    /** Runs whose JFR event is open at once: more than the most runs in flight (1024). */
    private static final int RUN_RING = 2048;
    private static final int RUN_MASK = RUN_RING - 1;

    private final String engineId;
    private final List<String> workers = new CopyOnWriteArrayList<>();
    /** Whether anything records: the one field the hot paths test. */
    private volatile boolean on;
    /** Counted up whenever recording starts: tells a task submitted while recording from one submitted before. */
    private volatile int epoch;
    private volatile TraceSession session;
    private volatile boolean jfrTasks;
    private volatile boolean jfrRuns;
    private final RunEvent[] runEvents = new RunEvent[RUN_RING];
    /** Which run each open event belongs to: an event left open while nothing recorded is not another run's. */
    private final int[] runOfEvent = new int[RUN_RING];
    private final int[] runTasks = new int[RUN_RING];

    /**
     * The tracer of one engine.
     *
     * @param engineId the Worker's id, for the trace's lanes and the JFR events.
     */
    public Tracer(final String engineId)
    {
        this.engineId = engineId;
    }

    /**
     * A tracer for parts of an engine built without a Worker (tests); it records only if started.
     *
     * @return a new tracer.
     */
    public static Tracer untraced()
    {
        return new Tracer("untraced");
    }

    /**
     * Whether anything records: the Chrome trace, or JFR's task or run events. The hot paths call the recording
     * methods below only when this is true.
     *
     * @return true while tracing or while a JFR recording enables the engine's events.
     */
    public boolean on()
    {
        return on;
    }

    /**
     * Name a worker (a worker thread's agent or a PROCESS-mode child), for the trace's events and lanes.
     *
     * @param name e.g. "sub worker 0".
     * @return its id, to hand to {@link #ran} and {@link #ranInChild}.
     */
    public synchronized int worker(final String name)
    {
        workers.add(name);
        return workers.size() - 1;
    }

    /**
     * Follow JFR from now on: the engine started. {@link #close()} ends it.
     */
    public void listenToJfr()
    {
        JfrSwitch.register(this);
    }

    /**
     * Stop following JFR: the engine closed.
     */
    public void close()
    {
        JfrSwitch.forget(this);
        jfr(false, false);
    }

    /**
     * Whether a trace is being recorded.
     *
     * @return true between {@link #start} and {@link #stop}.
     */
    public boolean isTracing()
    {
        return session != null;
    }

    /**
     * Start recording a trace.
     *
     * @param eventsPerThread events each thread keeps before the oldest are dropped; rounded up to a power of two.
     * @param threads         threads expected to record, whose buffers are allocated now.
     * @throws IllegalStateException    when a trace is being recorded already.
     * @throws IllegalArgumentException when {@code eventsPerThread} is out of range.
     */
    public synchronized void start(final int eventsPerThread, final int threads)
    {
        if (eventsPerThread < MIN_EVENTS_PER_THREAD || eventsPerThread > MAX_EVENTS_PER_THREAD)
        {
            throw new IllegalArgumentException("eventsPerThread must be " + MIN_EVENTS_PER_THREAD + " to "
                + MAX_EVENTS_PER_THREAD + ": eventsPerThread=" + eventsPerThread);
        }
        if (session != null)
        {
            throw new IllegalStateException("startTrace on Worker " + engineId + ": a trace is being recorded "
                + "already; call stopTrace first");
        }
        session = new TraceSession(Integer.highestOneBit(eventsPerThread - 1) << 1, threads);
        updateSwitch();
    }

    /**
     * Stop recording; the engine must be quiet (no task running) so that every event is in its buffer.
     *
     * @return what was recorded, to write with {@link #write}.
     * @throws IllegalStateException when no trace is being recorded.
     */
    public synchronized Recorded stop()
    {
        final TraceSession stopped = session;
        if (stopped == null)
        {
            throw new IllegalStateException("stopTrace on Worker " + engineId + " without startTrace: no trace is "
                + "being recorded");
        }
        session = null;
        updateSwitch();
        return new Recorded(stopped, System.nanoTime());
    }

    /**
     * Write a stopped recording as Chrome trace-event JSON, and the page that draws it beside it.
     *
     * @param recorded what {@link #stop()} returned.
     * @param json     the JSON file.
     * @param mode     the engine's mode, for the page's title.
     * @return what was written.
     * @throws IOException when a file cannot be written.
     */
    public TraceSummary write(final Recorded recorded, final Path json, final String mode) throws IOException
    {
        return new ChromeTraceWriter(engineId, mode, recorded.session, recorded.stoppedNs, List.copyOf(workers))
            .write(json);
    }

    // ------------------------------------------------------------------------------------------ recording

    /**
     * A task was submitted; on the orchestrating thread, after it was wired and before it is sealed.
     *
     * @param slot the task.
     */
    public void submitted(final TaskSlot slot)
    {
        slot.copyForTrace(epoch);
        final TraceSession recording = session;
        if (recording != null)
        {
            recording.buffer().submit(System.nanoTime(), slot.claimNumber(), slot.index(), slot.runNumber(),
                slot.kind(), slot.callable(), slot.groupSize());
        }
        final int at = slot.runNumber() & RUN_MASK;
        if (runEvents[at] != null && runOfEvent[at] == slot.runNumber())
        {
            runTasks[at]++;
        }
    }

    /**
     * A consumer was wired to a producer; on the orchestrating thread.
     *
     * @param producer the earlier task.
     * @param consumer the task being submitted.
     */
    public void dependency(final TaskSlot producer, final TaskSlot consumer)
    {
        final TraceSession recording = session;
        if (recording != null)
        {
            // No time of its own: a flow is drawn between the tasks' runs, so the clock is not read per edge.
            recording.buffer().dependency(0, producer.claimNumber(), consumer.claimNumber());
        }
    }

    /**
     * A task became ready as a consequence of what the calling thread just recorded: it was submitted with nothing
     * to wait for, or the thread finished (or took the result of) its last producer. It goes to its ready queue, or
     * straight to the worker that completed that producer. The moment is the one the thread just recorded, so the
     * clock is not read again.
     *
     * @param slot the task.
     */
    public void ready(final TaskSlot slot)
    {
        final TraceSession recording = session;
        if (recording != null)
        {
            final TraceBuffer buffer = recording.buffer();
            final long last = buffer.lastNs();
            record(buffer, slot, last != 0 ? last : System.nanoTime());
        }
    }

    /**
     * A task became ready at a given moment: published in a batch, all of which became ready at once.
     *
     * @param slot   the task.
     * @param timeNs when, on the {@link System#nanoTime()} clock.
     */
    public void ready(final TaskSlot slot, final long timeNs)
    {
        final TraceSession recording = session;
        if (recording != null)
        {
            record(recording.buffer(), slot, timeNs);
        }
    }

    /**
     * A JFR task event to begin now, if JFR enables it.
     *
     * @return the begun event, or null (nothing allocated) when disabled.
     */
    public TaskEvent beginTask()
    {
        if (!jfrTasks)
        {
            return null;
        }
        final TaskEvent event = new TaskEvent();
        event.begin();
        return event;
    }

    /**
     * A member of a task ran on the calling thread (THREAD mode); before the task is completed.
     *
     * @param event   from {@link #beginTask()}, or null.
     * @param slot    the task.
     * @param member  the member.
     * @param startNs when it started.
     * @param endNs   when it finished.
     * @param worker  the worker's id from {@link #worker}.
     */
    public void ran(
        final TaskEvent event, final TaskSlot slot, final int member, final long startNs, final long endNs,
        final int worker)
    {
        final boolean failed = slot.member(member).failed();
        final TraceSession recording = session;
        if (recording != null)
        {
            final int now = epoch;
            recording.buffer().task(startNs, endNs, slot.claimForTrace(now), slot.index(), slot.runForTrace(now),
                slot.kind(), slot.callable(), member, slot.groupSize(), failed ? TraceDescriptor.FLAG_FAILED : 0,
                worker, 0, 0);
        }
        if (event != null)
        {
            commit(event, slot, member, worker, failed, 0, 0);
        }
    }

    /**
     * A member of a task ran in a child process (PROCESS mode); on the engine thread that took its result, before
     * the task is completed.
     *
     * @param event       from {@link #beginTask()} when the task was handed to the child, or null.
     * @param slot        the task.
     * @param member      the member.
     * @param args        the member's arguments, which tell whether it failed.
     * @param worker      the worker's id from {@link #worker}.
     * @param childPid    the child's pid.
     * @param childThread the id of the child's thread that ran it, or 0 when unknown.
     * @param startNs     when the child took it, or when the engine handed it over when {@code childClock} is false.
     * @param endNs       when the child finished it, or when the engine saw its result.
     * @param childClock  whether the times are the child's own.
     */
    public void ranInChild(
        final TaskEvent event, final TaskSlot slot, final int member, final StoredArgs args, final int worker,
        final int childPid, final int childThread, final long startNs, final long endNs, final boolean childClock)
    {
        final boolean failed = args.failed();
        final TraceSession recording = session;
        if (recording != null)
        {
            final int flags = (failed ? TraceDescriptor.FLAG_FAILED : 0)
                | (childClock ? 0 : TraceDescriptor.FLAG_ENGINE_CLOCK);
            final int now = epoch;
            final TraceBuffer buffer = recording.buffer();
            buffer.task(startNs, endNs, slot.claimForTrace(now), slot.index(), slot.runForTrace(now),
                slot.kind(), slot.callable(), member, slot.groupSize(), flags, worker, childPid, childThread);
            // The consumers this result releases became ready when the engine took it, not when the child finished.
            buffer.saw(System.nanoTime());
        }
        if (event != null)
        {
            commit(event, slot, member, worker, failed, childPid, childClock ? endNs - startNs : 0);
        }
    }

    /**
     * A run began; on the thread submitting it.
     *
     * @param run the run's number.
     */
    public void runBegan(final int run)
    {
        final TraceSession recording = session;
        if (recording != null)
        {
            recording.buffer().runBegan(System.nanoTime(), run);
        }
        final int at = run & RUN_MASK;
        runTasks[at] = 0;
        runOfEvent[at] = run;
        if (jfrRuns)
        {
            final RunEvent event = new RunEvent();
            event.begin();
            runEvents[at] = event;
        }
        else
        {
            runEvents[at] = null;
        }
    }

    /**
     * A run finished, or was abandoned; on the driving thread.
     *
     * @param run       the run's number.
     * @param report    its failures.
     * @param abandoned true when the engine broke or closed under it.
     */
    public void runFinished(final int run, final RunReport report, final boolean abandoned)
    {
        final TraceSession recording = session;
        if (recording != null)
        {
            recording.buffer().runEnded(System.nanoTime(), run, report.failedTasks(), report.skippedTasks(),
                abandoned ? TraceDescriptor.FLAG_ABANDONED : 0);
        }
        final int at = run & RUN_MASK;
        final RunEvent event = runEvents[at];
        if (event != null && runOfEvent[at] == run)
        {
            runEvents[at] = null;
            event.end();
            if (event.shouldCommit())
            {
                event.engine = engineId;
                event.run = run;
                event.tasks = runTasks[at];
                event.outcome = abandoned ? "abandoned" : report.hasFailures() ? "failed" : "ok";
                event.failedTasks = report.failedTasks();
                event.skippedTasks = report.skippedTasks();
                event.commit();
            }
        }
    }

    // ------------------------------------------------------------------------------------------ internals

    private void record(final TraceBuffer buffer, final TaskSlot slot, final long timeNs)
    {
        final int now = epoch;
        buffer.ready(timeNs, slot.claimForTrace(now), slot.index(), slot.runForTrace(now));
    }

    synchronized void jfr(final boolean tasks, final boolean runs)
    {
        jfrTasks = tasks;
        jfrRuns = runs;
        updateSwitch();
    }

    private void updateSwitch()
    {
        final boolean now = session != null || jfrTasks || jfrRuns;
        if (on != now)
        {
            if (now)
            {
                // Before the switch: a task submitted from now on has its copy for this epoch (slot.copyForTrace).
                epoch = epoch + 1;
            }
            on = now;
        }
    }

    private void commit(
        final TaskEvent event, final TaskSlot slot, final int member, final int worker, final boolean failed,
        final int childPid, final long childTimeNs)
    {
        event.end();
        if (event.shouldCommit())
        {
            final int now = epoch;
            event.engine = engineId;
            event.slot = slot.index();
            event.run = slot.runForTrace(now);
            event.claim = slot.claimForTrace(now);
            event.callable = slot.callable();
            event.kind = ChromeTraceWriter.kindName(slot.kind());
            event.member = member;
            event.worker = workers.get(worker);
            event.failed = failed;
            event.childPid = childPid;
            event.childTime = childTimeNs;
            event.commit();
        }
    }

    /**
     * A stopped recording, to be written.
     */
    public static final class Recorded
    {
        private final TraceSession session;
        private final long stoppedNs;

        Recorded(final TraceSession session, final long stoppedNs)
        {
            this.session = session;
            this.stoppedNs = stoppedNs;
        }
    }
}
