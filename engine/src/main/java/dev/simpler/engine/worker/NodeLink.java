package dev.simpler.engine.worker;

/**
 * A next-level worker that is a lane to a node on another host (SPEC §15): the Worker it is added to gives it the
 * gauge of remote nodes connected when it starts, and takes it back when it closes. A lane reports its session's
 * state to the gauge it holds: at once when it is given one while connected, and down to the old one when it is
 * taken away.
 */
public interface NodeLink
{
    /**
     * The node this lane goes to, for names: its worker thread, failures and trace lanes name it.
     *
     * @return {@code host:port}.
     */
    String node();

    /**
     * Report the lane's session to this gauge from now on.
     *
     * @param gauge the Worker's gauge, or null when the Worker closes.
     */
    void nodeGauge(NodeGauge gauge);
}
