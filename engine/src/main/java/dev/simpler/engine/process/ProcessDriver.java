package dev.simpler.engine.process;

import static dev.simpler.engine.config.Configuration.CHILD_LIVENESS_INTERVAL_NS;
import static dev.simpler.engine.config.Configuration.DRIVER_IN_FLIGHT_PARK_NS;
import static dev.simpler.engine.config.Configuration.DRIVER_IN_FLIGHT_SPINS;
import static dev.simpler.engine.config.Configuration.DRIVER_IN_FLIGHT_YIELDS;
import static dev.simpler.engine.config.Configuration.DRIVER_MAX_BACKUP_PARK_NS;
import static dev.simpler.engine.config.Configuration.DRIVER_MAX_IN_FLIGHT_PARK_NS;
import static dev.simpler.engine.config.Configuration.DRIVER_MIN_BACKUP_PARK_NS;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;

import dev.simpler.engine.agent.AgentFaultHook;
import dev.simpler.engine.agent.Agents;
import dev.simpler.engine.idle.Waiter;
import dev.simpler.engine.idle.WakeCondition;
import dev.simpler.engine.orchestrator.RunAssist;
import dev.simpler.engine.scheduler.ReadyQueue;

/**
 * Drives every PROCESS-mode child of a Worker: a duty cycle that steps each child's state machine (claim ready
 * tasks, write mailboxes, poll for completions) and checks every millisecond that the children are alive.
 *
 * <p>Two threads can run the duty cycle, one at a time (the driving try-lock stands for the role, and guards every
 * {@link ChildProcess}): the driver thread, whose agent this is (run by an {@link AgentRunner}), and the thread inside
 * {@code Worker.run} (through {@link RunAssist}, which invokes the same duty cycle the way an {@code AgentInvoker}
 * would, with the same error handler), which runs it right after each
 * submit and whenever it would otherwise wait. While a run is in progress and its thread keeps assisting, the
 * driver thread stays parked as a backup and publishes do not wake it: a round trip is then the orchestrating
 * thread writing a mailbox and polling it, with no hand-off between threads, and a busy-spinning engine on a
 * 2-core machine spins two threads (the caller and one child), not three. When the orchestrating thread stops
 * assisting for a while (it runs long user code between submits) the driver thread drives until it returns.
 *
 * <p>Outside runs no task is in flight; the driver thread only watches the children, woken by publishes.
 * A child cannot signal its completion to this process, so while tasks are in flight a driver that finds nothing
 * to do spins, then yields, then parks for periods that grow with the time the task has been running.
 */
public final class ProcessDriver implements Agent, RunAssist
{
    private static final VarHandle DRIVING;

    /** How the driver thread idles after a duty cycle without work: decided by that cycle. */
    private static final int IDLE_WATCH = 0;
    private static final int IDLE_IN_FLIGHT = 1;
    private static final int IDLE_BACKUP = 2;
    private static final int IDLE_BACKUP_SHORT = 3;

    static
    {
        try
        {
            DRIVING = MethodHandles.lookup().findVarHandle(ProcessDriver.class, "driving", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final ChildProcess[] children;
    private final Waiter waiter;
    private final boolean busySpin;
    private final ErrorHandler errorHandler;
    private final AgentFaultHook faultHook;
    private final WakeCondition stopRequested = () -> !this.running;
    private final IdleStrategy idleStrategy = new DriverIdleStrategy();
    private volatile boolean running = true;
    @SuppressWarnings("unused")
    private volatile int driving;
    private volatile boolean callerInRun;
    private volatile long assists;
    private volatile boolean inFlight;
    // Guarded by the driving lock.
    private boolean closed;
    /** The thread that holds the driving lock, recorded only when assertions are enabled. */
    private Thread drivingThread;
    private long nextLivenessCheck = System.nanoTime() + CHILD_LIVENESS_INTERVAL_NS;
    // Owned by the driver thread: how its last cycle asks it to idle, and the state of its waits.
    private int idleMode;
    private int quietInFlight;
    private long quietSince;
    private long seenAssists = -1;
    private long backupParkNs = DRIVER_MIN_BACKUP_PARK_NS;
    private String roleName = "simpler-children";
    private AgentRunner runner;

    ProcessDriver(
        final List<ChildProcess> children,
        final Waiter waiter,
        final boolean busySpin,
        final ErrorHandler errorHandler,
        final AgentFaultHook faultHook)
    {
        this.children = children.toArray(new ChildProcess[0]);
        for (final ChildProcess child : this.children)
        {
            child.drivenBy(this::holdsDrivingLock);
        }
        this.waiter = waiter;
        this.busySpin = busySpin;
        this.errorHandler = errorHandler;
        this.faultHook = faultHook;
    }

    /**
     * Start the driver thread.
     *
     * @param threadName its name.
     */
    void start(final String threadName)
    {
        roleName = threadName;
        runner = Agents.start(Agents.withFaultHook(this, "the PROCESS-mode driver", faultHook), idleStrategy,
            errorHandler, waiter::bind);
    }

    /**
     * Stop the thread, wait for it, then keep any assisting thread from driving again.
     *
     * @param timeoutMs how long to wait.
     */
    void stop(final long timeoutMs)
    {
        running = false;
        waiter.interruptWait();
        try
        {
            Agents.close(runner, timeoutMs);
        }
        catch (final IllegalStateException ex)
        {
            System.err.println("simpler: " + ex.getMessage());
        }
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!DRIVING.compareAndSet(this, 0, 1))
        {
            if (System.nanoTime() - deadline > 0)
            {
                return;
            }
            Thread.onSpinWait();
        }
        closed = true;
        DRIVING.setRelease(this, 0);
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    // ---------------------------------------------------------------- RunAssist (the orchestrating thread)

    @Override
    public void beginRun()
    {
        callerInRun = true;
        waiter.suppressWakeups(true);
    }

    @Override
    public int assist()
    {
        assists++;
        try
        {
            if (faultHook != null)
            {
                faultHook.beforeDutyCycle("the orchestrating thread's assist");
            }
            return tryDrive();
        }
        catch (final Throwable ex)
        {
            // As an AgentInvoker would: the Worker's handler hears of it, and an Error goes on up the caller's stack.
            errorHandler.onError(ex);
            if (ex instanceof Error)
            {
                throw (Error)ex;
            }
            return 0;
        }
    }

    @Override
    public boolean needsAssist()
    {
        return inFlight;
    }

    @Override
    public void endRun()
    {
        callerInRun = false;
        waiter.suppressWakeups(false);
        if (inFlight)
        {
            waiter.interruptWait();
        }
    }

    // ---------------------------------------------------------------- the driver thread's duty cycle

    @Override
    public int doWork()
    {
        if (!running)
        {
            idleMode = IDLE_WATCH;
            return 0;
        }
        if (callerInRun)
        {
            final long now = assists;
            if (now != seenAssists)
            {
                // The orchestrating thread is driving: stay out of its way, and look less often the longer it keeps
                // driving (every wake-up of this thread takes CPU from the two that work).
                seenAssists = now;
                idleMode = IDLE_BACKUP;
                return 0;
            }
            backupParkNs = DRIVER_MIN_BACKUP_PARK_NS;
        }
        final int work = tryDrive();
        if (work > 0)
        {
            quietInFlight = 0;
            return work;
        }
        if (inFlight)
        {
            if (quietInFlight == 0)
            {
                quietSince = System.nanoTime();
            }
            idleMode = IDLE_IN_FLIGHT;
        }
        else
        {
            quietInFlight = 0;
            idleMode = callerInRun ? IDLE_BACKUP_SHORT : IDLE_WATCH;
        }
        return 0;
    }

    /**
     * The driver thread's idle strategy, as its last duty cycle decided: parked as a backup while the orchestrating
     * thread drives; spinning, yielding, then parking for periods that grow with a long task while tasks are in
     * flight; woken by publishes otherwise.
     */
    private final class DriverIdleStrategy implements IdleStrategy
    {
        @Override
        public void idle(final int workCount)
        {
            if (workCount > 0)
            {
                waiter.reset();
            }
            else
            {
                idle();
            }
        }

        @Override
        public void idle()
        {
            switch (idleMode)
            {
                case IDLE_BACKUP:
                    LockSupport.parkNanos(this, backupParkNs);
                    backupParkNs = Math.min(DRIVER_MAX_BACKUP_PARK_NS, backupParkNs * 2);
                    break;
                case IDLE_IN_FLIGHT:
                    idleInFlight(quietInFlight++);
                    break;
                case IDLE_BACKUP_SHORT:
                    LockSupport.parkNanos(this, DRIVER_MIN_BACKUP_PARK_NS);
                    break;
                default:
                    waiter.idle(stopRequested, CHILD_LIVENESS_INTERVAL_NS);
                    break;
            }
        }

        @Override
        public void reset()
        {
            waiter.reset();
        }

        @Override
        public String alias()
        {
            return "simpler-process-driver";
        }
    }

    private int tryDrive()
    {
        if (!DRIVING.compareAndSet(this, 0, 1))
        {
            return 0;
        }
        assert (drivingThread = Thread.currentThread()) != null;
        try
        {
            return closed ? 0 : dutyCycle();
        }
        finally
        {
            assert (drivingThread = null) == null;
            DRIVING.setRelease(this, 0);
        }
    }

    private boolean holdsDrivingLock()
    {
        return drivingThread == Thread.currentThread();
    }

    private int dutyCycle()
    {
        // Live children first: an idle child claims a task only when one is waiting, so a task goes to a live
        // child whenever one is free; a dead child takes (and fails clearly) only what no live child can run.
        int work = 0;
        boolean anyInFlight = false;
        for (final ChildProcess child : children)
        {
            if (!child.isDead())
            {
                if (child.isIdle())
                {
                    child.mayClaim(!warmerIdleSibling(child));
                }
                work += step(child);
                anyInFlight |= child.hasTaskInFlight() || child.isStarting();
            }
        }
        for (final ChildProcess child : children)
        {
            if (child.isDead())
            {
                child.liveSiblings(liveChildrenOf(child.queue()));
                work += step(child);
            }
        }
        if (inFlight != anyInFlight)
        {
            inFlight = anyInFlight;
        }
        final long now = System.nanoTime();
        if (now - nextLivenessCheck >= 0)
        {
            nextLivenessCheck = now + CHILD_LIVENESS_INTERVAL_NS;
            for (final ChildProcess child : children)
            {
                child.checkAlive();
            }
        }
        return work;
    }

    /**
     * Whether another live, idle child of the same queue finished a task after this one: waiting work is left to it,
     * the child still awake with the data in its caches, so that a chain stays on one child whichever thread
     * drives and whenever the next step is published (also between two children's turns in one cycle).
     */
    private boolean warmerIdleSibling(final ChildProcess child)
    {
        for (final ChildProcess other : children)
        {
            if (other != child && other.queue() == child.queue() && !other.isDead() && other.isIdle()
                && other.lastFinish() > child.lastFinish())
            {
                return true;
            }
        }
        return false;
    }

    private int liveChildrenOf(final ReadyQueue queue)
    {
        int live = 0;
        for (final ChildProcess child : children)
        {
            if (child.queue() == queue && !child.isDead())
            {
                live++;
            }
        }
        return live;
    }

    private static int step(final ChildProcess child)
    {
        try
        {
            return child.doWork();
        }
        catch (final Throwable ex)
        {
            child.crashed(ex);
            return 1;
        }
    }

    private void idleInFlight(final int quietIterations)
    {
        if (quietIterations < DRIVER_IN_FLIGHT_SPINS || (busySpin && !callerInRun))
        {
            Thread.onSpinWait();
        }
        else if (quietIterations < DRIVER_IN_FLIGHT_SPINS + DRIVER_IN_FLIGHT_YIELDS)
        {
            Thread.yield();
        }
        else
        {
            // A long task: look less often the longer it runs (a sixteenth of the quiet time so far, within
            // bounds), so that it costs this process little CPU and its completion at most about 6 % more time.
            final long scaled = (System.nanoTime() - quietSince) >> 4;
            LockSupport.parkNanos(
                this, Math.min(DRIVER_MAX_IN_FLIGHT_PARK_NS, Math.max(DRIVER_IN_FLIGHT_PARK_NS, scaled)));
        }
    }
}
