package dev.simpler.engine.worker;

import java.util.HashMap;
import java.util.Map;

import org.agrona.concurrent.status.AtomicCounter;

/**
 * The "remote nodes connected" gauge of a Worker's counters (SPEC §14, §15): how many distinct nodes at least one
 * of the Worker's lanes ({@link NodeLink}s) has a session with now. Lanes report their sessions going up and down
 * from their own threads, rarely, so the gauge is kept under a lock; it is the counter's only writer. Once closed it
 * ignores reports, so that a lane that outlives its Worker never writes into the Worker's unmapped counters file.
 */
public final class NodeGauge
{
    private final AtomicCounter counter;
    private final Map<String, Integer> lanesUp = new HashMap<>();
    private boolean closed;

    /**
     * A gauge writing into a Worker's counter.
     *
     * @param counter the counter; written only here.
     */
    public NodeGauge(final AtomicCounter counter)
    {
        this.counter = counter;
    }

    /**
     * A lane's session with a node came up.
     *
     * @param node the node's name; lanes to one node name it alike.
     */
    public synchronized void laneUp(final String node)
    {
        if (!closed)
        {
            lanesUp.merge(node, 1, Integer::sum);
            counter.setRelease(lanesUp.size());
        }
    }

    /**
     * A lane's session with a node ended (or the lane left the Worker while connected).
     *
     * @param node the node's name, as given to {@link #laneUp}.
     */
    public synchronized void laneDown(final String node)
    {
        final Integer lanes = lanesUp.get(node);
        if (!closed && lanes != null)
        {
            if (lanes == 1)
            {
                lanesUp.remove(node);
            }
            else
            {
                lanesUp.put(node, lanes - 1);
            }
            counter.setRelease(lanesUp.size());
        }
    }

    /**
     * Stop writing the counter: its Worker closes and is about to remove the counters file.
     */
    public synchronized void close()
    {
        closed = true;
    }

    /**
     * Nodes connected now, as the gauge counts them.
     *
     * @return the count.
     */
    public synchronized int nodesConnected()
    {
        return lanesUp.size();
    }
}
