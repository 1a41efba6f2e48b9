package dev.simpler.perf.remote;

import io.aeron.ChannelUri;
import io.aeron.Subscription;

/**
 * The raw Aeron echo, the floor of SPEC §12's remote rows: its streams and its three kinds of message, told apart by
 * length and first word. Every message fits in one frame, as the remote module's messages do.
 *
 * <ul>
 *   <li>ping: at most {@link #PING_MAX_LENGTH} bytes, sent back as it came;</li>
 *   <li>hello: {@link #HELLO} then the client's reply endpoint in ASCII ({@code host:port}); the peer publishes its
 *       answers there from then on;</li>
 *   <li>piece: the transfer's total length (a long, {@link #PIECE_HEADER} bytes) then the next bytes of it, in
 *       order; once the peer has them all it sends the whole transfer back in pieces of the same form.</li>
 * </ul>
 */
final class RawEcho
{
    /** Stream of the messages from the client to the peer (on the peer's listen endpoint). */
    static final int REQUEST_STREAM_ID = 7401;

    /** Stream of the peer's answers (on the client's reply endpoint). */
    static final int REPLY_STREAM_ID = 7402;

    /** A message this long or shorter is a ping. */
    static final int PING_MAX_LENGTH = 8;

    /** First word of a hello. */
    static final long HELLO = -1L;

    /** Bytes before a piece's data: the transfer's total length. */
    static final int PIECE_HEADER = Long.BYTES;

    /** Largest transfer the peer takes back. */
    static final long MAX_TRANSFER = 1L << 30;

    private RawEcho()
    {
    }

    /**
     * The endpoint a subscription listens on, its port resolved when it asked for port 0.
     *
     * @param subscription the subscription.
     * @param timeoutNs    how long the driver may take to bind it.
     * @return {@code host:port}.
     */
    static String resolvedEndpoint(final Subscription subscription, final long timeoutNs)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        while (true)
        {
            final String resolved = subscription.tryResolveChannelEndpointPort();
            if (resolved != null && !resolved.equals(subscription.channel()))
            {
                return ChannelUri.parse(resolved).get("endpoint");
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("the port of " + subscription.channel() + " was not resolved within "
                    + timeoutNs / 1_000_000 + " ms");
            }
            Thread.yield();
        }
    }
}
