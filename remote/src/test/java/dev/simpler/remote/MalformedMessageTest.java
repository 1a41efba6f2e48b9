package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;
import dev.simpler.remote.codec.SessionRequestDecoder;
import dev.simpler.remote.codec.SessionRequestEncoder;
import dev.simpler.remote.transport.HostAndPort;
import dev.simpler.remote.transport.MessageValidator;
import dev.simpler.remote.transport.RemoteConfiguration;
import dev.simpler.remote.transport.Transport;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;

/**
 * A stranger on the node's endpoint (SPEC §11, §15): malformed, truncated and well-formed messages sent outside any
 * session are each dropped and counted, and a flood of handshakes is bounded; the node keeps serving its lanes.
 */
class MalformedMessageTest
{
    private static final long DEADLINE_NS = TimeUnit.SECONDS.toNanos(20);

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void malformedTruncatedAndSessionlessMessagesAreDroppedAndCountedAndTheNodeKeepsServing() throws Exception
    {
        final Transport transport = Transport.acquire(WaitStrategy.BACKOFF);
        try (SimplerNode node = RemoteTests.node(WorkerMode.THREAD);
            RemoteWorker lane = RemoteTests.lane(node);
            Worker l4 = Worker.builder().level(4).nextLevel(lane).heapRingSize(RemoteTests.RING_BYTES).build();
            ExclusivePublication stranger = transport.aeron().addExclusivePublication(
                HostAndPort.parse(node.listenAddress(), "node").publicationChannel(),
                RemoteConfiguration.REQUEST_STREAM_ID))
        {
            l4.init();
            final Tensor t = RemoteKernels.ints(l4, 1000);
            RemoteKernels.fill(t, 1);
            runNegateAdd(l4, t, 3);
            final long droppedBefore = node.droppedMessages();

            final List<byte[]> garbage = garbage(new Random(42));
            awaitConnected(stranger);
            for (final byte[] message : garbage)
            {
                offer(stranger, message);
            }
            final long deadline = System.nanoTime() + DEADLINE_NS;
            while (node.droppedMessages() < droppedBefore + garbage.size() && System.nanoTime() - deadline < 0)
            {
                Thread.sleep(5);
            }
            assertEquals(droppedBefore + garbage.size(), node.droppedMessages(),
                "each of the " + garbage.size() + " messages was dropped and counted once");
            assertEquals(1, node.sessionCount(), "no stranger got a session");

            runNegateAdd(l4, t, 10);
            for (int i = 0; i < 1000; i++)
            {
                assertEquals(1 + i * 7 - 3 + 10, t.buffer().getInt(i * 4), "element " + i);
            }
        }
        finally
        {
            Transport.release(transport);
        }
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void floodOfHandshakesThatNeverFinishIsBoundedAndALaneStillGetsIn() throws Exception
    {
        final Transport transport = Transport.acquire(WaitStrategy.BACKOFF);
        final List<ExclusivePublication> strangers = new ArrayList<>();
        try (SimplerNode node = RemoteTests.node(WorkerMode.THREAD))
        {
            final int flood = RemoteConfiguration.MAX_PENDING_HANDSHAKES + 8;
            final String channel = HostAndPort.parse(node.listenAddress(), "node").publicationChannel();
            for (int i = 0; i < flood; i++)
            {
                final ExclusivePublication stranger = transport.aeron().addExclusivePublication(channel,
                    RemoteConfiguration.REQUEST_STREAM_ID);
                strangers.add(stranger);
                awaitConnected(stranger);
                // A request whose reply port nobody listens on: the handshake can never finish.
                final byte[] request = MessageFixtures.message(SessionRequestEncoder.TEMPLATE_ID, new Random(i));
                new UnsafeBuffer(request).putShort(8 + SessionRequestDecoder.replyPortEncodingOffset(), (short)9);
                offer(stranger, request);
            }
            final long deadline = System.nanoTime() + DEADLINE_NS;
            while (node.droppedMessages() < 8 && System.nanoTime() - deadline < 0)
            {
                Thread.sleep(5);
            }
            assertEquals(8, node.droppedMessages(), "the requests beyond the handshake limit were dropped");

            // The stale handshakes expire; the lane's request, sent again until answered, then gets in.
            try (RemoteWorker lane = RemoteWorker.connect(node.listenAddress(), RemoteTests.SECRET,
                Duration.ofMillis(3 * RemoteConfiguration.HANDSHAKE_TIMEOUT_MS)))
            {
                assertTrue(lane.isConnected());
                assertEquals(1, node.sessionCount());
            }
        }
        finally
        {
            strangers.forEach(CloseHelper::quietClose);
            Transport.release(transport);
        }
    }

    private static void runNegateAdd(final Worker l4, final Tensor t, final int k)
    {
        final long negateAdd = RemoteWorker.functionHandle(RemoteKernels.NEGATE_ADD);
        l4.run((orch, ignored) -> orch.submitNextLevel(negateAdd, new TaskArgs().inout(t).addScalar(k),
            CallConfig.DEFAULT), null);
    }

    /**
     * Random bytes, truncated messages, messages with bytes after their end, and well-formed messages that belong to
     * no session: all but session requests, which would open a handshake.
     */
    private static List<byte[]> garbage(final Random random)
    {
        final MessageValidator validator = new MessageValidator();
        final List<byte[]> messages = new ArrayList<>();
        for (int i = 0; i < 400; i++)
        {
            final byte[] valid = MessageFixtures.message(2 + random.nextInt(MessageFixtures.TEMPLATES - 1), random);
            final byte[] message;
            switch (i % 4)
            {
                case 0:
                    message = new byte[1 + random.nextInt(200)];
                    random.nextBytes(message);
                    break;
                case 1:
                    message = Arrays.copyOf(valid, random.nextInt(valid.length));
                    break;
                case 2:
                    message = Arrays.copyOf(valid, valid.length + 1 + random.nextInt(16));
                    break;
                default:
                    message = valid;
                    break;
            }
            final int template = message.length == 0 ? 0 : validator.validate(new UnsafeBuffer(message), 0,
                message.length);
            if (message.length > 0 && template != SessionRequestDecoder.TEMPLATE_ID)
            {
                messages.add(message);
            }
        }
        return messages;
    }

    private static void awaitConnected(final Publication publication) throws InterruptedException
    {
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (!publication.isConnected())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("the stranger's publication did not connect to the node");
            }
            Thread.sleep(1);
        }
    }

    private static void offer(final Publication publication, final byte[] message) throws InterruptedException
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(message);
        final long deadline = System.nanoTime() + DEADLINE_NS;
        while (publication.offer(buffer, 0, message.length) < 0)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("the node took no message for 20 s");
            }
            Thread.sleep(1);
        }
    }
}
