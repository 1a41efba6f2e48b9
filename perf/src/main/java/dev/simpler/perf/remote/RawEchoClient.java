package dev.simpler.perf.remote;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.agrona.BufferUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.WaitStrategy;
import dev.simpler.remote.transport.ControlWriter;
import dev.simpler.remote.transport.HostAndPort;
import dev.simpler.remote.transport.RemoteConfiguration;
import dev.simpler.remote.transport.Transport;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.Header;

/**
 * The L4 side of the raw Aeron echo ({@link RawEcho}): the process's transport (the driver a RemoteWorker uses), an
 * exclusive publication to the peer and a subscription on a reply endpoint of its own, as a lane has; the calling
 * thread sends, polls and idles with the lane's idle strategy. Single writer: the thread that connected it.
 */
final class RawEchoClient implements AutoCloseable
{
    private static final long RESOLVE_TIMEOUT_NS = Duration.ofSeconds(10).toNanos();

    private final Transport transport;
    private final IdleStrategy idle;
    private final FragmentAssembler assembler = new FragmentAssembler(this::onFragment);
    private final BufferClaim claim = new BufferClaim();
    private final UnsafeBuffer ping = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));
    private final String peer;
    private Subscription subscription;
    private ExclusivePublication publication;
    private int pingLength;
    private boolean answered;
    private int answer;
    private UnsafeBuffer into;
    private long received;

    private RawEchoClient(final Transport transport, final String peer, final WaitStrategy strategy)
    {
        this.transport = transport;
        this.idle = Transport.idleStrategy(strategy);
        this.peer = peer;
    }

    /**
     * Connect to a peer: channels both ways, the hello, and the peer's publication back connected.
     *
     * @param peerAddress the peer's endpoint.
     * @param timeout     how long it may take.
     * @param strategy    how the calling thread waits, as a lane connected with it does.
     * @return the client.
     */
    static RawEchoClient connect(final String peerAddress, final Duration timeout, final WaitStrategy strategy)
    {
        final HostAndPort peer = HostAndPort.parse(peerAddress, "echo peer address");
        final RawEchoClient client =
            new RawEchoClient(Transport.acquire(strategy), peer.toString(), strategy);
        try
        {
            client.open(peer, System.nanoTime() + timeout.toNanos());
            return client;
        }
        catch (final RuntimeException ex)
        {
            client.close();
            throw ex;
        }
    }

    private void open(final HostAndPort peerAddress, final long deadline)
    {
        subscription = transport.aeron().addSubscription(
            "aeron:udp?endpoint=" + HostAndPort.endpoint(peerAddress.localAddressTowards(), 0),
            RawEcho.REPLY_STREAM_ID);
        final String replyEndpoint = RawEcho.resolvedEndpoint(subscription, RESOLVE_TIMEOUT_NS);
        publication = transport.aeron().addExclusivePublication(peerAddress.publicationChannel(),
            RawEcho.REQUEST_STREAM_ID);
        while (!publication.isConnected())
        {
            checkDeadline(deadline, "its publication did not connect");
            idle.idle();
        }
        final UnsafeBuffer hello = new UnsafeBuffer(new byte[Long.BYTES + replyEndpoint.length()]);
        hello.putLong(0, RawEcho.HELLO);
        hello.putBytes(Long.BYTES, replyEndpoint.getBytes(StandardCharsets.US_ASCII));
        while (!ControlWriter.sent(publication.offer(hello)))
        {
            checkDeadline(deadline, "the hello was not taken");
            idle.idle();
        }
        while (!subscription.isConnected())
        {
            checkDeadline(deadline, "it did not connect its answers to " + replyEndpoint);
            idle.idle();
        }
        idle.reset();
    }

    /**
     * One ping there and back: send {@code length} bytes, wait for them to come back.
     *
     * @param value  the first int of the ping, checked in the answer.
     * @param length its length, 4 to {@link RawEcho#PING_MAX_LENGTH}.
     */
    void ping(final int value, final int length)
    {
        ping.putInt(0, value);
        pingLength = length;
        answered = false;
        long result;
        while (!ControlWriter.sent(result = publication.offer(ping, 0, length)))
        {
            checkResult(result);
            idle.idle();
        }
        idle.reset();
        while (!answered)
        {
            idle.idle(subscription.poll(assembler, RemoteConfiguration.FRAGMENT_LIMIT));
        }
        idle.reset();
        if (answer != value)
        {
            throw new IllegalStateException("the echo of ping " + value + " was " + answer);
        }
    }

    /**
     * Send the bytes of {@code from} to the peer in pieces of one frame and take them back into {@code back}, once
     * the peer had all of them.
     *
     * @param from the bytes to send.
     * @param back where the echo goes, as large.
     */
    void transfer(final UnsafeBuffer from, final UnsafeBuffer back)
    {
        final long total = from.capacity();
        into = back;
        received = 0;
        final int maxPiece = publication.maxPayloadLength() - RawEcho.PIECE_HEADER;
        long sent = 0;
        while (sent < total)
        {
            final int length = (int)Math.min(maxPiece, total - sent);
            final long result = publication.tryClaim(RawEcho.PIECE_HEADER + length, claim);
            if (!ControlWriter.sent(result))
            {
                checkResult(result);
                idle.idle(subscription.poll(assembler, RemoteConfiguration.FRAGMENT_LIMIT));
                continue;
            }
            claim.buffer().putLong(claim.offset(), total);
            claim.buffer().putBytes(claim.offset() + RawEcho.PIECE_HEADER, from, (int)sent, length);
            claim.commit();
            sent += length;
        }
        idle.reset();
        while (received < total)
        {
            idle.idle(subscription.poll(assembler, RemoteConfiguration.FRAGMENT_LIMIT));
        }
        idle.reset();
        into = null;
    }

    private void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (length <= RawEcho.PING_MAX_LENGTH)
        {
            if (length != pingLength)
            {
                throw new IllegalStateException("a ping of " + pingLength + " bytes came back as " + length);
            }
            answer = buffer.getInt(offset);
            answered = true;
            return;
        }
        if (into == null || buffer.getLong(offset) != into.capacity())
        {
            throw new IllegalStateException("a piece of a transfer of " + buffer.getLong(offset) + " bytes that was "
                + "not asked for");
        }
        final int data = length - RawEcho.PIECE_HEADER;
        into.putBytes((int)received, buffer, offset + RawEcho.PIECE_HEADER, data);
        received += data;
    }

    private void checkResult(final long result)
    {
        if (result == Publication.NOT_CONNECTED || ControlWriter.failedForGood(result))
        {
            throw new IllegalStateException("the echo peer " + peer + " is gone (offer returned " + result + ")");
        }
    }

    private void checkDeadline(final long deadline, final String what)
    {
        if (System.nanoTime() - deadline > 0)
        {
            throw new IllegalStateException("the echo peer " + peer + " did not answer in time: " + what);
        }
    }

    @Override
    public void close()
    {
        CloseHelper.quietCloseAll(publication, subscription);
        Transport.release(transport);
    }
}
