package dev.simpler.engine.agent;

/**
 * A role that one thread at a time plays, such as the orchestrating thread of a Worker (the thread inside
 * {@code Worker.run}, a different one from run to run). The structures that only that role may write check it
 * with {@code assert role.isHeld()}, so that a wrong claim about which thread writes what fails the tests (which run
 * with assertions enabled) instead of corrupting state under load; with assertions disabled it costs nothing.
 *
 * <p>Taken and given back by the thread that plays the role; read by any thread.
 */
public final class ThreadRole
{
    private final String name;
    // Plain: read only by the assertions of the thread that took the role, which wrote it itself.
    private Thread holder;

    /**
     * A role no thread plays yet.
     *
     * @param name what the role is, for messages, e.g. "the orchestrating thread".
     */
    public ThreadRole(final String name)
    {
        this.name = name;
    }

    /**
     * The calling thread starts to play the role.
     */
    public void take()
    {
        holder = Thread.currentThread();
    }

    /**
     * The calling thread stops playing the role.
     */
    public void give()
    {
        holder = null;
    }

    /**
     * Whether the calling thread plays the role.
     *
     * @return true when it took the role and has not given it back.
     */
    public boolean isHeld()
    {
        return holder == Thread.currentThread();
    }

    /**
     * A message for a failed check.
     *
     * @return e.g. "only the orchestrating thread (main) may do this, not worker-3".
     */
    public String violation()
    {
        final Thread current = holder;
        return "only " + name + " (" + (current == null ? "no thread now" : current.getName()) + ") may do this, not "
            + Thread.currentThread().getName();
    }

    @Override
    public String toString()
    {
        return name;
    }
}
