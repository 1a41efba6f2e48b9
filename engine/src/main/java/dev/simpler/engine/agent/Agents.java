package dev.simpler.engine.agent;

import java.util.concurrent.ThreadFactory;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;

/**
 * How the engine starts and stops the threads of its agents: each one an Agrona {@link AgentRunner} on a daemon
 * thread, with the Worker's error handler, and a close that gives up after a bounded wait instead of waiting forever
 * for a thread stuck in user code.
 */
public final class Agents
{
    private static final long START_TIMEOUT_NS = 10_000_000_000L;

    private Agents()
    {
    }

    /**
     * Wrap an agent for a Worker built with a fault hook; returns the agent itself when there is none.
     *
     * @param agent the agent.
     * @param role  its role, passed to the hook.
     * @param hook  the hook, or null.
     * @return what to run.
     */
    public static Agent withFaultHook(final Agent agent, final String role, final AgentFaultHook hook)
    {
        if (hook == null)
        {
            return agent;
        }
        return new Agent()
        {
            @Override
            public void onStart()
            {
                agent.onStart();
            }

            @Override
            public int doWork() throws Exception
            {
                hook.beforeDutyCycle(role);
                return agent.doWork();
            }

            @Override
            public void onClose()
            {
                agent.onClose();
            }

            @Override
            public String roleName()
            {
                return agent.roleName();
            }
        };
    }

    /**
     * Start an agent on a daemon thread named after its role.
     *
     * @param agent        the agent.
     * @param idleStrategy how its thread idles between duty cycles that found no work.
     * @param errorHandler what hears of an error that escapes a duty cycle.
     * @param beforeStart  given the new thread before it starts (e.g. to bind a waiter to it), or null.
     * @return the runner, for {@link #close}.
     */
    public static AgentRunner start(
        final Agent agent,
        final IdleStrategy idleStrategy,
        final ErrorHandler errorHandler,
        final java.util.function.Consumer<Thread> beforeStart)
    {
        final AgentRunner runner = new AgentRunner(idleStrategy, errorHandler, null, agent);
        final ThreadFactory factory = (runnable) ->
        {
            final Thread thread = new Thread(runnable);
            thread.setDaemon(true);
            if (beforeStart != null)
            {
                beforeStart.accept(thread);
            }
            return thread;
        };
        AgentRunner.startOnThread(runner, factory);
        // The runner knows its thread only once the thread runs; until then close() would find none to wait for and
        // return while the thread is still starting. So the thread is seen running before the runner is handed out.
        final long deadline = System.nanoTime() + START_TIMEOUT_NS;
        while (runner.thread() == null)
        {
            if (System.nanoTime() - deadline > 0)
            {
                runner.close();
                throw new IllegalStateException("the thread of " + agent.roleName() + " did not start within "
                    + START_TIMEOUT_NS / 1_000_000 + " ms");
            }
            Thread.yield();
        }
        return runner;
    }

    /**
     * Stop an agent's thread: wait for it, interrupt it if it is still busy after {@code timeoutMs}, wait once more,
     * then give up on it (it is a daemon thread) and throw.
     *
     * @param runner    the runner, or null.
     * @param timeoutMs how long each of the two waits lasts.
     * @throws IllegalStateException when the thread did not end.
     */
    public static void close(final AgentRunner runner, final long timeoutMs)
    {
        if (runner == null)
        {
            return;
        }
        final Thread thread = runner.thread();
        final int[] timeouts = new int[1];
        runner.close((int)timeoutMs, (stuck) ->
        {
            if (++timeouts[0] > 1)
            {
                throw new IllegalStateException("thread " + stuck.getName() + " did not stop within "
                    + 2 * timeoutMs + " ms, also after an interrupt");
            }
        });
        if (thread != null && thread != AgentRunner.TOMBSTONE)
        {
            // A runner whose agent ended with an Error counts as closed while its thread still unwinds.
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
}
