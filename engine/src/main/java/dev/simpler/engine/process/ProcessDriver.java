package dev.simpler.engine.process;

import java.util.List;
import java.util.concurrent.locks.LockSupport;

import dev.simpler.engine.idle.Waiter;
import dev.simpler.engine.idle.WakeCondition;

/**
 * The one thread that drives every PROCESS-mode child of a Worker: a duty cycle that steps each child's state
 * machine (claim ready tasks, write mailboxes, poll for completions) and checks every millisecond that the
 * children are alive. However many children there are, the engine has one such thread.
 *
 * <p>While no task is in flight it waits through its {@link Waiter}, woken when a task is published. While
 * tasks are in flight it cannot be woken from another process, so after spinning and yielding it parks for
 * short periods only.
 */
public final class ProcessDriver implements Runnable
{
    private static final long LIVENESS_INTERVAL_NS = 1_000_000L;
    private static final long IN_FLIGHT_PARK_NS = 20_000L;
    private static final int IN_FLIGHT_SPINS = 2_000;
    private static final int IN_FLIGHT_YIELDS = 200;

    private final ChildProcess[] children;
    private final Waiter waiter;
    private final WakeCondition stopRequested = () -> !this.running;
    private volatile boolean running = true;
    private Thread thread;

    ProcessDriver(final List<ChildProcess> children, final Waiter waiter)
    {
        this.children = children.toArray(new ChildProcess[0]);
        this.waiter = waiter;
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
     * Stop the thread and wait for it.
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
    }

    @Override
    public void run()
    {
        long nextLivenessCheck = System.nanoTime() + LIVENESS_INTERVAL_NS;
        int quietInFlight = 0;
        while (running)
        {
            int work = 0;
            boolean inFlight = false;
            for (final ChildProcess child : children)
            {
                try
                {
                    work += child.doWork();
                }
                catch (final Throwable ex)
                {
                    child.crashed(ex);
                    work++;
                }
                inFlight |= child.hasTaskInFlight() || child.isStarting();
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
            if (work > 0)
            {
                waiter.reset();
                quietInFlight = 0;
            }
            else if (inFlight)
            {
                idleInFlight(quietInFlight++);
            }
            else
            {
                quietInFlight = 0;
                waiter.idle(stopRequested, LIVENESS_INTERVAL_NS);
            }
        }
    }

    private void idleInFlight(final int quietIterations)
    {
        if (waiter.isBusySpin() || quietIterations < IN_FLIGHT_SPINS)
        {
            Thread.onSpinWait();
        }
        else if (quietIterations < IN_FLIGHT_SPINS + IN_FLIGHT_YIELDS)
        {
            Thread.yield();
        }
        else
        {
            LockSupport.parkNanos(this, IN_FLIGHT_PARK_NS);
        }
    }
}
