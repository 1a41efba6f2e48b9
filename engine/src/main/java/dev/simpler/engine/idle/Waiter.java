package dev.simpler.engine.idle;

import static dev.simpler.engine.config.Configuration.BACKOFF_MAX_PARK_NS;
import static dev.simpler.engine.config.Configuration.BACKOFF_SPINS;
import static dev.simpler.engine.config.Configuration.BACKOFF_YIELDS;

import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.IdleStrategy;

import dev.simpler.engine.WaitStrategy;

/**
 * The fields other threads read when they wake a waiter.
 */
abstract class WaiterSharedFields
{
    final boolean busySpin;
    volatile Thread owner;
    volatile boolean parked;
    volatile boolean wakeupsSuppressed;

    WaiterSharedFields(final boolean busySpin)
    {
        this.busySpin = busySpin;
    }
}

/**
 * Keeps the owner's spin counter off the cache line that wakers read on every publish.
 */
@SuppressWarnings("unused")
abstract class WaiterPadding extends WaiterSharedFields
{
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15, p16;

    WaiterPadding(final boolean busySpin)
    {
        super(busySpin);
    }
}

/**
 * How one thread waits for a condition that another thread makes true, per the configured
 * {@link WaitStrategy}. With {@link WaitStrategy#BACKOFF} it spins, then yields, then parks; the thread that
 * makes the condition true calls {@link #wake()} so that a parked waiter resumes at once rather than when its
 * park times out. With {@link WaitStrategy#BUSY_SPIN} it only spins and wake-ups cost nothing.
 *
 * <p>As an {@link IdleStrategy} it is the idle strategy of an agent's thread, waiting for the condition the agent
 * set. Written by its owning thread; {@link #wake()} may be called from any thread.
 */
public final class Waiter extends WaiterPadding implements IdleStrategy
{

    // Written by the owner on every idle spin; the padding above keeps it away from the fields wakers read.
    private int idleCount;
    private WakeCondition condition = () -> false;
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long q01, q02, q03, q04, q05, q06, q07;

    /**
     * A waiter for the given strategy.
     *
     * @param strategy how to wait.
     */
    public Waiter(final WaitStrategy strategy)
    {
        super(strategy == WaitStrategy.BUSY_SPIN);
    }

    /**
     * Set what the owner waits for when it idles as an {@link IdleStrategy}; once, before the owner starts.
     *
     * @param condition re-checked after a park is announced, so no wake-up is lost.
     */
    public void condition(final WakeCondition condition)
    {
        this.condition = condition;
    }

    /**
     * Idle strategy of an agent's duty cycle: after work, start the next wait with spinning again; after none, wait
     * a little for the condition.
     *
     * @param workCount what the duty cycle did.
     */
    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            idleCount = 0;
        }
        else
        {
            idle(condition, BACKOFF_MAX_PARK_NS);
        }
    }

    @Override
    public void idle()
    {
        idle(condition, BACKOFF_MAX_PARK_NS);
    }

    @Override
    public String alias()
    {
        return busySpin ? "simpler-busy-spin" : "simpler-backoff";
    }

    /**
     * Bind the waiter to the thread that will wait on it.
     *
     * @param thread the waiting thread.
     */
    public void bind(final Thread thread)
    {
        owner = thread;
    }

    /**
     * Called by the owning thread after it found work, so that the next wait starts with spinning again.
     */
    @Override
    public void reset()
    {
        idleCount = 0;
    }

    /**
     * Wait a little for {@code condition}; returns early when it holds. Callers loop around this, and rely on a park
     * never being longer than {@link dev.simpler.engine.config.Configuration#BACKOFF_MAX_PARK_NS} (they re-check
     * what they wait for, or start asking for it, between parks), so a longer {@code maxParkNs} is cut to that.
     *
     * @param condition what the waiter waits for; re-checked after announcing a park, so no wake-up is lost.
     * @param maxParkNs longest park, in nanoseconds.
     */
    public void idle(final WakeCondition condition, final long maxParkNs)
    {
        idleUpTo(condition, Math.min(maxParkNs, BACKOFF_MAX_PARK_NS));
    }

    /**
     * Like {@link #idle(WakeCondition, long)}, but a park may last the whole {@code parkNs}: for a thread that is
     * woken whenever it is needed and otherwise only checks in now and then (the run finisher while another thread
     * drives or no run is in flight).
     *
     * @param condition what the waiter waits for; re-checked after announcing a park, so no wake-up is lost.
     * @param parkNs    longest park, in nanoseconds.
     */
    public void idleUpTo(final WakeCondition condition, final long parkNs)
    {
        assert owner == null || owner == Thread.currentThread() : "only " + owner.getName() + " waits on its waiter";
        if (busySpin)
        {
            Thread.onSpinWait();
            return;
        }
        final int count = idleCount;
        if (count < BACKOFF_SPINS)
        {
            idleCount = count + 1;
            Thread.onSpinWait();
        }
        else if (count < BACKOFF_SPINS + BACKOFF_YIELDS)
        {
            idleCount = count + 1;
            Thread.yield();
        }
        else
        {
            parked = true;
            VarHandle.fullFence();
            if (!condition.isMet())
            {
                LockSupport.parkNanos(this, parkNs);
            }
            parked = false;
        }
    }

    /**
     * Wait a little for {@code condition}, parking at most the default period.
     *
     * @param condition what the waiter waits for.
     */
    public void idle(final WakeCondition condition)
    {
        idle(condition, BACKOFF_MAX_PARK_NS);
    }

    /**
     * Wake the owning thread if it is parked. The caller must have made its change visible before (a
     * volatile write, a CAS or a publish) and issue a full fence first when several waiters are checked, see
     * {@link #wakeAll(Waiter[])}.
     */
    public void wake()
    {
        if (!busySpin)
        {
            VarHandle.fullFence();
            wakeIfParked();
        }
    }

    /**
     * Wake every parked waiter of a group, with one fence for the whole group.
     *
     * @param waiters the group.
     */
    public static void wakeAll(final Waiter[] waiters)
    {
        if (waiters.length == 0 || waiters[0].busySpin)
        {
            return;
        }
        VarHandle.fullFence();
        for (final Waiter waiter : waiters)
        {
            waiter.wakeIfParked();
        }
    }

    /**
     * Ignore {@link #wake()} and {@link #wakeAll} while the owner is known not to be needed (another thread does
     * its work), so that wakers do not pay for an unpark.
     *
     * @param suppressed true to ignore wake-ups, false to honour them again.
     */
    public void suppressWakeups(final boolean suppressed)
    {
        wakeupsSuppressed = suppressed;
    }

    /**
     * Unpark the owning thread unconditionally; used on shutdown.
     */
    public void interruptWait()
    {
        final Thread thread = owner;
        if (thread != null)
        {
            LockSupport.unpark(thread);
        }
    }

    private void wakeIfParked()
    {
        if (parked && !wakeupsSuppressed)
        {
            final Thread thread = owner;
            if (thread != null)
            {
                LockSupport.unpark(thread);
            }
        }
    }
}
