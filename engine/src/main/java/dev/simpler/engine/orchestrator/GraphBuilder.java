package dev.simpler.engine.orchestrator;

import static dev.simpler.engine.config.Configuration.ASSISTED_PARK_NS;
import static dev.simpler.engine.config.Configuration.COMPLETION_GROUP;
import static dev.simpler.engine.config.Configuration.MAX_ASSISTED_PARK_NS;
import static dev.simpler.engine.config.Configuration.PACE_REFILL_SHIFT;
import static dev.simpler.engine.config.Configuration.PACE_STALL_NS;
import static dev.simpler.engine.config.Configuration.STAGE_AFTER;
import static dev.simpler.engine.config.Configuration.STAGE_BATCH;
import static dev.simpler.engine.config.Configuration.WANT_COMPLETIONS_AFTER_NS;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import org.agrona.collections.LongArrayList;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.DataType;
import dev.simpler.engine.Orchestrator;
import dev.simpler.engine.Scope;
import dev.simpler.engine.SubmitResult;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.TensorArgType;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.agent.EngineErrors;
import dev.simpler.engine.config.EngineContext;
import dev.simpler.engine.idle.Waiter;
import dev.simpler.engine.idle.WakeCondition;
import dev.simpler.engine.memory.HeapRing;
import dev.simpler.engine.scheduler.RetireListener;
import dev.simpler.engine.scheduler.RunLedger;
import dev.simpler.engine.scheduler.RunListener;
import dev.simpler.engine.scheduler.Scheduler;
import dev.simpler.engine.scheduler.SchedulerCounters;
import dev.simpler.engine.scheduler.StoredArgs;
import dev.simpler.engine.scheduler.TaskSlot;
import dev.simpler.engine.trace.Tracer;

/**
 * Keeps the builder's per-submit counts off the lines of whatever the collector placed before it.
 */
abstract class GraphBuilderLeadPadding
{
    @SuppressWarnings("unused")
    private int o00;
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long o01, o02, o03, o04, o05, o06, o07, o08, o09, o10, o11, o12, o13, o14, o15, o16;
}

/**
 * What the orchestrating thread counts on every submit.
 */
abstract class GraphBuilderCounts extends GraphBuilderLeadPadding
{
    /** Submits so far, for taking completions every {@code COMPLETION_GROUP} of them. */
    int submitCount;
    /** Submits in a row without a wait: past {@code STAGE_AFTER} they are staged. */
    int streak;
}

/**
 * The orchestrator (SPEC §3): turns submits into task slots, infers dependencies from the byte ranges tasks read and
 * write through the {@link AccessIndex}, carves heap-ring memory for allocations and allocated OUTPUTs, and keeps
 * the scope stack. When a run's orchestration function returns it closes the open scopes; the run's tasks go on,
 * and the run finishes when they completed (SPEC §13).
 *
 * <p>Single writer: the driving thread, one at a time, chosen by the driving lock ({@link #acquire()},
 * {@link #tryDriveUntil}, {@link #finishStep()}): the thread submitting a run, which holds it from before its
 * orchestration function starts until the function returned (and, in {@code Worker.run}, until the run finished);
 * a thread joining a run while nobody submits; or the run finisher for one step at a time while runs are in flight
 * and nobody else drives. The {@link Orchestrator} methods are valid only on the submitting thread inside its
 * orchestration function.
 */
public final class GraphBuilder extends GraphBuilderCounts implements Orchestrator, RetireListener
{
    // Laid out right after the counts (long fields come first among a class's own).
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16;

    /** Deepest scope a user may open; the run's own scope is depth 0. */
    public static final int MAX_SCOPE_DEPTH = 64;
    /** Number of heap rings; scopes deeper than this share the last one. */
    public static final int HEAP_RING_COUNT = 4;
    /** What {@link #tryDriveUntil} waits for to wait for every run in flight. */
    public static final int ALL_RUNS = 0;

    /** Who holds the driving role: nobody, the submitting thread, a joining thread, or the run finisher. */
    private static final int FREE = 0;
    private static final int BY_SUBMITTER = 1;
    private static final int BY_JOINER = 2;
    private static final int BY_FINISHER = 3;
    private static final VarHandle DRIVING;

    static
    {
        try
        {
            DRIVING = MethodHandles.lookup().findVarHandle(GraphBuilder.class, "driving", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    // Completions are looked for once per group a worker hands back at most.
    private static final int COMPLETION_CHECK_MASK = COMPLETION_GROUP - 1;

    private final Scheduler scheduler;
    private final SchedulerCounters counters;
    private final HeapRing[] heapRings;
    private final long allocTimeoutNs;
    private final int[] poolSizes;
    private final TaskValidator[] validators;
    private final Waiter waiter;
    private final RunAssist assist;
    private final EngineErrors errors;
    private final boolean staging;
    private final AccessIndex accesses;
    private final RunLedger runs;
    private final Tracer trace;
    /** The lowest byte of the heap rings and the span up to the end of the highest: one test for most tensors. */
    private final long ringsLow;
    private final long ringsSpan;
    private final ScopeHandle[] openScopes = new ScopeHandle[MAX_SCOPE_DEPTH + 1];
    private final LongArrayList outputBytes = new LongArrayList();
    private final WakeCondition completionArrived;
    // The run's own scope is never handed to the user, so one handle serves every run.
    private final ScopeHandle rootScope = new ScopeHandle(0);
    private Thread owner;
    /** The thread that holds the driving role; written by that thread, compared only with the current thread. */
    private Thread drivingThread;
    @SuppressWarnings("unused")
    private volatile int driving;
    private volatile boolean drivingWanted;
    private Waiter finisherWaiter = new Waiter(WaitStrategy.BACKOFF);
    private int run;
    private int depth = -1;
    private long waitingSince;
    private boolean wantingCompletions;
    private volatile boolean stopping;

    /**
     * A graph builder for one engine.
     *
     * @param context       the Worker's settings (pool sizes, alloc timeout) and the error handler of its agents.
     * @param scheduler     the scheduler that runs the graph.
     * @param heapRings     the four heap rings, by scope depth.
     * @param subValidator  submit-time check of sub tasks.
     * @param nextValidator submit-time check of next-level tasks.
     * @param waiter        how the orchestrating thread waits.
     * @param assist        what the orchestrating thread does for the engine instead of waiting.
     */
    public GraphBuilder(
        final EngineContext context,
        final Scheduler scheduler,
        final HeapRing[] heapRings,
        final TaskValidator subValidator,
        final TaskValidator nextValidator,
        final Waiter waiter,
        final RunAssist assist)
    {
        if (heapRings.length != HEAP_RING_COUNT)
        {
            throw new IllegalArgumentException("expected " + HEAP_RING_COUNT + " heap rings: " + heapRings.length);
        }
        this.scheduler = scheduler;
        this.counters = scheduler.counters();
        this.heapRings = heapRings.clone();
        long low = Long.MAX_VALUE;
        long high = Long.MIN_VALUE;
        for (final HeapRing ring : heapRings)
        {
            low = Math.min(low, ring.baseAddress());
            high = Math.max(high, ring.baseAddress() + ring.size());
        }
        this.ringsLow = low;
        this.ringsSpan = high - low;
        this.allocTimeoutNs = context.allocTimeoutNs();
        this.poolSizes = new int[] {context.subWorkers(), context.nextLevelWorkers()};
        this.validators = new TaskValidator[] {subValidator, nextValidator};
        this.waiter = waiter;
        this.assist = assist;
        this.errors = context.errors();
        // Staging needs a worker of this process to take a batch the orchestrating thread leaves staged while it
        // runs user code; children of PROCESS mode cannot, so there every task is published as it is submitted.
        this.staging = assist == RunAssist.NONE;
        this.accesses = new AccessIndex(scheduler::dependOn);
        this.runs = scheduler.runs();
        this.trace = scheduler.trace();
        scheduler.retireListener(this);
        this.completionArrived = () -> stopping || drivingWanted || scheduler.hasCompletions();
        // An agent that breaks wakes a waiting run, which then fails with its error.
        errors.onBroken(this::stop);
    }

    // ------------------------------------------------------------------------------------------ driving role

    /**
     * The calling thread, which is about to submit a run, takes the driving role (SPEC §13): it waits while the run
     * finisher holds it for one step, and asks a thread that drives while joining a run to hand it over.
     */
    public void acquire()
    {
        while (!DRIVING.compareAndSet(this, FREE, BY_SUBMITTER))
        {
            if ((int)DRIVING.getVolatile(this) == BY_JOINER)
            {
                drivingWanted = true;
                waiter.interruptWait();
            }
            Thread.onSpinWait();
            Thread.yield();
        }
        drivingWanted = false;
        onAcquired();
    }

    /**
     * The calling thread gives up the driving role it took with {@link #acquire()} (or as a joining thread); when
     * runs are still in flight the run finisher takes over.
     */
    public void release()
    {
        try
        {
            stopWaiting();
            assist.endRun();
        }
        finally
        {
            drivingThread = null;
            scheduler.orchestratorWaiter(finisherWaiter);
            scheduler.giveRole();
            DRIVING.setRelease(this, FREE);
            if (runs.inFlight() > 0)
            {
                finisherWaiter.wake();
            }
        }
    }

    /**
     * Whether any thread holds the driving role now.
     *
     * @return true while a thread submits, joins or finishes runs.
     */
    public boolean isDriven()
    {
        return driving != FREE;
    }

    /**
     * Whether the calling thread holds the driving role.
     *
     * @return true between its {@link #acquire()} and {@link #release()}, or while it drives as a joiner.
     */
    public boolean isDrivingThread()
    {
        return drivingThread == Thread.currentThread();
    }

    /**
     * The number of the run the calling thread is submitting, if it is inside an orchestration function.
     *
     * @return the run's number, or 0 outside orchestration functions and on other threads.
     */
    public int submittingRun()
    {
        return owner == Thread.currentThread() ? run : 0;
    }

    // ------------------------------------------------------------------------------------------ run lifecycle

    /**
     * Begin a run on the driving thread: wait until a run may begin ({@code maxRunsInFlight}), then open the
     * outermost scope. Tasks submitted from now on belong to the run.
     *
     * @param listener told when the run finished, or null when the caller waits for it with {@link #awaitRun}.
     * @return the run's number.
     * @throws IllegalStateException if the engine broke or is closed while waiting for room.
     */
    public int beginRun(final RunListener listener)
    {
        assert isDrivingThread() : "beginRun without the driving role";
        if (!runs.hasRoom())
        {
            driveUntil(runs.oldest(), Long.MAX_VALUE);
        }
        run = runs.begin(listener);
        owner = Thread.currentThread();
        depth = 0;
        streak = 0;
        scheduler.openScope(0);
        rootScope.closed = false;
        openScopes[0] = rootScope;
        return run;
    }

    /**
     * The run's orchestration function returned: close the scopes it left open and the outermost one, and publish
     * what is staged. The run's tasks go on; it finishes when they completed.
     */
    public void endSubmit()
    {
        try
        {
            while (depth >= 0)
            {
                final ScopeHandle scope = openScopes[depth];
                scope.closed = true;
                popScope();
            }
            publishStaged();
        }
        finally
        {
            owner = null;
            runs.endSubmit(run);
        }
    }

    /**
     * Drive on the calling thread, which holds the driving role, until a run finished.
     *
     * @param awaited the run's number.
     * @throws IllegalStateException if the engine broke (every run in flight is abandoned then) or is closed while
     *                               the run drains.
     */
    public void awaitRun(final int awaited)
    {
        driveUntil(awaited, Long.MAX_VALUE);
        if (errors.isBroken())
        {
            // Every task retired, but an agent broke during the run: the run fails with its error all the same.
            throw errors.brokenException("the run in progress failed");
        }
    }

    /**
     * Drive on the calling thread, which holds the driving role, until a run finished or a deadline passed: a
     * submitting thread that joins an earlier run inside its orchestration function.
     *
     * @param awaited    the run's number.
     * @param deadlineNs when to give up, on the {@link System#nanoTime()} clock.
     * @return true when the run finished.
     * @throws IllegalStateException if the engine broke or is closed meanwhile.
     */
    public boolean awaitRun(final int awaited, final long deadlineNs)
    {
        assert isDrivingThread() : "awaitRun without the driving role";
        return driveUntil(awaited, deadlineNs);
    }

    /**
     * Drive until a run finished, on a thread that joins it: only if the driving role is free, and only until a
     * submitting thread asks for the role or the deadline passes.
     *
     * @param awaited    the run's number, or {@link #ALL_RUNS} for every run in flight.
     * @param deadlineNs when to give up, on the {@link System#nanoTime()} clock.
     * @return true when the run finished; false when the role was busy, was asked for, or time ran out.
     * @throws IllegalStateException if the engine broke or is closed meanwhile.
     */
    public boolean tryDriveUntil(final int awaited, final long deadlineNs)
    {
        if (!DRIVING.compareAndSet(this, FREE, BY_JOINER))
        {
            return false;
        }
        onAcquired();
        try
        {
            return driveUntil(awaited, deadlineNs);
        }
        finally
        {
            release();
        }
    }

    /**
     * One step of the run finisher: take the completions that arrived while no other thread drives.
     *
     * @return how many completions it took.
     */
    public int finishStep()
    {
        if (runs.inFlight() == 0 || !DRIVING.compareAndSet(this, FREE, BY_FINISHER))
        {
            return 0;
        }
        scheduler.takeRole();
        try
        {
            if (errors.isBroken())
            {
                runs.abandonAll(errors.brokenException("the run in flight failed"));
                return 1;
            }
            final int taken = scheduler.processCompletions();
            clearIndexIfQuiet();
            return taken;
        }
        finally
        {
            scheduler.giveRole();
            DRIVING.setRelease(this, FREE);
        }
    }

    /**
     * Whether the run finisher has something to do: runs in flight, completions to take and nobody else driving.
     *
     * @return true when {@link #finishStep()} would take completions.
     */
    public boolean finisherHasWork()
    {
        return runs.inFlight() > 0 && driving == FREE && scheduler.hasCompletions();
    }

    /**
     * Give the run finisher its waiter, woken when a completion arrives while no other thread drives.
     *
     * @param waiter the finisher's waiter.
     */
    public void finisherWaiter(final Waiter waiter)
    {
        finisherWaiter = waiter;
        scheduler.orchestratorWaiter(waiter);
    }

    /**
     * The runs in flight.
     *
     * @return the ledger.
     */
    public RunLedger runs()
    {
        return runs;
    }

    /**
     * Ask waiting runs to give up; used when the engine closes under them.
     */
    public void stop()
    {
        stopping = true;
        waiter.interruptWait();
    }

    private void onAcquired()
    {
        final Thread current = Thread.currentThread();
        drivingThread = current;
        scheduler.takeRole();
        waiter.bind(current);
        resetWait();
        scheduler.orchestratorWaiter(waiter);
        assist.beginRun();
    }

    private boolean driveUntil(final int awaited, final long deadlineNs)
    {
        publishStaged();
        resetWait();
        try
        {
            while (!finished(awaited))
            {
                if (drivingWanted && (int)DRIVING.getVolatile(this) == BY_JOINER)
                {
                    // A thread wants to submit: a joining thread hands the role over and waits for its run.
                    return false;
                }
                if (makeProgress() > 0)
                {
                    resetWait();
                    continue;
                }
                checkNotStopping();
                final long remaining = deadlineNs - System.nanoTime();
                if (remaining <= 0)
                {
                    return false;
                }
                idle(remaining);
            }
            clearIndexIfQuiet();
            return true;
        }
        finally
        {
            stopWaiting();
        }
    }

    private boolean finished(final int awaited)
    {
        return awaited == ALL_RUNS ? runs.inFlight() == 0 : runs.isFinished(awaited);
    }

    private void clearIndexIfQuiet()
    {
        if (runs.inFlight() == 0 && scheduler.liveSlots() == 0)
        {
            // Every task retired: what the index still holds are readers that finished.
            accesses.clear();
        }
    }

    private void checkNotStopping()
    {
        if (errors.isBroken())
        {
            final IllegalStateException broken = errors.brokenException("the run in progress failed");
            runs.abandonAll(broken);
            throw broken;
        }
        if (stopping)
        {
            throw new IllegalStateException("the Worker was closed while a run was in progress; "
                + scheduler.liveSlots() + " task(s) did not finish");
        }
    }

    // ------------------------------------------------------------------------------------------ Orchestrator

    @Override
    public SubmitResult submitNextLevel(final long callable, final TaskArgs args, final CallConfig config)
    {
        checkOwner();
        Objects.requireNonNull(args, "args");
        Objects.requireNonNull(config, "config");
        return submit(TaskSlot.KIND_NEXT_LEVEL, callable, args, null, config);
    }

    @Override
    public SubmitResult submitNextLevelGroup(
        final long callable, final List<TaskArgs> argsList, final CallConfig config)
    {
        checkOwner();
        Objects.requireNonNull(config, "config");
        return submit(TaskSlot.KIND_NEXT_LEVEL, callable, null, checkGroup(argsList), config);
    }

    @Override
    public SubmitResult submitSub(final int callableId, final TaskArgs args)
    {
        checkOwner();
        Objects.requireNonNull(args, "args");
        return submit(TaskSlot.KIND_SUB, callableId, args, null, CallConfig.DEFAULT);
    }

    @Override
    public SubmitResult submitSubGroup(final int callableId, final List<TaskArgs> argsList)
    {
        checkOwner();
        return submit(TaskSlot.KIND_SUB, callableId, null, checkGroup(argsList), CallConfig.DEFAULT);
    }

    @Override
    public Tensor alloc(final DataType dtype, final int... shape)
    {
        checkOwner();
        final Tensor shapeOnly = Tensor.of(0, dtype, shape);
        takeCompletions();
        final HeapRing ring = currentRing();
        final long slabId = carve(ring, HeapRing.alignedSize(shapeOnly.nbytes()));
        final TaskSlot slot = claimSlot();
        slot.attachSlab(ring, slabId);
        ring.own(slabId, slot);
        scheduler.completeAlloc(slot);
        final Tensor tensor = shapeOnly.withAddress(ring.address(slabId));
        accesses.write(slot, tensor.address(), tensor.address() + tensor.nbytes(), true);
        scheduler.holdInScope(slot, depth);
        return tensor;
    }

    @Override
    public Scope scope()
    {
        checkOwner();
        if (depth + 1 > MAX_SCOPE_DEPTH)
        {
            throw new IllegalStateException("scopes nest at most " + MAX_SCOPE_DEPTH
                + " deep inside a run: opening depth " + (depth + 1) + " was refused");
        }
        depth++;
        scheduler.openScope(depth);
        final ScopeHandle scope = new ScopeHandle(depth);
        openScopes[depth] = scope;
        return scope;
    }

    // ------------------------------------------------------------------------------------------ RetireListener

    /**
     * Release what a retiring task held: its writer records in the access index (where no later task overwrote them)
     * and its heap-ring slab.
     *
     * @param slot the retiring task.
     */
    @Override
    public void onRetire(final TaskSlot slot)
    {
        // Most retiring writers were overwritten everywhere they wrote: nothing to look up.
        if (slot.isLastWriterOfAny())
        {
            accesses.retire(slot);
        }
        final HeapRing ring = slot.slabRing();
        if (ring != null)
        {
            ring.free(slot.slabId());
        }
    }

    // ------------------------------------------------------------------------------------------ internals

    private SubmitResult submit(
        final int kind, final long callable, final TaskArgs single, final List<TaskArgs> group, final CallConfig config)
    {
        final int members = single != null ? 1 : group.size();
        final String kindName = kind == TaskSlot.KIND_SUB ? "sub" : "next-level";
        final int pool = poolSizes[kind];
        if (pool == 0)
        {
            throw new IllegalStateException("no " + kindName + " worker: this Worker was built without any, so the "
                + kindName + " task could never run");
        }
        if (members > pool)
        {
            throw new IllegalArgumentException("a group of " + members + " " + kindName + " tasks needs "
                + members + " workers at once but the pool has " + pool);
        }
        long slabBytes = 0;
        if (!outputBytes.isEmpty())
        {
            // Most submits allocate nothing: the list stays empty without a store per task.
            outputBytes.clear();
        }
        for (int m = 0; m < members; m++)
        {
            final TaskArgs args = single != null ? single : group.get(m);
            validators[kind].validate(kindName, m, args);
            for (int i = 0, n = args.tensorCount(); i < n; i++)
            {
                final Tensor t = args.tensor(i);
                if (t.address() == 0 && args.tag(i) == TensorArgType.OUTPUT)
                {
                    final long bytes = HeapRing.alignedSize(t.nbytes());
                    outputBytes.addLong(bytes);
                    slabBytes += bytes;
                }
            }
        }

        if (slabBytes > 0 || (++submitCount & COMPLETION_CHECK_MASK) == 0 || !scheduler.hasFreeSlot())
        {
            // Completions are taken in batches: the completion stack's head is written by the workers, and
            // reading it on every submit would pull its cache line across cores once per task.
            takeCompletions();
        }
        HeapRing ring = null;
        long slabId = -1;
        if (slabBytes > 0)
        {
            ring = currentRing();
            slabId = carve(ring, slabBytes);
        }

        final TaskSlot slot = claimSlot();
        slot.describe(kind, callable, config, members);
        if (ring != null)
        {
            slot.attachSlab(ring, slabId);
            ring.own(slabId, slot);
        }
        long nextOutput = ring != null ? ring.address(slabId) : 0;
        int outputIndex = 0;
        for (int m = 0; m < members; m++)
        {
            final TaskArgs args = single != null ? single : group.get(m);
            final StoredArgs stored = slot.member(m);
            stored.copyFrom(args);
            for (int i = 0, n = args.tensorCount(); i < n; i++)
            {
                final Tensor t = args.tensor(i);
                final TensorArgType tag = args.tag(i);
                final long address = t.address();
                if (address == 0 && tag == TensorArgType.OUTPUT)
                {
                    final Tensor allocated = t.withAddress(nextOutput);
                    args.setTensor(i, allocated);
                    stored.setTensor(i, allocated);
                    accesses.write(slot, nextOutput, nextOutput + t.nbytes(), true);
                    nextOutput += outputBytes.getLong(outputIndex++);
                }
                else if (address != 0)
                {
                    wire(slot, tag, address, address + t.nbytes());
                }
            }
        }
        scheduler.holdInScope(slot, depth);
        slot.noteWhetherRecorded();
        if (trace.on())
        {
            trace.submitted(slot);
        }
        if (staging && ++streak > STAGE_AFTER)
        {
            if (scheduler.stage(slot) >= STAGE_BATCH)
            {
                scheduler.publishStaged();
            }
        }
        else
        {
            scheduler.seal(slot);
        }
        counters.taskSubmitted();
        assist.assist();
        return slot.submitResult();
    }

    /**
     * Claim a slot for a task, pacing the orchestration function when the slot table is full.
     *
     * <p>A full table is mostly tasks that are still in flight when the orchestration function runs far ahead of
     * the workers. Growing it then would only let the lead grow, allocating a chunk of slots whenever the lead
     * reaches a new high; instead the function waits, like a producer at a full ring, until an eighth of the
     * table is free again, so that it comes back for a burst of submits rather than for every completion. The
     * table still grows when waiting cannot help: when fewer than half of the live slots are in flight (the
     * rest are held by open scopes, which only the orchestration function can close), or when no task
     * completed for {@link dev.simpler.engine.config.Configuration#PACE_STALL_NS} (a task may itself wait for
     * something this function does
     * later). That patience is long next to a scheduler time slice or a collection in a PROCESS-mode child, so
     * that a worker merely paused does not grow the table.
     */
    private TaskSlot claimSlot()
    {
        if (!scheduler.hasFreeSlot() && mostLiveSlotsInFlight())
        {
            awaitFreeSlots();
        }
        return scheduler.claim();
    }

    /**
     * Whether waiting can free slots: at least half of the live ones are tasks whose completion is still to come
     * (the rest are held by open scopes).
     */
    private boolean mostLiveSlotsInFlight()
    {
        return scheduler.unseenTasks() >= scheduler.liveSlots() >> 1;
    }

    private void awaitFreeSlots()
    {
        // The submits go on after the wait as the same stream, so they stay staged: ending the streak here would
        // send the next tasks one by one through the locked path after every pause for slots, and a run that
        // keeps the table full pauses every eighth of it.
        scheduler.publishStaged();
        final int wanted = Math.max(1, scheduler.slots().capacity() >> PACE_REFILL_SHIFT);
        long deadline = System.nanoTime() + PACE_STALL_NS;
        resetWait();
        try
        {
            while (scheduler.freeSlots() < wanted && mostLiveSlotsInFlight())
            {
                if (makeProgress() > 0)
                {
                    deadline = System.nanoTime() + PACE_STALL_NS;
                    resetWait();
                    continue;
                }
                checkNotStopping();
                final long remaining = deadline - System.nanoTime();
                if (remaining <= 0)
                {
                    return;
                }
                idle(remaining);
            }
        }
        finally
        {
            stopWaiting();
        }
    }

    /**
     * Record one tensor's access (SPEC §2.3): a read conflicts with earlier writes; a write (INOUT reads first, which
     * the write's conflicts include) with earlier reads and writes; NO_DEP with nothing.
     */
    private void wire(final TaskSlot slot, final TensorArgType tag, final long start, final long end)
    {
        switch (tag)
        {
            case INPUT:
                accesses.read(slot, start, end);
                break;
            case INOUT:
            case OUTPUT:
            case OUTPUT_EXISTING:
                accesses.write(slot, start, end, false);
                break;
            case NO_DEP:
            default:
                return;
        }
        if (Long.compareUnsigned(start - ringsLow, ringsSpan) >= 0)
        {
            // Not in any heap ring: a shared tensor or the caller's own memory, which no task holds.
            return;
        }
        for (final HeapRing ring : heapRings)
        {
            if (ring.contains(start))
            {
                holdSlabs(slot, ring, start, end);
                return;
            }
        }
    }

    /**
     * A task naming bytes of heap-ring slabs holds their tasks until it completes (SPEC §3: a slab is reclaimed
     * once every task that named it completed and its scope ended). Its producers in the access index may be later
     * writers of those bytes that complete before it runs, so the holder itself is named too.
     */
    private void holdSlabs(final TaskSlot slot, final HeapRing ring, final long start, final long end)
    {
        long at = start;
        while (at < end && ring.contains(at))
        {
            final Object holder = ring.ownerAt(at);
            if (holder == null)
            {
                return;
            }
            scheduler.dependOn(slot, (TaskSlot)holder);
            at = ring.slabEndAt(at);
        }
    }

    private long carve(final HeapRing ring, final long bytes)
    {
        long slabId = ring.tryAllocate(bytes);
        if (slabId >= 0)
        {
            return slabId;
        }
        // As in awaitFreeSlots: the submits after the wait stay one staged stream.
        scheduler.publishStaged();
        long lastFree = ring.freeBytes();
        long deadline = System.nanoTime() + allocTimeoutNs;
        resetWait();
        try
        {
            while ((slabId = ring.tryAllocate(bytes)) < 0)
            {
                if (makeProgress() > 0)
                {
                    final long free = ring.freeBytes();
                    if (free > lastFree)
                    {
                        deadline = System.nanoTime() + allocTimeoutNs;
                        resetWait();
                    }
                    lastFree = free;
                    continue;
                }
                checkNotStopping();
                final long remaining = deadline - System.nanoTime();
                if (remaining <= 0)
                {
                    throw new IllegalStateException(ring.describe("could not fit", bytes) + " after waiting "
                        + Duration.ofNanos(allocTimeoutNs).toMillis() + " ms without reclamation (allocTimeout); "
                        + "the live slabs belong to tasks whose scope is still open or that have not completed: "
                        + "close scopes earlier or raise heapRingSize");
                }
                idle(remaining);
            }
        }
        finally
        {
            stopWaiting();
        }
        return slabId;
    }

    /**
     * One round of waiting work: assist first, so that work handed to a child runs while the completions are
     * processed here.
     *
     * @return completions taken plus work assisted; 0 when nothing moved.
     */
    private int makeProgress()
    {
        final int assisted = assist.assist();
        return scheduler.processCompletions() + assisted;
    }

    private void idle(final long maxParkNs)
    {
        final long now = System.nanoTime();
        if (waitingSince == 0)
        {
            waitingSince = now;
        }
        final long waited = now - waitingSince;
        counters.waiting(now);
        if (!wantingCompletions && waited >= WANT_COMPLETIONS_AFTER_NS)
        {
            // Nothing came back for a while: the workers may be holding completions in groups that fill slowly
            // (long tasks); have them hand each back as it happens until this wait ends.
            wantingCompletions = true;
            scheduler.wantCompletions(true);
        }
        long parkNs = maxParkNs;
        if (assist.needsAssist())
        {
            // Work in flight moves only when this thread assists, so its parks stay short; the longer nothing
            // moved, the longer they get (a sixteenth of the wait so far), so that waiting for a long task costs
            // little CPU and at most about 6 % more time.
            parkNs = Math.min(maxParkNs, Math.min(MAX_ASSISTED_PARK_NS, Math.max(ASSISTED_PARK_NS, waited >> 4)));
        }
        waiter.idle(completionArrived, parkNs);
    }

    /**
     * The orchestrating thread stopped waiting: workers go back to handing completions back in full groups.
     */
    private void stopWaiting()
    {
        if (wantingCompletions)
        {
            wantingCompletions = false;
            scheduler.wantCompletions(false);
        }
    }

    private void publishStaged()
    {
        streak = 0;
        scheduler.publishStaged();
    }

    private void resetWait()
    {
        waiter.reset();
        waitingSince = 0;
    }

    private void takeCompletions()
    {
        if (scheduler.hasCompletions())
        {
            scheduler.processCompletions();
        }
    }

    private HeapRing currentRing()
    {
        return heapRings[Math.min(depth, HEAP_RING_COUNT - 1)];
    }

    private List<TaskArgs> checkGroup(final List<TaskArgs> argsList)
    {
        Objects.requireNonNull(argsList, "argsList");
        if (argsList.isEmpty())
        {
            throw new IllegalArgumentException("a group needs at least one member: argsList is empty");
        }
        for (int i = 0; i < argsList.size(); i++)
        {
            Objects.requireNonNull(argsList.get(i), "argsList member");
        }
        return argsList;
    }

    private void checkOwner()
    {
        if (owner != Thread.currentThread())
        {
            throw new IllegalStateException(owner == null
                ? "the Orchestrator is only valid inside the orchestration function of Worker.run or Worker.submit"
                : "the Orchestrator belongs to the thread submitting the run: " + owner.getName());
        }
    }

    private void popScope()
    {
        openScopes[depth] = null;
        scheduler.releaseScope(depth);
        depth--;
    }

    /** A user scope; closing it releases its hold on the tasks submitted inside it. */
    private final class ScopeHandle implements Scope
    {
        private final int scopeDepth;
        private boolean closed;

        ScopeHandle(final int scopeDepth)
        {
            this.scopeDepth = scopeDepth;
        }

        @Override
        public void close()
        {
            if (closed)
            {
                throw new IllegalStateException("scope at depth " + scopeDepth + " is already closed");
            }
            checkOwner();
            if (openScopes[depth] != this)
            {
                throw new IllegalStateException("scopes close innermost first: closing depth " + scopeDepth
                    + " while depth " + depth + " is open");
            }
            closed = true;
            popScope();
        }
    }
}
