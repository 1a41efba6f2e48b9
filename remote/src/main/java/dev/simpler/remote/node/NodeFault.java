package dev.simpler.remote.node;

/**
 * What breaks a node: an error that escaped a duty cycle of its conductor or runner (a bug). The first one breaks
 * the node for good: the conductor ends every session telling the L4 why and refuses new ones, so that no L4 waits
 * for a task that will never complete; the runner stops. Each error is logged, at most once a second, so a
 * repeating one cannot flood the log.
 */
final class NodeFault
{
    private static final long LOG_INTERVAL_NS = 1_000_000_000L;

    private final String name;
    private volatile Throwable error;
    private long lastLogNs;
    private long unlogged;

    NodeFault(final String name)
    {
        this.name = name;
        this.lastLogNs = System.nanoTime() - 2 * LOG_INTERVAL_NS;
    }

    /**
     * The error handler of the node's agents.
     *
     * @param role  the agent.
     * @param cause what escaped its duty cycle.
     */
    synchronized void onError(final String role, final Throwable cause)
    {
        if (error == null)
        {
            error = cause;
        }
        final long now = System.nanoTime();
        if (now - lastLogNs >= LOG_INTERVAL_NS)
        {
            lastLogNs = now;
            System.err.println("simpler-remote: " + name + " is broken: its " + role + " failed: " + cause
                + (unlogged > 0 ? " (" + unlogged + " more errors since the last line)" : ""));
            unlogged = 0;
        }
        else
        {
            unlogged++;
        }
    }

    /**
     * Whether the node is broken.
     *
     * @return true after the first error.
     */
    boolean isBroken()
    {
        return error != null;
    }

    /**
     * Why the node is broken, for the L4s.
     *
     * @return the message.
     */
    String reason()
    {
        return name + " is broken (" + error + "); restart it";
    }
}
