package dev.simpler.engine.agent;

import java.util.concurrent.CopyOnWriteArrayList;

import org.agrona.ErrorHandler;

/**
 * The error handler of one Worker's agents (SPEC §11): an error that escapes an agent's duty cycle — a bug in the
 * engine or an {@link Error}, never a task's own failure, which the task reports — breaks the Worker. The first such
 * error is kept with the role of the agent it escaped, the run in progress is told (it fails with that error), and
 * every later call on the Worker names it.
 *
 * <p>Written by whichever agent fails first (a compare-and-set under this object's lock); read by any thread.
 */
public final class EngineErrors
{
    private final String workerId;
    private final CopyOnWriteArrayList<Runnable> brokenListeners = new CopyOnWriteArrayList<>();
    private volatile Throwable error;
    private volatile String role;

    /**
     * The errors of one Worker.
     *
     * @param workerId the Worker's id, for messages.
     */
    public EngineErrors(final String workerId)
    {
        this.workerId = workerId;
    }

    /**
     * The handler to give the agent of one role.
     *
     * @param agentRole what the agent does, e.g. "sub worker 0" or "the PROCESS-mode driver".
     * @return the handler.
     */
    public ErrorHandler handlerFor(final String agentRole)
    {
        return (throwable) -> onError(agentRole, throwable);
    }

    /**
     * Run {@code listener} once when the Worker breaks (at once if it is broken already).
     *
     * @param listener what to do, e.g. wake the orchestrating thread.
     */
    public void onBroken(final Runnable listener)
    {
        brokenListeners.add(listener);
        if (error != null)
        {
            listener.run();
        }
    }

    /**
     * Whether an error escaped one of the Worker's agents.
     *
     * @return true once broken.
     */
    public boolean isBroken()
    {
        return error != null;
    }

    /**
     * The first error that escaped an agent.
     *
     * @return the error, or null.
     */
    public Throwable error()
    {
        return error;
    }

    /**
     * What to throw at a caller of a broken Worker.
     *
     * @param what what was being done, e.g. "the run in progress failed".
     * @return an exception that names the Worker, the agent's role and the error, with the error as cause.
     */
    public IllegalStateException brokenException(final String what)
    {
        final Throwable cause = error;
        return new IllegalStateException(what + ": Worker " + workerId + " is broken: an error escaped " + role
            + ": " + cause + "; close() it and build a new one", cause);
    }

    private void onError(final String agentRole, final Throwable throwable)
    {
        synchronized (this)
        {
            if (error != null)
            {
                error.addSuppressed(throwable);
                return;
            }
            role = agentRole;
            error = throwable;
        }
        System.err.println("simpler: Worker " + workerId + " is broken: an error escaped " + agentRole + ":");
        throwable.printStackTrace();
        for (final Runnable listener : brokenListeners)
        {
            listener.run();
        }
    }
}
