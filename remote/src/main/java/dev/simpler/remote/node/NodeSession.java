package dev.simpler.remote.node;

import dev.simpler.remote.codec.RefuseReason;
import dev.simpler.remote.transport.Handshake;
import dev.simpler.remote.transport.ImageProgress;
import io.aeron.Publication;

/**
 * One L4 lane's session on a node: the Aeron image it sends from, the publication the node answers on, the
 * handshake's nonces, the heartbeat clock and the session's staging slot and task.
 *
 * <p>The node conductor writes it; the node runner reads {@link #publication}, {@link #token} and {@link #open}
 * while it sends a task's outputs.
 */
final class NodeSession
{
    /** The node must send its challenge (its publication may not be connected yet). */
    static final int SEND_CHALLENGE = 0;
    /** The node waits for the L4's answer. */
    static final int AWAIT_RESPONSE = 1;
    /** Admitted: tasks are accepted. */
    static final int ADMITTED = 2;
    /** Ended; waits for the runner to give its task back before its resources go. */
    static final int CLOSING = 3;

    final int imageSessionId;
    final String peer;
    final Publication publication;
    final byte[] clientNonce = new byte[Handshake.DIGEST_LENGTH];
    final byte[] nodeNonce = new byte[Handshake.DIGEST_LENGTH];
    final NodeTask task = new NodeTask(this);

    int state = SEND_CHALLENGE;
    volatile long token;
    volatile boolean open = true;
    long handshakeDeadlineNs;
    long lastHeardNs;
    /** How far the L4's bytes arrived: arrivals count as hearing from it (see {@link ImageProgress}). */
    ImageProgress arrivals;
    long lastHeartbeatNs;
    /** Address of the session's slot in the arena, or 0 before admission. */
    long slot;
    String closeReason;
    /** A handshake message the conductor still has to send (NodeConductor's SEND_ codes). */
    int pendingSend;
    RefuseReason refuseReason;
    String refuseMessage;

    NodeSession(final int imageSessionId, final String peer, final Publication publication)
    {
        this.imageSessionId = imageSessionId;
        this.peer = peer;
        this.publication = publication;
    }

    @Override
    public String toString()
    {
        return "session " + imageSessionId + " from " + peer;
    }
}
