package dev.simpler.remote.transport;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts of dropped messages by reason, and a log line for each reason at most once a second, so a flood of bad
 * input neither goes unnoticed nor fills the log. Any thread may drop.
 */
public final class DropCounters
{
    private static final long LOG_INTERVAL_NS = 1_000_000_000L;

    private final String owner;
    private final AtomicLongArray counts = new AtomicLongArray(DropReason.values().length);
    private final AtomicLongArray lastLogNs = new AtomicLongArray(DropReason.values().length);

    /**
     * Counters of one node or lane.
     *
     * @param owner who drops, for the log (e.g. "node 127.0.0.1:40123").
     */
    public DropCounters(final String owner)
    {
        this.owner = owner;
        for (int i = 0; i < lastLogNs.length(); i++)
        {
            lastLogNs.set(i, System.nanoTime() - 2 * LOG_INTERVAL_NS);
        }
    }

    /**
     * Count a dropped message and log it when this reason was not logged in the last second.
     *
     * @param reason why.
     * @param aeronSessionId the Aeron session of the image it came from.
     */
    public void drop(final DropReason reason, final int aeronSessionId)
    {
        final long count = counts.incrementAndGet(reason.ordinal());
        final long now = System.nanoTime();
        final long last = lastLogNs.get(reason.ordinal());
        if (now - last >= LOG_INTERVAL_NS && lastLogNs.compareAndSet(reason.ordinal(), last, now))
        {
            System.err.println("simpler-remote: " + owner + " dropped a message from Aeron session " + aeronSessionId
                + ": " + reason.description() + " (" + reason + ", " + count + " so far)");
        }
    }

    /**
     * Messages dropped for one reason.
     *
     * @param reason the reason.
     * @return the count.
     */
    public long count(final DropReason reason)
    {
        return counts.get(reason.ordinal());
    }

    /**
     * Messages dropped for any reason.
     *
     * @return the count.
     */
    public long total()
    {
        long total = 0;
        for (int i = 0; i < counts.length(); i++)
        {
            total += counts.get(i);
        }
        return total;
    }
}
