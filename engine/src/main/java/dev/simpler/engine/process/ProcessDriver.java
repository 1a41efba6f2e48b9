package dev.simpler.engine.process;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import dev.simpler.engine.idle.Waiter;
import dev.simpler.engine.idle.WakeCondition;
import dev.simpler.engine.orchestrator.RunAssist;
import dev.simpler.engine.scheduler.ReadyQueue;

/**
 * Drives every PROCESS-mode child of a Worker: a duty cycle that steps each child's state machine (claim ready
 * tasks, write mailboxes, poll for completions) and checks every millisecond that the children are alive.
 *
 * <p>Two threads can run the duty cycle, one at a time (a try-lock decides): the driver thread this class
 * starts, and the thread inside {@code Worker.run} (through {@link RunAssist}), which runs it right after each
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
public final class ProcessDriver implements Runnable, RunAssist
{
    private static final long LIVENESS_INTERVAL_NS = 1_000_000L;
    private static final long IN_FLIGHT_PARK_NS = 20_000L;
    private static final long MAX_IN_FLIGHT_PARK_NS = 1_000_000L;
    private static final long MIN_BACKUP_PARK_NS = 50_000L;
    private static final long MAX_BACKUP_PARK_NS = 1_000_000L;
    private static final int IN_FLIGHT_SPINS = 2_000;
    private static final int IN_FLIGHT_YIELDS = 200;
    private static final VarHandle DRIVING;

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
    private final WakeCondition stopRequested = () -> !this.running;
    private volatile boolean running = true;
    @SuppressWarnings("unused")
    private volatile int driving;
    private volatile boolean callerInRun;
    private volatile long assists;
    private volatile boolean inFlight;
    // Guarded by the driving lock.
    private boolean closed;
    private long nextLivenessCheck = System.nanoTime() + LIVENESS_INTERVAL_NS;
    // Owned by the driver thread: when its current stretch of in-flight idling began.
    private long quietSince;
    private Thread thread;

    ProcessDriver(final List<ChildProcess> children, final Waiter waiter, final boolean busySpin)
    {
        this.children = children.toArray(new ChildProcess[0]);
        this.waiter = waiter;
        this.busySpin = busySpin;
    }

    /**
     * Start the thread.
     *
     * @param threadName its name.
     */
    void start(final String threadName)
    {
        thread = new Thread(this, threadName);
        thread.setDaemon(true);
        waiter.bind(thread);
        thread.start();
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
        if (thread != null)
        {
            try
            {
                thread.join(timeoutMs);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
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
        return tryDrive();
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

    // ---------------------------------------------------------------- the driver thread

    @Override
    public void run()
    {
        int quietInFlight = 0;
        long seenAssists = -1;
        long backupParkNs = MIN_BACKUP_PARK_NS;
        while (running)
        {
            if (callerInRun)
            {
                final long now = assists;
                if (now != seenAssists)
                {
                    // The orchestrating thread is driving: stay out of its way, and look less often the longer
                    // it keeps driving (every wake-up of this thread takes CPU from the two that work).
                    seenAssists = now;
                    LockSupport.parkNanos(this, backupParkNs);
                    backupParkNs = Math.min(MAX_BACKUP_PARK_NS, backupParkNs * 2);
                    continue;
                }
                backupParkNs = MIN_BACKUP_PARK_NS;
            }
            final int work = tryDrive();
            if (work > 0)
            {
                waiter.reset();
                quietInFlight = 0;
            }
            else if (inFlight)
            {
                if (quietInFlight == 0)
                {
                    quietSince = System.nanoTime();
                }
                idleInFlight(quietInFlight++);
            }
            else
            {
                quietInFlight = 0;
                if (callerInRun)
                {
                    LockSupport.parkNanos(this, MIN_BACKUP_PARK_NS);
                }
                else
                {
                    waiter.idle(stopRequested, LIVENESS_INTERVAL_NS);
                }
            }
        }
    }

    private int tryDrive()
    {
        if (!DRIVING.compareAndSet(this, 0, 1))
        {
            return 0;
        }
        try
        {
            return closed ? 0 : dutyCycle();
        }
        finally
        {
            DRIVING.setRelease(this, 0);
        }
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
            nextLivenessCheck = now + LIVENESS_INTERVAL_NS;
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
        if (quietIterations < IN_FLIGHT_SPINS || (busySpin && !callerInRun))
        {
            Thread.onSpinWait();
        }
        else if (quietIterations < IN_FLIGHT_SPINS + IN_FLIGHT_YIELDS)
        {
            Thread.yield();
        }
        else
        {
            // A long task: look less often the longer it runs (a sixteenth of the quiet time so far, within
            // bounds), so that it costs this process little CPU and its completion at most about 6 % more time.
            final long scaled = (System.nanoTime() - quietSince) >> 4;
            LockSupport.parkNanos(this, Math.min(MAX_IN_FLIGHT_PARK_NS, Math.max(IN_FLIGHT_PARK_NS, scaled)));
        }
    }
}
