package dev.simpler.perf.remote;

import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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
 * The echo side of the raw Aeron floor of SPEC §12's remote rows ({@link RawEcho}), a JVM of its own on the node's
 * host: the same embedded media driver as a node's ({@link Transport}), one thread that polls and answers with the
 * remote module's idle strategy for the wait strategy given (BACKOFF unless told BUSY_SPIN, as a node launched with
 * that {@code --wait-strategy}). Pings go back at once; a transfer goes back once all of it came.
 *
 * <pre>
 * java ... dev.simpler.perf.remote.RawEchoPeer --listen HOST:PORT [--wait-strategy BACKOFF|BUSY_SPIN]
 * </pre>
 *
 * <p>Prints {@code raw-echo listening on HOST:PORT} once it takes messages (port 0 asks for a free one) and runs
 * until it is stopped (SIGTERM) or the process that started it exits. Single writer: the main thread.
 */
public final class RawEchoPeer
{
    /** The line printed once the peer takes messages, followed by its endpoint. */
    public static final String LISTENING = "raw-echo listening on ";

    private static final long RESOLVE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private final Subscription subscription;
    private final FragmentAssembler assembler = new FragmentAssembler(this::onFragment);
    private final IdleStrategy idle;
    private final BufferClaim claim = new BufferClaim();
    private final Transport transport;
    private ExclusivePublication reply;
    private UnsafeBuffer transfer = new UnsafeBuffer(0, 0);
    private long transferLength;
    private long received;
    private long sent = -1;
    private volatile boolean running = true;

    private RawEchoPeer(final Transport transport, final HostAndPort listen, final WaitStrategy strategy)
    {
        this.transport = transport;
        this.idle = Transport.idleStrategy(strategy);
        this.subscription = transport.aeron().addSubscription(listen.subscriptionChannel(),
            RawEcho.REQUEST_STREAM_ID);
    }

    /**
     * Run the peer until it is stopped.
     *
     * @param args {@code --listen HOST:PORT [--wait-strategy BACKOFF|BUSY_SPIN]}.
     */
    public static void main(final String[] args)
    {
        final boolean withStrategy = args.length == 4 && "--wait-strategy".equals(args[2])
            && ("BACKOFF".equals(args[3]) || "BUSY_SPIN".equals(args[3]));
        if ((args.length != 2 && !withStrategy) || !"--listen".equals(args[0]))
        {
            System.err.println("usage: RawEchoPeer --listen HOST:PORT [--wait-strategy BACKOFF|BUSY_SPIN]");
            System.exit(2);
        }
        final WaitStrategy strategy = withStrategy ? WaitStrategy.valueOf(args[3]) : WaitStrategy.BACKOFF;
        final HostAndPort listen = HostAndPort.parse(args[1], "listen address", true);
        ProcessHandle.current().parent().ifPresent((parent) -> parent.onExit().thenRun(() -> System.exit(3)));
        final Transport transport = Transport.acquire(strategy);
        final RawEchoPeer peer = new RawEchoPeer(transport, listen, strategy);
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            peer.running = false;
            try
            {
                stopped.await(2, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, "raw-echo-stop"));
        System.out.println(LISTENING + RawEcho.resolvedEndpoint(peer.subscription, RESOLVE_TIMEOUT_NS));
        System.out.flush();
        try
        {
            peer.run();
        }
        catch (final RuntimeException ex)
        {
            if (peer.running)
            {
                throw ex;
            }
            // Stopping: the transport's own exit hook may have closed the client under the loop.
        }
        finally
        {
            CloseHelper.quietCloseAll(peer.reply, peer.subscription);
            Transport.release(transport);
            stopped.countDown();
        }
    }

    private void run()
    {
        while (running)
        {
            int work = subscription.poll(assembler, RemoteConfiguration.FRAGMENT_LIMIT);
            if (sent >= 0 && reply != null)
            {
                work += sendBack();
            }
            idle.idle(work);
        }
    }

    private void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (length <= RawEcho.PING_MAX_LENGTH)
        {
            if (reply != null)
            {
                long result;
                while (!ControlWriter.sent(result = reply.offer(buffer, offset, length)))
                {
                    if (result == Publication.NOT_CONNECTED || ControlWriter.failedForGood(result))
                    {
                        return;
                    }
                    idle.idle();
                }
                idle.reset();
            }
            return;
        }
        final long first = buffer.getLong(offset);
        if (first == RawEcho.HELLO)
        {
            final String endpoint = buffer.getStringWithoutLengthAscii(offset + Long.BYTES, length - Long.BYTES);
            CloseHelper.quietClose(reply);
            reply = transport.aeron().addExclusivePublication(
                HostAndPort.parse(endpoint, "reply address").publicationChannel(), RawEcho.REPLY_STREAM_ID);
            sent = -1;
            received = 0;
            return;
        }
        if (first <= 0 || first > RawEcho.MAX_TRANSFER)
        {
            throw new IllegalStateException("a piece of a transfer of " + first + " bytes: at most "
                + RawEcho.MAX_TRANSFER + " are taken");
        }
        if (received == 0)
        {
            transferLength = first;
            if (transfer.capacity() < first)
            {
                transfer = new UnsafeBuffer(ByteBuffer.allocateDirect((int)first));
            }
        }
        final int data = length - RawEcho.PIECE_HEADER;
        transfer.putBytes((int)received, buffer, offset + RawEcho.PIECE_HEADER, data);
        received += data;
        if (received == transferLength)
        {
            received = 0;
            sent = 0;
        }
    }

    /** Send the transfer back, piece by piece, until it all went or the publication pushes back. */
    private int sendBack()
    {
        final int maxPiece = reply.maxPayloadLength() - RawEcho.PIECE_HEADER;
        int pieces = 0;
        while (sent < transferLength)
        {
            final int length = (int)Math.min(maxPiece, transferLength - sent);
            final long result = reply.tryClaim(RawEcho.PIECE_HEADER + length, claim);
            if (!ControlWriter.sent(result))
            {
                if (result == Publication.NOT_CONNECTED || ControlWriter.failedForGood(result))
                {
                    sent = -1;
                }
                return pieces;
            }
            claim.buffer().putLong(claim.offset(), transferLength);
            claim.buffer().putBytes(claim.offset() + RawEcho.PIECE_HEADER, transfer, (int)sent, length);
            claim.commit();
            sent += length;
            pieces++;
        }
        sent = -1;
        return pieces;
    }
}
