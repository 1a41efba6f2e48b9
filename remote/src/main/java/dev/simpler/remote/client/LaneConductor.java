package dev.simpler.remote.client;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;

import dev.simpler.remote.transport.RemoteConfiguration;

/**
 * Keeps the idle lanes of this process alive (SPEC §15): for each lane that no thread is running a task on, it takes
 * what the node sent, sends a heartbeat when one is due and drops the session of a node that fell silent, so that the
 * next task reconnects at once. It also polls the lanes whose callers parked while they wait for a completion (when
 * several callers wait at once, see {@link Lane}): it takes their outputs and completions and wakes each caller when
 * its task is done, so that k lanes in flight cost one polling thread rather than k threads each backing off by
 * itself. One thread for every lane of the process, started with the first lane and stopped with the last; it always
 * backs off.
 */
public final class LaneConductor implements Agent
{

    private static LaneConductor shared;
    private static AgentRunner runner;

    /**
     * Spins and yields of the conductor before it parks: fewer than a lane's own, since it shares the machine with
     * the threads that do the work (parks are as long as a lane's, so a parked caller is woken as soon as a lone one
     * would have noticed its completion itself).
     */
    private static final int CONDUCTOR_SPINS = 10;
    private static final int CONDUCTOR_YIELDS = 20;

    /** Callers of this process waiting for a completion ({@link Lane#run}), parked or not. */
    private static final AtomicInteger AWAITING = new AtomicInteger();

    /** Copy on write: the conductor reads it without a lock or an iterator. */
    private volatile Lane[] lanes = new Lane[0];

    private LaneConductor()
    {
    }

    /**
     * Start servicing a lane.
     *
     * @param lane the lane, connected.
     */
    public static synchronized void add(final Lane lane)
    {
        if (shared == null)
        {
            shared = new LaneConductor();
            runner = new AgentRunner(new BackoffIdleStrategy(CONDUCTOR_SPINS, CONDUCTOR_YIELDS,
                RemoteConfiguration.IDLE_MIN_PARK_NS, RemoteConfiguration.IDLE_MAX_PARK_NS),
                (error) -> System.err.println("simpler-remote: lane conductor: " + error), null, shared);
            AgentRunner.startOnThread(runner, (runnable) ->
            {
                final Thread thread = new Thread(runnable, "simpler-remote-lanes");
                thread.setDaemon(true);
                return thread;
            });
        }
        final Lane[] now = shared.lanes;
        final Lane[] next = Arrays.copyOf(now, now.length + 1);
        next[now.length] = lane;
        shared.lanes = next;
    }

    /**
     * Stop servicing a lane; the last one stops the thread.
     *
     * @param lane the lane.
     */
    public static synchronized void remove(final Lane lane)
    {
        if (shared == null)
        {
            return;
        }
        final Lane[] now = shared.lanes;
        int at = -1;
        for (int i = 0; i < now.length; i++)
        {
            if (now[i] == lane)
            {
                at = i;
            }
        }
        if (at < 0)
        {
            return;
        }
        final Lane[] next = new Lane[now.length - 1];
        System.arraycopy(now, 0, next, 0, at);
        System.arraycopy(now, at + 1, next, at, now.length - at - 1);
        shared.lanes = next;
        if (next.length == 0)
        {
            runner.close();
            runner = null;
            shared = null;
        }
    }

    /**
     * A caller starts or stops waiting for a completion.
     *
     * @param delta +1 or -1.
     */
    static void awaiting(final int delta)
    {
        AWAITING.addAndGet(delta);
    }

    /**
     * Callers of this process waiting for a completion now.
     *
     * @return the count.
     */
    static int awaitingNow()
    {
        return AWAITING.get();
    }

    @Override
    public int doWork()
    {
        final long now = System.nanoTime();
        int work = 0;
        for (final Lane lane : lanes)
        {
            work += lane.service(now);
        }
        return work;
    }

    @Override
    public String roleName()
    {
        return "simpler-remote-lanes";
    }
}
