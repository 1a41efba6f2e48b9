package dev.simpler.engine.worker;

import static dev.simpler.engine.config.Configuration.PIN_TIMEOUT_MS;
import static dev.simpler.engine.config.Configuration.STAGED_CHECK_MASK;
import static dev.simpler.engine.config.Configuration.STAGED_READ_INTERVAL_NS;
import static dev.simpler.engine.config.Configuration.TAKE_STAGED_AFTER_NS;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.Agent;

import com.lmax.disruptor.Sequence;

import dev.simpler.engine.CpuAffinity;
import dev.simpler.engine.idle.Waiter;
import dev.simpler.engine.idle.WakeCondition;
import dev.simpler.engine.scheduler.BatchPublisher;
import dev.simpler.engine.scheduler.Completer;
import dev.simpler.engine.scheduler.ReadyQueue;
import dev.simpler.engine.scheduler.Scheduler;
import dev.simpler.engine.scheduler.SlotTable;
import dev.simpler.engine.scheduler.StoredArgs;
import dev.simpler.engine.scheduler.TaskSlot;
import dev.simpler.engine.scheduler.WorkerContext;
import dev.simpler.engine.trace.TaskEvent;
import dev.simpler.engine.trace.Tracer;

/**
 * Keeps what the worker thread writes on every duty cycle off the lines of whatever the collector placed before
 * its agent.
 */
abstract class WorkerAgentLeadPadding
{
    @SuppressWarnings("unused")
    private int o00;
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long o01, o02, o03, o04, o05, o06, o07, o08, o09, o10, o11, o12, o13, o14, o15, o16;
}

/**
 * What the worker thread writes on every task or idle turn.
 */
abstract class WorkerAgentCycle extends WorkerAgentLeadPadding
{
    long claimed;
    boolean holdsClaim;
    int idleRounds;
    long stagedSeen = -1;
    long stagedSeenAt;
    long stagedReadAt;
}

/**
 * The agent of one worker thread (SPEC §6), run by an Agrona {@code AgentRunner}: each duty cycle takes a task from
 * its type's ready queue, runs it through its {@link TaskExecutor}, records a failure, and completes it in the
 * scheduler; with nothing ready it publishes a batch the orchestrating thread left staged, or returns 0 so that its
 * {@link Waiter} idles. A group member waits until every member of its group is taken, so the N members run on N
 * distinct worker threads at the same time.
 *
 * <p>Single writer: everything here is written by its worker thread, except {@link #stop()} (any thread).
 */
public final class WorkerAgent extends WorkerAgentCycle implements Agent
{
    // Laid out right after the fields above (long fields come first among a class's own).
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16;

    private final String name;
    private final String roleName;
    private final ReadyQueue queue;
    private final SlotTable slots;
    private final Completer completer;
    private final BatchPublisher publisher;
    private final TaskExecutor executor;
    private final Sequence sequence = new Sequence(-1);
    private final Waiter waiter;
    private final WorkerContext context;
    private final WakeCondition groupAssembled;
    private final Tracer trace;
    private final int traceWorker;
    private volatile boolean running = true;
    private TaskSlot groupSlot;
    /** The thread that runs this agent, bound when it starts. */
    private Thread thread;
    /** The CPU the thread pins itself to before it takes work, or -1. */
    private int cpu = -1;
    private final CountDownLatch pinned = new CountDownLatch(1);
    private volatile RuntimeException pinFailure;

    /**
     * A worker thread's agent.
     *
     * @param name      worker name used in failure messages, e.g. "sub worker 0".
     * @param roleName  the thread's name, e.g. "simpler-w3-sub-0".
     * @param queue     the ready queue of its type.
     * @param scheduler the scheduler it completes tasks in.
     * @param executor  what it does with a task.
     * @param waiter    how it waits for work; its condition is set here.
     * @param kind      the kind of task it runs, {@link TaskSlot#KIND_SUB} or {@link TaskSlot#KIND_NEXT_LEVEL}.
     */
    public WorkerAgent(
        final String name,
        final String roleName,
        final ReadyQueue queue,
        final Scheduler scheduler,
        final TaskExecutor executor,
        final Waiter waiter,
        final int kind)
    {
        this.context = WorkerContext.forWorkerThread(kind);
        this.name = name;
        this.roleName = roleName;
        this.queue = queue;
        this.slots = scheduler.slots();
        this.completer = scheduler.completer();
        this.publisher = scheduler.publisher();
        this.executor = executor;
        this.waiter = waiter;
        this.trace = scheduler.trace();
        this.traceWorker = trace.worker(name);
        waiter.condition(
            () -> !running || queue.isAvailable(claimed) || queue.hasOverflow() || publisher.hasStaged());
        this.groupAssembled = () -> !running || groupSlot.claimedMembers() >= groupSlot.groupSize();
    }

    /**
     * Worker name.
     *
     * @return the name used in failure messages.
     */
    public String name()
    {
        return name;
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    /**
     * Gating sequence of this worker thread in its ready queue.
     *
     * @return the sequence.
     */
    public Sequence sequence()
    {
        return sequence;
    }

    /**
     * How this worker thread waits; its idle strategy.
     *
     * @return its waiter.
     */
    public Waiter waiter()
    {
        return waiter;
    }

    /**
     * Have the thread pin itself to a CPU when it starts, before it takes any work.
     *
     * @param cpuNumber a CPU the process may run on (checked by the builder, and again when the thread pins).
     */
    public void pinTo(final int cpuNumber)
    {
        cpu = cpuNumber;
    }

    /**
     * When the thread is to be pinned, wait until it is; call after the thread started.
     *
     * @throws IllegalStateException when the thread could not be pinned.
     */
    public void awaitPinned()
    {
        if (cpu < 0)
        {
            return;
        }
        try
        {
            if (!pinned.await(PIN_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                throw new IllegalStateException("thread " + roleName + " did not pin itself to CPU " + cpu
                    + " within " + PIN_TIMEOUT_MS + " ms");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while thread " + roleName + " pinned itself", ex);
        }
        if (pinFailure != null)
        {
            throw pinFailure;
        }
    }

    /**
     * Ask the agent to stop after its current task; its runner is closed next.
     */
    public void stop()
    {
        running = false;
        waiter.interruptWait();
    }

    @Override
    public void onStart()
    {
        thread = Thread.currentThread();
        if (cpu >= 0)
        {
            try
            {
                CpuAffinity.pinCurrentThread(cpu);
            }
            catch (final RuntimeException ex)
            {
                pinFailure = ex;
                running = false;
                throw ex;
            }
            finally
            {
                pinned.countDown();
            }
        }
    }

    @Override
    public int doWork()
    {
        assert Thread.currentThread() == thread : "only " + roleName + " runs its agent, not "
            + Thread.currentThread().getName();
        // Runs tasks for as long as they are ready, and returns to the runner (and its idle strategy) only when
        // there is none: a stream of tasks pays for one duty cycle, not one per task.
        int work = 0;
        while (running)
        {
            if (!holdsClaim)
            {
                claimed = queue.claim(sequence);
                holdsClaim = true;
                idleRounds = 0;
                stagedSeen = -1;
                if (!queue.isAvailable(claimed))
                {
                    completer.flushCompletions(context);
                }
            }
            if (!queue.isAvailable(claimed))
            {
                return work > 0 ? work : idleWork();
            }
            holdsClaim = false;
            final TaskSlot slot = slots.get(queue.slotAt(claimed));
            final int member = queue.memberAt(claimed);
            if (slot.groupSize() > 1 && !assembleGroup(slot))
            {
                return work;
            }
            runMember(slot, member);
            // A consumer the last task released to this worker thread runs here, without a trip through the queue.
            for (int next = context.takeHandoff(); next != -1 && running; next = context.takeHandoff())
            {
                runMember(slots.get(next), 0);
            }
            work++;
        }
        return work;
    }

    private int idleWork()
    {
        // A callable that left this thread interrupted must not end the agent: its runner stops when a duty cycle
        // without work ends interrupted, and only close() may do that.
        if (running && Thread.currentThread().isInterrupted())
        {
            Thread.interrupted();
        }
        if (queue.pollClaimed(claimed) > 0)
        {
            return 1;
        }
        if ((++idleRounds & STAGED_CHECK_MASK) == 0 && System.nanoTime() - stagedReadAt >= STAGED_READ_INTERVAL_NS)
        {
            // Tasks staged by the orchestrating thread, and no more staged for a while: it is running user code, so
            // publish them from here. Looked at only every few microseconds: the orchestrating thread writes that
            // count on every submit while it streams, and each read here makes its next write wait for the line.
            final long staged = publisher.stagedCount();
            final long now = System.nanoTime();
            stagedReadAt = now;
            if (staged != stagedSeen)
            {
                stagedSeen = staged;
                stagedSeenAt = now;
            }
            else if (staged > 0 && now - stagedSeenAt > TAKE_STAGED_AFTER_NS
                && publisher.takeStaged(context))
            {
                stagedSeen = -1;
                return 1;
            }
        }
        return 0;
    }

    private boolean assembleGroup(final TaskSlot slot)
    {
        if (queue.joinGroup(slot))
        {
            return true;
        }
        completer.flushCompletions(context);
        groupSlot = slot;
        while (slot.claimedMembers() < slot.groupSize())
        {
            if (!running)
            {
                return false;
            }
            waiter.idle(groupAssembled);
        }
        groupSlot = null;
        waiter.reset();
        return true;
    }

    private void runMember(final TaskSlot slot, final int member)
    {
        final StoredArgs args = slot.member(member);
        completer.loadAhead(slot);
        final boolean failed = trace.on() ? runTraced(slot, member, args) : execute(slot, args);
        completer.memberFinished(slot, context, failed);
    }

    private boolean runTraced(final TaskSlot slot, final int member, final StoredArgs args)
    {
        // Recorded before the task completes: afterwards the slot may hold another task.
        final TaskEvent event = trace.beginTask();
        final long start = System.nanoTime();
        final boolean failed = execute(slot, args);
        trace.ran(event, slot, member, start, System.nanoTime(), traceWorker);
        return failed;
    }

    /**
     * Run one member, recording a failure in its arguments.
     *
     * @return whether it failed.
     */
    private boolean execute(final TaskSlot slot, final StoredArgs args)
    {
        try
        {
            executor.execute(slot.callable(), args, slot.config());
            return false;
        }
        catch (final TaskExecutionException ex)
        {
            args.fail(ex.errorCode(), ex.getMessage(), ex, name);
        }
        catch (final Throwable ex)
        {
            args.fail(TaskExecutionException.CALLABLE_THREW, String.valueOf(ex), ex, name);
        }
        return true;
    }
}
