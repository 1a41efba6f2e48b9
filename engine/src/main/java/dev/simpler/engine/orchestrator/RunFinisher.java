package dev.simpler.engine.orchestrator;

import static dev.simpler.engine.config.Configuration.BACKOFF_MAX_PARK_NS;
import static dev.simpler.engine.config.Configuration.RUN_FINISHER_QUIET_PARK_NS;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;

import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.idle.Waiter;

/**
 * Finishes runs in flight that nobody waits for (SPEC §13): after {@code Worker.submit} returned, the run's tasks
 * complete on the worker threads (or children), but someone must take their completions, retire them and tell the
 * run's handle. The thread that joins a run does that itself; while no thread submits or joins, this agent does,
 * one short step at a time, so that a submitting or joining thread never waits long for the driving role.
 *
 * <p>It always backs off (never busy-spins): it is woken by each completion that arrives while it is the one to take
 * it, and by a thread that gives up the driving role with runs still in flight. With no run in flight it parks for
 * long periods.
 */
public final class RunFinisher implements Agent
{
    private final GraphBuilder graph;
    private final Runnable afterStep;
    private final String roleName;
    private final Waiter waiter = new Waiter(WaitStrategy.BACKOFF);
    private final IdleStrategy idleStrategy = new FinisherIdleStrategy();

    /**
     * A finisher of the runs of one graph builder.
     *
     * @param graph     the graph builder whose runs it finishes.
     * @param afterStep what to do after each step, outside the driving role (completing the futures of runs that
     *                  finished, whose callbacks are the user's code).
     * @param roleName  the thread's name.
     */
    public RunFinisher(final GraphBuilder graph, final Runnable afterStep, final String roleName)
    {
        this.graph = graph;
        this.afterStep = afterStep;
        this.roleName = roleName;
        waiter.condition(graph::finisherHasWork);
        graph.finisherWaiter(waiter);
    }

    /**
     * The finisher's waiter, to bind to its thread when it starts.
     *
     * @return the waiter.
     */
    public Waiter waiter()
    {
        return waiter;
    }

    /**
     * How the finisher's thread idles.
     *
     * @return the idle strategy.
     */
    public IdleStrategy idleStrategy()
    {
        return idleStrategy;
    }

    @Override
    public int doWork()
    {
        final int taken = graph.finishStep();
        if (taken > 0)
        {
            afterStep.run();
        }
        return taken;
    }

    @Override
    public void onClose()
    {
        afterStep.run();
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    /** Short parks while runs are in flight (a wake-up ends them anyway), long ones while none is. */
    private final class FinisherIdleStrategy implements IdleStrategy
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
            // Another thread drives (or no run is in flight): nothing to do until it gives the role up, which
            // wakes this thread when runs are left in flight.
            final boolean needed = graph.runs().inFlight() > 0 && !graph.isDriven();
            waiter.idleUpTo(graph::finisherHasWork, needed ? BACKOFF_MAX_PARK_NS : RUN_FINISHER_QUIET_PARK_NS);
        }

        @Override
        public void reset()
        {
            waiter.reset();
        }
    }
}
