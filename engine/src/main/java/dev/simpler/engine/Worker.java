package dev.simpler.engine;

import static dev.simpler.engine.config.Configuration.CLOSE_RUNS_TIMEOUT_MS;
import static dev.simpler.engine.config.Configuration.DEFAULT_ALLOC_TIMEOUT_MS;
import static dev.simpler.engine.config.Configuration.DEFAULT_CHILD_START_TIMEOUT_MS;
import static dev.simpler.engine.config.Configuration.DEFAULT_HEAP_RING_SIZE;
import static dev.simpler.engine.config.Configuration.DEFAULT_MAX_RUNS_IN_FLIGHT;
import static dev.simpler.engine.config.Configuration.DEFAULT_READY_QUEUE_CAPACITY;
import static dev.simpler.engine.config.Configuration.MAX_RUNS_IN_FLIGHT;
import static dev.simpler.engine.config.Configuration.THREAD_STOP_TIMEOUT_MS;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.agrona.CloseHelper;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.AgentRunner;

import com.lmax.disruptor.Sequence;

import dev.simpler.engine.agent.AgentFaultHook;
import dev.simpler.engine.agent.Agents;
import dev.simpler.engine.agent.EngineErrors;
import dev.simpler.engine.config.EngineContext;
import dev.simpler.engine.counters.EngineCounters;
import dev.simpler.engine.idle.Waiter;
import dev.simpler.engine.memory.HeapRing;
import dev.simpler.engine.orchestrator.GraphBuilder;
import dev.simpler.engine.orchestrator.RunAssist;
import dev.simpler.engine.orchestrator.RunFinisher;
import dev.simpler.engine.orchestrator.TaskValidator;
import dev.simpler.engine.process.ProcessPool;
import dev.simpler.engine.process.SharedRegions;
import dev.simpler.engine.scheduler.ReadyQueue;
import dev.simpler.engine.scheduler.RunLedger;
import dev.simpler.engine.scheduler.RunReport;
import dev.simpler.engine.scheduler.Scheduler;
import dev.simpler.engine.scheduler.SlotTable;
import dev.simpler.engine.scheduler.TaskSlot;
import dev.simpler.engine.trace.TraceSummary;
import dev.simpler.engine.trace.Tracer;
import dev.simpler.engine.worker.NodeGauge;
import dev.simpler.engine.worker.NodeLink;
import dev.simpler.engine.worker.SubCallableRegistry;
import dev.simpler.engine.worker.TaskExecutor;
import dev.simpler.engine.worker.WorkerAgent;
import dev.simpler.mailbox.MailboxDescriptor;
import dev.simpler.mailbox.SharedMemoryFile;

/**
 * One engine at level 3 or 4 (SPEC §1): sub workers that run registered Java callables and next-level workers
 * (chips, or lower-level Workers), driven by the graphs that orchestration functions build.
 *
 * <p>Lifecycle: {@link #builder()} → {@link #register} (any time before close) → {@link #init()} →
 * {@link #run} or {@link #submit} → {@link #close()}. One thread at a time submits; up to
 * {@link Builder#maxRunsInFlight} runs are in flight, and a later run's tasks wait for an earlier run's conflicting
 * accesses like any task (SPEC §13). A Worker is itself an {@link IWorker}, so a level-4 Worker can drive level-3
 * Workers: {@link #run(long, TaskArgsView, CallConfig)} runs an orchestration function registered with
 * {@link #registerOrchestration}.
 */
public final class Worker implements IWorker, AutoCloseable
{
    private static final int STATE_NEW = 0;
    private static final int STATE_READY = 1;
    private static final int STATE_CLOSED = 2;

    private static final long CLOSE_POLL_NS = 100_000L;
    /** How long stopTrace drives at a time while it waits for the runs in flight. */
    private static final long TRACE_DRIVE_NS = 100_000_000L;

    private final Builder config;
    private final SubCallableRegistry subCallables = new SubCallableRegistry();
    private final Long2ObjectHashMap<OrchFn<TaskArgsView>> orchestrations = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<String> orchestrationNames = new Long2ObjectHashMap<>();
    private final List<SharedMemoryFile> sharedTensors = new ArrayList<>();
    /** The thread inside {@link #submit} or {@link #run}: one at a time. */
    private final AtomicReference<Thread> submitter = new AtomicReference<>();
    /** Handles of runs in flight, so that close() can fail what is left. */
    private final Set<SubmittedRun> handlesInFlight = ConcurrentHashMap.newKeySet();
    /** Finished runs whose futures are to be completed outside the driving role. */
    private final ConcurrentLinkedQueue<SubmittedRun> futuresToComplete = new ConcurrentLinkedQueue<>();
    private final String id;
    private final Tracer tracer;
    private volatile int state = STATE_NEW;

    private final List<SharedMemoryFile> heapFiles = new ArrayList<>();
    private final List<IWorker> ownedWorkers = new ArrayList<>();
    private final List<WorkerAgent> workerAgents = new ArrayList<>();
    private final List<AgentRunner> workerRunners = new ArrayList<>();
    private AgentRunner finisherRunner;
    private final EngineErrors errors;
    private final SharedRegions sharedRegions = new SharedRegions();
    private ProcessPool processPool;
    private GraphBuilder graph;
    private EngineCounters counters;
    private NodeGauge nodeGauge;
    private final List<NodeLink> nodeLinks = new ArrayList<>();

    private Worker(final Builder config, final String id)
    {
        this.config = config;
        this.id = id;
        this.errors = new EngineErrors(id);
        this.tracer = new Tracer(id);
    }

    /**
     * Start building a Worker.
     *
     * @return a builder with the defaults of SPEC §10.
     * @throws IllegalStateException when the JVM lacks the flags Agrona needs ({@link JvmFlags}).
     */
    public static Builder builder()
    {
        JvmFlags.check();
        return new Builder();
    }

    /**
     * Register a sub callable. Works before and after {@link #init()}; later tasks can use the new id.
     *
     * @param fn the callable.
     * @return its id, for {@link Orchestrator#submitSub}.
     * @throws IllegalStateException after {@link #close()}.
     */
    public int register(final SubCallable fn)
    {
        checkNotClosed("register");
        return subCallables.register(fn);
    }

    /**
     * Register a named orchestration function that a higher-level Worker (or a remote L4, SPEC §15) runs on this one
     * as a next-level task.
     *
     * @param name the function's name, unique on this Worker.
     * @param fn   the function; it receives the task's arguments.
     * @return its handle, {@link #orchestrationHandle(String) orchestrationHandle(name)}, for
     *         {@link Orchestrator#submitNextLevel} on the higher level.
     * @throws IllegalArgumentException when the name (or another name with the same handle) is registered already.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public synchronized long registerOrchestration(final String name, final OrchFn<TaskArgsView> fn)
    {
        checkNotClosed("registerOrchestration");
        Objects.requireNonNull(fn, "fn");
        final long handle = orchestrationHandle(name);
        final String existing = orchestrationNames.get(handle);
        if (existing != null)
        {
            throw new IllegalArgumentException(existing.equals(name)
                ? "an orchestration function named \"" + name + "\" is registered already on Worker " + id
                : "orchestration names \"" + name + "\" and \"" + existing + "\" have the same handle " + handle
                    + ": rename one");
        }
        orchestrationNames.put(handle, name);
        orchestrations.put(handle, fn);
        return handle;
    }

    /**
     * The handle of an orchestration function's name: a stable 64-bit hash (FNV-1a over its UTF-8 bytes), the same
     * in every process and on every machine, so that a caller can name a function registered elsewhere.
     *
     * @param name the function's name, not empty.
     * @return its handle.
     */
    public static long orchestrationHandle(final String name)
    {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty())
        {
            throw new IllegalArgumentException("an orchestration function's name must not be empty");
        }
        long hash = 0xcbf29ce484222325L;
        for (final byte b : name.getBytes(StandardCharsets.UTF_8))
        {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    /**
     * Create the heap rings, build the next-level workers from their factories and start the worker threads.
     *
     * @throws IllegalStateException when already initialised or closed, or when a factory fails (nothing is
     *                               left running then).
     */
    public synchronized void init()
    {
        checkNotClosed("init");
        if (state != STATE_NEW)
        {
            throw new IllegalStateException("Worker " + id + " is already initialised");
        }
        try
        {
            start();
        }
        catch (final RuntimeException | Error ex)
        {
            stopAndRelease();
            throw ex;
        }
        state = STATE_READY;
    }

    /**
     * Run one orchestration function and wait for its tasks: {@code submit(orch, args).join()}, without a handle.
     * The outermost scope opens before the function and closes after it; the run is waited for also when the
     * function throws, whose exception is then rethrown (a checked exception wrapped in a RuntimeException).
     *
     * @param orch the orchestration function.
     * @param args its argument.
     * @param <A>  the argument type.
     * @throws TaskFailedException   when a task of the run failed.
     * @throws IllegalStateException before {@link #init()}, after {@link #close()}, or when another thread is
     *                               submitting a run.
     */
    public <A> void run(final OrchFn<A> orch, final A args)
    {
        Objects.requireNonNull(orch, "orch");
        checkReady("run");
        enterSubmit("run");
        final GraphBuilder builder = graph;
        try
        {
            builder.acquire();
            try
            {
                runOwned(builder, orch, args);
            }
            finally
            {
                builder.release();
            }
        }
        finally
        {
            submitter.set(null);
            completeFutures();
        }
    }

    /**
     * Submit a run (SPEC §13): call the orchestration function on this thread and return as soon as it returned,
     * while its tasks go on. With {@link Builder#maxRunsInFlight} runs in flight it first waits for the oldest to
     * finish (whose failure goes to its own handle). A task of this run waits for any earlier run's task whose
     * access conflicts with its own.
     *
     * @param orch the orchestration function.
     * @param args its argument.
     * @param <A>  the argument type.
     * @return the run's handle; an exception of the orchestration function is thrown by its {@link RunHandle#join()}
     *         once the tasks submitted before it finished.
     * @throws IllegalStateException before {@link #init()}, after {@link #close()}, when another thread is
     *                               submitting a run, or when the engine broke while waiting for room.
     */
    public <A> RunHandle submit(final OrchFn<A> orch, final A args)
    {
        Objects.requireNonNull(orch, "orch");
        checkReady("submit");
        enterSubmit("submit");
        final GraphBuilder builder = graph;
        final SubmittedRun handle = new SubmittedRun(this);
        try
        {
            builder.acquire();
            try
            {
                handle.started(builder.beginRun(handle));
                handlesInFlight.add(handle);
                try
                {
                    orch.orchestrate(builder, args);
                }
                catch (final Throwable ex)
                {
                    handle.orchestrationFailed(ex);
                }
                builder.endSubmit();
            }
            finally
            {
                builder.release();
            }
        }
        finally
        {
            submitter.set(null);
            completeFutures();
        }
        return handle;
    }

    /**
     * Run an orchestration function registered with {@link #registerOrchestration} as one task of a
     * higher-level Worker.
     *
     * @param callable the orchestration function's handle.
     * @param args     the task's arguments, handed to the function.
     * @param callConfig unused at this level.
     */
    @Override
    public void run(final long callable, final TaskArgsView args, final CallConfig callConfig)
    {
        final OrchFn<TaskArgsView> fn;
        synchronized (this)
        {
            fn = orchestrations.get(callable);
            if (fn == null)
            {
                throw new IllegalArgumentException("unknown orchestration handle " + callable + " on Worker " + id
                    + ": registered are " + orchestrationNames.values());
            }
        }
        run(fn, args);
    }

    /**
     * A tensor in shared memory that this Worker's children can read and write; freed by {@link #close()}.
     *
     * @param dtype element type.
     * @param shape 1 to 5 dimensions.
     * @return the tensor.
     */
    public synchronized Tensor sharedTensor(final DataType dtype, final int... shape)
    {
        checkNotClosed("sharedTensor");
        final Tensor shapeOnly = Tensor.of(0, dtype, shape);
        final SharedMemoryFile file = SharedMemoryFile.create("tensor", Math.max(1, shapeOnly.nbytes()));
        sharedTensors.add(file);
        sharedRegions.add(file);
        return shapeOnly.withAddress(file.address());
    }

    /**
     * Start recording a trace of this Worker's tasks (SPEC §14), keeping {@value Tracer#DEFAULT_EVENTS_PER_THREAD}
     * events per recording thread: {@code startTrace(Tracer.DEFAULT_EVENTS_PER_THREAD)}.
     *
     * @throws IllegalStateException when a trace is being recorded already, or after {@link #close()}.
     */
    public void startTrace()
    {
        startTrace(Tracer.DEFAULT_EVENTS_PER_THREAD);
    }

    /**
     * Start recording a trace of this Worker's tasks (SPEC §14) until {@link #stopTrace}: every task's submit, the
     * moment it became ready and its run (on the worker thread, or in the child process, that ran it), every
     * producer → consumer edge, and every run. Each thread that records keeps its events in a ring allocated now;
     * when a ring is full its oldest events are dropped, and {@link #stopTrace} says how many.
     *
     * <p>It may be called between runs or while runs are in flight; tasks submitted before it show only what
     * happened to them afterwards.
     *
     * @param eventsPerThread events each recording thread keeps (64 bytes each), 16 to 2^24, rounded up to a power
     *                        of two.
     * @throws IllegalStateException    when a trace is being recorded already, or after {@link #close()}.
     * @throws IllegalArgumentException when {@code eventsPerThread} is out of range.
     */
    public void startTrace(final int eventsPerThread)
    {
        checkNotClosed("startTrace");
        // The threads that record: the worker threads (THREAD mode), the submitting thread, the run finisher, and
        // the PROCESS-mode driver or a thread joining a run. More get a ring of their own when they first record.
        final int threads = (config.mode == WorkerMode.THREAD ? config.subWorkers + config.nextLevel.size() : 0) + 3;
        tracer.start(eventsPerThread, threads);
    }

    /**
     * Stop recording and write the trace as Chrome trace-event JSON, which Perfetto ({@code ui.perfetto.dev}) and
     * {@code chrome://tracing} open, and beside it a self-contained HTML page that draws the same lanes: the same
     * name with {@code .html} instead of {@code .json} (or {@code .html} appended). See SPEC §14 and the README for
     * what the JSON holds.
     *
     * <p>Runs in flight are waited for first, so the trace ends on whole runs; meanwhile no run can be submitted.
     * When a ring was full, the JSON's {@code otherData.droppedEvents} says how many of the oldest events were
     * dropped, and so does a line on standard error. Tracing is stopped also when writing fails.
     *
     * @param chromeTraceJson the JSON file to write; its directory must exist.
     * @throws IllegalStateException    without {@link #startTrace()}, from inside an orchestration function, or
     *                                  while another thread is submitting a run.
     * @throws IllegalArgumentException when the file's directory does not exist or cannot be written (tracing goes
     *                                  on then, so another path can be given).
     * @throws UncheckedIOException     when writing fails.
     */
    public void stopTrace(final Path chromeTraceJson)
    {
        Objects.requireNonNull(chromeTraceJson, "chromeTraceJson");
        if (!tracer.isTracing())
        {
            throw new IllegalStateException("stopTrace on Worker " + id + " without startTrace: no trace is being "
                + "recorded");
        }
        if (submitter.get() == Thread.currentThread())
        {
            throw new IllegalStateException("stopTrace inside an orchestration function of Worker " + id + ": it "
                + "waits for the runs in flight, this one among them; call it after run or submit returned");
        }
        checkWritable(chromeTraceJson);
        final Tracer.Recorded recorded;
        if (state == STATE_READY)
        {
            enterSubmit("stopTrace");
            try
            {
                awaitAllRuns();
                recorded = tracer.stop();
            }
            finally
            {
                submitter.set(null);
                completeFutures();
            }
        }
        else
        {
            recorded = tracer.stop();
        }
        final TraceSummary written;
        try
        {
            written = tracer.write(recorded, chromeTraceJson, config.mode.name());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write the trace of Worker " + id + " to " + chromeTraceJson
                + ": " + ex, ex);
        }
        if (written.droppedEvents() > 0)
        {
            System.err.println("simpler: Worker " + id + ": the trace in " + chromeTraceJson + " lost its "
                + written.droppedEvents() + " oldest event(s) to full rings; startTrace(eventsPerThread) keeps more");
        }
    }

    /**
     * Wait (at most {@code CLOSE_RUNS_TIMEOUT_MS}, 5 s) for the runs in flight and a run submitted on another thread
     * to finish; then stop the worker threads, fail the runs left (their handles throw), close the next-level
     * workers this Worker built, and unmap and delete every shared file. Idempotent.
     */
    @Override
    public void close()
    {
        final GraphBuilder runningGraph;
        synchronized (this)
        {
            if (state == STATE_CLOSED)
            {
                return;
            }
            state = STATE_CLOSED;
            runningGraph = graph;
        }
        if (runningGraph != null)
        {
            awaitRunsInFlight(runningGraph);
            runningGraph.stop();
            awaitRunExit();
        }
        synchronized (this)
        {
            stopFinisher();
            failRunsLeft();
            stopAndRelease();
            for (final SharedMemoryFile file : sharedTensors)
            {
                CloseHelper.quietClose(file);
            }
            sharedTensors.clear();
        }
    }

    /**
     * Whether {@link #init()} completed and {@link #close()} has not been called.
     *
     * @return true when runs are accepted.
     */
    public boolean isReady()
    {
        return state == STATE_READY;
    }

    /**
     * How this Worker's threads wait (its builder's {@link Builder#waitStrategy}); a component that runs beside it,
     * such as a remote node's threads, idles the same way.
     *
     * @return the wait strategy.
     */
    public WaitStrategy waitStrategy()
    {
        return config.waitStrategy;
    }

    @Override
    public String toString()
    {
        return "Worker{" + id + ", level=" + config.level + ", mode=" + config.mode + ", subWorkers="
            + config.subWorkers + ", nextLevel=" + config.nextLevel.size() + '}';
    }

    // ------------------------------------------------------------------------------------------ internals

    private <A> void runOwned(final GraphBuilder builder, final OrchFn<A> orch, final A args)
    {
        final int run = builder.beginRun(null);
        Throwable orchestrationError = null;
        try
        {
            orch.orchestrate(builder, args);
        }
        catch (final Throwable ex)
        {
            orchestrationError = ex;
        }
        try
        {
            builder.endSubmit();
            builder.awaitRun(run);
        }
        catch (final RuntimeException ex)
        {
            if (orchestrationError == null)
            {
                throw ex;
            }
            orchestrationError.addSuppressed(ex);
            throwUnchecked(orchestrationError);
        }
        final TaskFailedException failure = failureOf(builder.runs().report(run));
        if (orchestrationError != null)
        {
            if (failure != null)
            {
                orchestrationError.addSuppressed(failure);
            }
            throwUnchecked(orchestrationError);
        }
        if (failure != null)
        {
            throw failure;
        }
    }

    /**
     * Drive the engine on a thread that joins a run until it finished, when that thread may: it holds the driving
     * role already (it is submitting a later run), or nobody holds it.
     *
     * @param handle     the run.
     * @param deadlineNs when to give up.
     * @return true when the run finished; false when another thread drives (the caller then waits for the handle).
     */
    boolean driveUntilFinished(final SubmittedRun handle, final long deadlineNs)
    {
        final GraphBuilder builder = graph;
        if (builder == null || state != STATE_READY)
        {
            return false;
        }
        try
        {
            if (builder.isDrivingThread())
            {
                if (builder.submittingRun() == handle.run())
                {
                    throw new IllegalStateException("run " + handle.run() + " cannot be joined inside its own "
                        + "orchestration function: it finishes only after the function returned");
                }
                return builder.awaitRun(handle.run(), deadlineNs);
            }
            return builder.tryDriveUntil(handle.run(), deadlineNs);
        }
        finally
        {
            completeFutures();
        }
    }

    /**
     * A run with a handle finished, on the driving thread: forget it, and have its future completed once the
     * driving role is given up.
     */
    void runFinished(final SubmittedRun handle, final boolean futurePending)
    {
        handlesInFlight.remove(handle);
        if (futurePending)
        {
            futuresToComplete.add(handle);
        }
    }

    private void completeFutures()
    {
        SubmittedRun handle;
        while ((handle = futuresToComplete.poll()) != null)
        {
            handle.completeFuture();
        }
    }

    private void enterSubmit(final String operation)
    {
        final Thread current = Thread.currentThread();
        if (!submitter.compareAndSet(null, current))
        {
            final Thread other = submitter.get();
            throw new IllegalStateException(other == current
                ? "Worker." + operation + " is not reentrant: an orchestration function may not submit a run on its "
                    + "own Worker"
                : "Worker " + id + " is already running a graph on thread " + (other == null ? "?" : other.getName())
                    + ": one thread at a time submits");
        }
    }

    private void awaitRunsInFlight(final GraphBuilder builder)
    {
        final Thread current = Thread.currentThread();
        final long deadline = System.nanoTime() + CLOSE_RUNS_TIMEOUT_MS * 1_000_000L;
        while (System.nanoTime() - deadline < 0)
        {
            final Thread other = submitter.get();
            if (other == current)
            {
                // Closed from inside an orchestration function: its own run cannot finish first.
                return;
            }
            if (other == null)
            {
                if (builder.runs().inFlight() == 0)
                {
                    return;
                }
                try
                {
                    if (builder.tryDriveUntil(GraphBuilder.ALL_RUNS, deadline))
                    {
                        return;
                    }
                }
                catch (final IllegalStateException ex)
                {
                    // The engine broke: the runs in flight were failed with its error.
                    return;
                }
                finally
                {
                    completeFutures();
                }
            }
            LockSupport.parkNanos(CLOSE_POLL_NS);
        }
    }

    /**
     * Drive until no run is in flight, on a thread that holds the submitting role (so that no run begins meanwhile);
     * a thread joining a run may drive it instead. Returns also when the engine broke (its runs were abandoned).
     */
    private void awaitAllRuns()
    {
        final GraphBuilder builder = graph;
        while (builder.runs().inFlight() > 0)
        {
            try
            {
                if (builder.tryDriveUntil(GraphBuilder.ALL_RUNS, System.nanoTime() + TRACE_DRIVE_NS))
                {
                    return;
                }
            }
            catch (final IllegalStateException ex)
            {
                // The engine broke or closed: its runs in flight were abandoned, and the trace shows that.
                return;
            }
            finally
            {
                completeFutures();
            }
            LockSupport.parkNanos(CLOSE_POLL_NS);
        }
    }

    private static void checkWritable(final Path file)
    {
        final Path directory = file.toAbsolutePath().getParent();
        if (directory == null || !Files.isDirectory(directory))
        {
            throw new IllegalArgumentException("cannot write the trace to " + file + ": directory " + directory
                + " does not exist");
        }
        if (!Files.isWritable(directory) || (Files.exists(file) && !Files.isWritable(file)))
        {
            throw new IllegalArgumentException("cannot write the trace to " + file + ": "
                + (Files.exists(file) ? "the file" : "directory " + directory) + " is not writable");
        }
    }

    private void stopFinisher()
    {
        try
        {
            Agents.close(finisherRunner, THREAD_STOP_TIMEOUT_MS);
        }
        catch (final IllegalStateException ex)
        {
            System.err.println("simpler: Worker " + id + ": " + ex.getMessage());
        }
        finisherRunner = null;
    }

    private void failRunsLeft()
    {
        for (final SubmittedRun handle : handlesInFlight)
        {
            handle.finish(new IllegalStateException("Worker " + id + " was closed while run " + handle.run()
                + " was in flight; it did not finish within " + CLOSE_RUNS_TIMEOUT_MS + " ms"));
        }
        handlesInFlight.clear();
        completeFutures();
    }

    static TaskFailedException failureOf(final RunReport report)
    {
        if (!report.hasFailures())
        {
            return null;
        }
        final StringBuilder message = new StringBuilder()
            .append("task slot ").append(report.firstFailedSlot())
            .append(" failed on ").append(report.firstWorkerName())
            .append(" with error code ").append(report.firstErrorCode())
            .append(": ").append(report.firstErrorMessage())
            .append("; ").append(report.skippedTasks()).append(" dependent task(s) skipped");
        if (report.failedTasks() > 1)
        {
            message.append("; ").append(report.failedTasks() - 1).append(" other task(s) failed too");
        }
        return new TaskFailedException(report.firstFailedSlot(), report.firstErrorCode(), message.toString(),
            report.skippedTasks(), report.failedTasks(), report.firstCause());
    }

    static void throwUnchecked(final Throwable ex)
    {
        if (ex instanceof RuntimeException)
        {
            throw (RuntimeException)ex;
        }
        if (ex instanceof Error)
        {
            throw (Error)ex;
        }
        throw new RuntimeException("the orchestration function threw " + ex, ex);
    }

    private void start()
    {
        SharedMemoryFile.sweepStale();
        counters = EngineCounters.create(id, config.level, config.mode == WorkerMode.PROCESS);
        nodeGauge = new NodeGauge(counters.remoteNodesConnected());
        final HeapRing[] rings = new HeapRing[GraphBuilder.HEAP_RING_COUNT];
        for (int i = 0; i < rings.length; i++)
        {
            final SharedMemoryFile file = SharedMemoryFile.create("heap" + i, config.heapRingSize);
            heapFiles.add(file);
            sharedRegions.add(file);
            rings[i] = new HeapRing(i, file.address(), config.heapRingSize, counters.heapRingBytesInUse(i));
        }

        final EngineContext context = context();
        final SlotTable slots = new SlotTable();
        final ReadyQueue subQueue = new ReadyQueue(slots, config.readyQueueCapacity);
        final ReadyQueue nextQueue = new ReadyQueue(slots, config.readyQueueCapacity);
        final Scheduler scheduler = new Scheduler(slots, subQueue, nextQueue,
            new RunLedger(config.maxRunsInFlight, tracer), counters, tracer);
        tracer.listenToJfr();
        final TaskValidator validator;
        if (config.mode == WorkerMode.PROCESS)
        {
            final List<WorkerFactory> factories = new ArrayList<>();
            for (final NextLevelSpec spec : config.nextLevel)
            {
                factories.add(spec.factory());
            }
            processPool = new ProcessPool(context, factories, subQueue, nextQueue, scheduler, subCallables,
                sharedRegions);
            validator = processPool.validator();
        }
        else
        {
            validator = TaskValidator.ACCEPT_ALL;
            buildWorkerAgents(context, subQueue, nextQueue, scheduler);
        }
        final TaskValidator nextLevelValidator = config.level == 3
            ? TaskValidator.CHIP_ARGS.andThen(validator)
            : validator;
        graph = new GraphBuilder(context, scheduler, rings, validator, nextLevelValidator,
            new Waiter(config.waitStrategy), processPool != null ? processPool.runAssist() : RunAssist.NONE);
        final RunFinisher finisher = new RunFinisher(graph, this::completeFutures, context.threadName("runs"));
        finisherRunner = Agents.start(Agents.withFaultHook(finisher, "the run finisher", config.faultHook),
            finisher.idleStrategy(), errors.handlerFor("the run finisher"), finisher.waiter()::bind);
        if (processPool != null)
        {
            processPool.start();
        }
        else
        {
            for (final WorkerAgent agent : workerAgents)
            {
                workerRunners.add(Agents.start(Agents.withFaultHook(agent, agent.name(), config.faultHook),
                    agent.waiter(), errors.handlerFor(agent.name()), agent.waiter()::bind));
                agent.awaitPinned();
            }
        }
    }

    private EngineContext context()
    {
        return new EngineContext(id, config.level, config.mode, config.subWorkers, config.nextLevel.size(),
            config.heapRingSize, config.allocTimeout.toNanos(), config.waitStrategy, config.readyQueueCapacity,
            config.childJvmOptions, config.childStartTimeout.toNanos(), config.pinCpus, config.mailboxSize, errors,
            config.faultHook, counters);
    }

    private void buildWorkerAgents(
        final EngineContext context, final ReadyQueue subQueue, final ReadyQueue nextQueue, final Scheduler scheduler)
    {
        final List<IWorker> nextLevel = new ArrayList<>();
        for (final NextLevelSpec spec : config.nextLevel)
        {
            nextLevel.add(spec.factory() != null ? build(spec.factory()) : spec.instance());
        }
        final List<WorkerAgent> subAgents = new ArrayList<>();
        final TaskExecutor subExecutor = subCallables.inProcessExecutor();
        for (int i = 0; i < config.subWorkers; i++)
        {
            subAgents.add(new WorkerAgent("sub worker " + i, context.threadName("sub-" + i), subQueue, scheduler,
                subExecutor, new Waiter(config.waitStrategy), TaskSlot.KIND_SUB));
        }
        final List<WorkerAgent> nextAgents = new ArrayList<>();
        for (int i = 0; i < nextLevel.size(); i++)
        {
            final IWorker target = nextLevel.get(i);
            // A lane to another host is named after its node: in failures, in traces and on its thread.
            String lane = "";
            if (target instanceof NodeLink)
            {
                final NodeLink link = (NodeLink)target;
                link.nodeGauge(nodeGauge);
                nodeLinks.add(link);
                lane = "@" + link.node();
            }
            nextAgents.add(new WorkerAgent("next-level worker " + i + lane, context.threadName("next-" + i + lane),
                nextQueue, scheduler, target::run, new Waiter(config.waitStrategy), TaskSlot.KIND_NEXT_LEVEL));
        }
        connect(subQueue, subAgents);
        connect(nextQueue, nextAgents);
        workerAgents.addAll(subAgents);
        workerAgents.addAll(nextAgents);
        for (int i = 0; i < workerAgents.size() && config.pinCpus.length > 0; i++)
        {
            workerAgents.get(i).pinTo(config.pinCpus[i % config.pinCpus.length]);
        }
    }

    private IWorker build(final WorkerFactory factory)
    {
        final IWorker built;
        try
        {
            built = factory.create();
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("next-level WorkerFactory failed: " + ex, ex);
        }
        if (built == null)
        {
            throw new IllegalStateException("next-level WorkerFactory returned null");
        }
        ownedWorkers.add(built);
        if (built instanceof Worker && ((Worker)built).state == STATE_NEW)
        {
            ((Worker)built).init();
        }
        return built;
    }

    private static void connect(final ReadyQueue queue, final List<WorkerAgent> agents)
    {
        final Sequence[] sequences = new Sequence[agents.size()];
        final Waiter[] waiters = new Waiter[agents.size()];
        for (int i = 0; i < agents.size(); i++)
        {
            sequences[i] = agents.get(i).sequence();
            waiters[i] = agents.get(i).waiter();
        }
        queue.consumers(sequences, waiters);
    }

    private void stopAndRelease()
    {
        tracer.close();
        stopFinisher();
        if (processPool != null)
        {
            CloseHelper.quietClose(processPool);
            processPool = null;
        }
        for (final WorkerAgent agent : workerAgents)
        {
            agent.stop();
        }
        for (final AgentRunner runner : workerRunners)
        {
            try
            {
                Agents.close(runner, THREAD_STOP_TIMEOUT_MS);
            }
            catch (final IllegalStateException ex)
            {
                // A thread stuck in user code: a daemon, left behind rather than waited for without end.
                System.err.println("simpler: Worker " + id + ": " + ex.getMessage());
            }
        }
        workerRunners.clear();
        workerAgents.clear();
        for (int i = ownedWorkers.size() - 1; i >= 0; i--)
        {
            final IWorker owned = ownedWorkers.get(i);
            if (owned instanceof AutoCloseable)
            {
                CloseHelper.quietClose((AutoCloseable)owned);
            }
        }
        ownedWorkers.clear();
        for (int i = heapFiles.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(heapFiles.get(i));
        }
        heapFiles.clear();
        closeCounters();
    }

    /**
     * Remove the counters file; last, as the children and the run count until they stop. A run that did not leave
     * (stuck in user code past the wait in close(), or close() called from inside it) may still count, so its
     * counters stay mapped, out of the file system, rather than be unmapped under it.
     */
    private void closeCounters()
    {
        if (nodeGauge != null)
        {
            // Lanes may outlive this Worker: none writes into the counters file once it is gone.
            nodeGauge.close();
            for (final NodeLink link : nodeLinks)
            {
                link.nodeGauge(null);
            }
            nodeLinks.clear();
            nodeGauge = null;
        }
        if (counters != null)
        {
            if (submitter.get() == null && (graph == null || !graph.isDriven()))
            {
                CloseHelper.quietClose(counters);
            }
            else
            {
                try
                {
                    counters.closeLeavingMapped();
                }
                catch (final RuntimeException ex)
                {
                    // The shutdown hook deletes it at exit, the next engine start after a crash.
                    System.err.println("simpler: Worker " + id + ": " + ex.getMessage());
                }
            }
            counters = null;
        }
    }

    /**
     * Where this Worker publishes its counters (SPEC §14), for tests.
     *
     * @return the counters file, or null before init() and after close().
     */
    synchronized Path countersFile()
    {
        return counters == null ? null : counters.path();
    }

    private void awaitRunExit()
    {
        // A run in progress on another thread must leave before its heap rings are unmapped under it.
        final long deadline = System.nanoTime() + THREAD_STOP_TIMEOUT_MS * 1_000_000L;
        while (submitter.get() != null && submitter.get() != Thread.currentThread() && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    private void checkNotClosed(final String operation)
    {
        if (state == STATE_CLOSED)
        {
            throw new IllegalStateException(operation + " on Worker " + id + " after close()");
        }
    }

    private void checkReady(final String operation)
    {
        checkNotClosed(operation);
        if (errors.isBroken())
        {
            throw errors.brokenException(operation + " refused");
        }
        if (state != STATE_READY)
        {
            throw new IllegalStateException(operation + " on Worker " + id + " before init()");
        }
    }

    /**
     * Configuration of a {@link Worker}.
     */
    public static final class Builder
    {

        private int level = 3;
        private WorkerMode mode = WorkerMode.THREAD;
        private int subWorkers;
        private final List<NextLevelSpec> nextLevel = new ArrayList<>();
        private long heapRingSize = DEFAULT_HEAP_RING_SIZE;
        private Duration allocTimeout = Duration.ofMillis(DEFAULT_ALLOC_TIMEOUT_MS);
        private WaitStrategy waitStrategy = WaitStrategy.BACKOFF;
        private int readyQueueCapacity = DEFAULT_READY_QUEUE_CAPACITY;
        private List<String> childJvmOptions = List.of();
        private Duration childStartTimeout = Duration.ofMillis(DEFAULT_CHILD_START_TIMEOUT_MS);
        private int[] pinCpus = new int[0];
        private int mailboxSize = MailboxDescriptor.MAILBOX_LENGTH;
        private int maxRunsInFlight = DEFAULT_MAX_RUNS_IN_FLIGHT;
        private AgentFaultHook faultHook;

        private Builder()
        {
        }

        /**
         * The level of the Worker.
         *
         * @param level 3 (default; next-level workers are chips) or 4 (next-level workers are L3 Workers).
         * @return this.
         */
        public Builder level(final int level)
        {
            if (level != 3 && level != 4)
            {
                throw new IllegalArgumentException("level must be 3 or 4: level=" + level);
            }
            this.level = level;
            return this;
        }

        /**
         * How many runs may be in flight at once (SPEC §13): {@link Worker#submit} waits for the oldest when this
         * many are.
         *
         * @param runs 1 (every submit waits for the previous run) to 1024; 2 by default.
         * @return this.
         */
        public Builder maxRunsInFlight(final int runs)
        {
            if (runs < 1 || runs > MAX_RUNS_IN_FLIGHT)
            {
                throw new IllegalArgumentException("maxRunsInFlight must be 1 to " + MAX_RUNS_IN_FLIGHT + ": runs="
                    + runs);
            }
            this.maxRunsInFlight = runs;
            return this;
        }

        /**
         * The mode of this Worker's children.
         *
         * @param mode THREAD (default) or PROCESS.
         * @return this.
         */
        public Builder mode(final WorkerMode mode)
        {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Number of sub workers.
         *
         * @param count 0 or more.
         * @return this.
         */
        public Builder subWorkers(final int count)
        {
            if (count < 0)
            {
                throw new IllegalArgumentException("subWorkers must be >= 0: count=" + count);
            }
            this.subWorkers = count;
            return this;
        }

        /**
         * Add one next-level worker instance; it belongs to the caller, who initialises and closes it.
         *
         * @param worker the worker.
         * @return this.
         */
        public Builder nextLevel(final IWorker worker)
        {
            nextLevel.add(new NextLevelSpec(Objects.requireNonNull(worker, "worker"), null));
            return this;
        }

        /**
         * Add one next-level worker built by {@code factory} where it runs; it belongs to the Worker, which closes
         * it (when it is {@link AutoCloseable}) in {@link Worker#close()}.
         *
         * @param factory the factory.
         * @return this.
         */
        public Builder nextLevel(final WorkerFactory factory)
        {
            nextLevel.add(new NextLevelSpec(null, Objects.requireNonNull(factory, "factory")));
            return this;
        }

        /**
         * Size of each of the four heap rings.
         *
         * @param bytes a positive multiple of 1024 (default 64 MiB).
         * @return this.
         */
        public Builder heapRingSize(final long bytes)
        {
            if (bytes <= 0 || bytes % HeapRing.ALIGNMENT != 0 || bytes > SharedMemoryFile.MAX_LENGTH)
            {
                throw new IllegalArgumentException("heapRingSize must be a positive multiple of " + HeapRing.ALIGNMENT
                    + " of at most " + SharedMemoryFile.MAX_LENGTH + " bytes: bytes=" + bytes);
            }
            this.heapRingSize = bytes;
            return this;
        }

        /**
         * How long a heap-ring claim may wait for reclamation without progress before it fails.
         *
         * @param timeout positive (default 10 s).
         * @return this.
         */
        public Builder allocTimeout(final Duration timeout)
        {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero())
            {
                throw new IllegalArgumentException("allocTimeout must be positive: timeout=" + timeout);
            }
            this.allocTimeout = timeout;
            return this;
        }

        /**
         * How the engine's threads wait.
         *
         * @param strategy BACKOFF (default) or BUSY_SPIN.
         * @return this.
         */
        public Builder waitStrategy(final WaitStrategy strategy)
        {
            this.waitStrategy = Objects.requireNonNull(strategy, "strategy");
            return this;
        }

        /**
         * Entries of each ready queue's ring; ready tasks beyond it wait in an overflow list.
         *
         * @param capacity a power of two, at least 64 (default 16384).
         * @return this.
         */
        public Builder readyQueueCapacity(final int capacity)
        {
            if (capacity < 64 || Integer.bitCount(capacity) != 1)
            {
                throw new IllegalArgumentException("readyQueueCapacity must be a power of two >= 64: capacity="
                    + capacity);
            }
            this.readyQueueCapacity = capacity;
            return this;
        }

        /**
         * Extra JVM options for PROCESS-mode children (e.g. {@code -Xmx512m}).
         *
         * @param options the options, added after the engine's own.
         * @return this.
         */
        public Builder childJvmOptions(final String... options)
        {
            this.childJvmOptions = List.of(options);
            return this;
        }

        /**
         * How long a PROCESS-mode child may take to report ready before {@link Worker#init()} fails.
         *
         * @param timeout positive (default 30 s).
         * @return this.
         */
        public Builder childStartTimeout(final Duration timeout)
        {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero())
            {
                throw new IllegalArgumentException("childStartTimeout must be positive: timeout=" + timeout);
            }
            this.childStartTimeout = timeout;
            return this;
        }

        /**
         * Pin the engine's worker threads to CPUs (THREAD mode), for busy-spinning threads on dedicated cores: the
         * sub workers in order, then the next-level workers, take the CPUs in the order given, starting over at
         * the first when there are more threads than CPUs. Each thread pins itself before it takes any work, and
         * {@link Worker#init()} fails when one cannot. The thread that calls {@link Worker#run} is the caller's
         * own; {@link CpuAffinity#pinCurrentThread} pins it. By default no thread is pinned.
         *
         * @param cpus CPU numbers this process may run on, at least one.
         * @return this.
         * @throws IllegalArgumentException when none is given or the process may not run on one of them.
         */
        public Builder pinThreads(final int... cpus)
        {
            Objects.requireNonNull(cpus, "cpus");
            if (cpus.length == 0)
            {
                throw new IllegalArgumentException("pinThreads needs at least one CPU");
            }
            for (final int cpu : cpus)
            {
                CpuAffinity.checkAllowed(cpu);
            }
            this.pinCpus = cpus.clone();
            return this;
        }

        /**
         * Bytes of each PROCESS-mode child's mailbox (SPEC §7): its args area, the size less 64 bytes, holds a
         * task's args blob ({@code 8 + 40 × tensors + 8 × scalars} bytes). A sub task of 256 tensors needs 16384.
         *
         * @param bytes a power of two from 4096 (default, byte-compatible with the upstream runtime) to 65536.
         * @return this.
         */
        public Builder mailboxSize(final int bytes)
        {
            if (!MailboxDescriptor.isValidMailboxLength(bytes))
            {
                throw new IllegalArgumentException("mailboxSize must be a power of two from "
                    + MailboxDescriptor.MAILBOX_LENGTH + " to " + MailboxDescriptor.MAX_MAILBOX_LENGTH
                    + " bytes: bytes=" + bytes);
            }
            this.mailboxSize = bytes;
            return this;
        }

        /**
         * A test hook called before every duty cycle of the Worker's agents, to make one fail as an engine bug would.
         *
         * @param hook the hook.
         * @return this.
         */
        Builder agentFaultHook(final AgentFaultHook hook)
        {
            this.faultHook = Objects.requireNonNull(hook, "hook");
            return this;
        }

        /**
         * Build the Worker; call {@link Worker#init()} next.
         *
         * @return the Worker.
         * @throws IllegalArgumentException for a configuration that cannot run.
         */
        public Worker build()
        {
            if (mode == WorkerMode.PROCESS)
            {
                for (final NextLevelSpec spec : nextLevel)
                {
                    if (spec.factory() == null)
                    {
                        throw new IllegalArgumentException("PROCESS mode builds next-level workers inside the "
                            + "children: use nextLevel(WorkerFactory), not nextLevel(IWorker) (" + spec.instance()
                            + ")");
                    }
                }
            }
            if (mode == WorkerMode.PROCESS && pinCpus.length > 0)
            {
                throw new IllegalArgumentException("pinThreads pins the engine's worker threads, which PROCESS mode "
                    + "does not have: its workers are child JVMs");
            }
            if (subWorkers > readyQueueCapacity || nextLevel.size() > readyQueueCapacity)
            {
                throw new IllegalArgumentException("readyQueueCapacity must hold a group as large as the pool: "
                    + "capacity=" + readyQueueCapacity);
            }
            final Builder copy = new Builder();
            copy.level = level;
            copy.mode = mode;
            copy.subWorkers = subWorkers;
            copy.nextLevel.addAll(nextLevel);
            copy.heapRingSize = heapRingSize;
            copy.allocTimeout = allocTimeout;
            copy.waitStrategy = waitStrategy;
            copy.readyQueueCapacity = readyQueueCapacity;
            copy.childJvmOptions = childJvmOptions;
            copy.childStartTimeout = childStartTimeout;
            copy.pinCpus = pinCpus;
            copy.mailboxSize = mailboxSize;
            copy.maxRunsInFlight = maxRunsInFlight;
            copy.faultHook = faultHook;
            return new Worker(copy, "w" + WorkerIds.next());
        }
    }

    /**
     * One next-level worker of a Builder, in the order added: an instance given by the caller (THREAD mode), or a
     * factory that builds it where it runs.
     *
     * @param instance the caller's worker, or null.
     * @param factory  the factory, or null.
     */
    private record NextLevelSpec(IWorker instance, WorkerFactory factory)
    {
    }
}
