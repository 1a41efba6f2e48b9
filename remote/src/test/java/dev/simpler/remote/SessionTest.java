package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.net.DatagramSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.agrona.BufferUtil;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.DataType;
import dev.simpler.engine.SubCallable;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;

/**
 * Sessions between lanes and nodes (SPEC §15): the secret, the connect deadline, several lanes in flight on one
 * node, a node that closes and the lane that reconnects to its successor, and a node whose Worker runs its callables
 * in child processes.
 */
class SessionTest
{
    private static final int LANES = 4;
    private static final CyclicBarrier RENDEZVOUS = new CyclicBarrier(LANES);

    /** Waits until {@link #LANES} tasks are in it at once, then adds one to its INOUT tensor. */
    private static final SubCallable RENDEZVOUS_KERNEL = (args) ->
    {
        RENDEZVOUS.await(30, TimeUnit.SECONDS);
        args.tensor(0).buffer().putInt(0, args.tensor(0).buffer().getInt(0) + 1);
    };

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void wrongSecretIsRefusedWithAClearError()
    {
        try (SimplerNode node = RemoteTests.node(WorkerMode.THREAD))
        {
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () ->
                RemoteWorker.connect(node.listenAddress(), RemoteTests.WRONG_SECRET, RemoteTests.CONNECT_TIMEOUT));
            assertTrue(ex.getMessage().contains("refused the session") && ex.getMessage().contains("wrong shared "
                + "secret") && ex.getMessage().contains(node.listenAddress()), ex.getMessage());
            assertEquals(1, node.refusedSessions());
            assertEquals(0, node.sessionCount());
        }
    }

    @Test
    void secretShorterThan32BytesIsRejectedAtTheCall()
    {
        final byte[] shortSecret = Arrays.copyOf(RemoteTests.SECRET, 31);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () ->
            RemoteWorker.connect("127.0.0.1:40000", shortSecret, RemoteTests.CONNECT_TIMEOUT));
        assertTrue(ex.getMessage().contains("at least 32 bytes"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SimplerNode.builder().secret(shortSecret));
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void connectToAnAddressWhereNoNodeListensFailsAtItsDeadlineNamingIt() throws Exception
    {
        final int port;
        try (DatagramSocket socket = new DatagramSocket(0))
        {
            port = socket.getLocalPort();
        }
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () ->
            RemoteWorker.connect("127.0.0.1:" + port, RemoteTests.SECRET, Duration.ofMillis(500)));
        assertTrue(ex.getMessage().contains("127.0.0.1:" + port) && ex.getMessage().contains("500 ms"),
            ex.getMessage());
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void lanesToOneNodeHaveTheirTasksInFlightTogether()
    {
        final Worker l3 = Worker.builder().subWorkers(LANES).maxRunsInFlight(LANES)
            .heapRingSize(RemoteTests.RING_BYTES).build();
        final int kernel = l3.register(RENDEZVOUS_KERNEL);
        final List<RemoteWorker> lanes = new ArrayList<>();
        try (SimplerNode node = SimplerNode.builder().listen("127.0.0.1:0").secret(RemoteTests.SECRET).worker(l3)
            .function("rendezvous", (orch, args) -> orch.submitSub(kernel, new TaskArgs().inout(args.tensor(0))))
            .start())
        {
            final Worker.Builder builder = Worker.builder().level(4).heapRingSize(RemoteTests.RING_BYTES);
            for (int i = 0; i < LANES; i++)
            {
                lanes.add(RemoteTests.lane(node));
                builder.nextLevel(lanes.get(i));
            }
            assertEquals(LANES, node.sessionCount());
            try (Worker l4 = builder.build())
            {
                l4.init();
                final Tensor counters = l4.sharedTensor(DataType.INT32, LANES);
                final long rendezvous = RemoteWorker.functionHandle("rendezvous");
                final List<TaskArgs> members = new ArrayList<>();
                for (int i = 0; i < LANES; i++)
                {
                    members.add(new TaskArgs().inout(counters.slice(i, i + 1)));
                }
                // Each task waits in the node until all four are there: it passes only as four runs in flight.
                l4.run((orch, ignored) -> orch.submitNextLevelGroup(rendezvous, members, CallConfig.DEFAULT), null);
                for (int i = 0; i < LANES; i++)
                {
                    assertEquals(1, counters.buffer().getInt(i * 4), "lane " + i);
                }
            }
        }
        finally
        {
            lanes.forEach(CloseHelper::quietClose);
        }
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void laneReconnectsToTheNodeThatTakesOverTheAddressOfOneThatClosed() throws Exception
    {
        final SimplerNode first = RemoteTests.node(WorkerMode.THREAD);
        final String address = first.listenAddress();
        try (RemoteWorker lane = RemoteTests.lane(first))
        {
            assertTrue(lane.isConnected());
            first.close();
            awaitTrue(() -> !lane.isConnected(), "the lane heard the node close");

            try (SimplerNode second = startWhenFree(address))
            {
                final ByteBuffer memory = BufferUtil.allocateDirectAligned(16, 64);
                final Tensor t = Tensor.of(BufferUtil.address(memory), DataType.INT32, 4);
                t.buffer().putInt(8, 5);
                assertFalse(lane.isConnected());
                lane.run(RemoteWorker.functionHandle(RemoteKernels.NEGATE_ADD), new TaskArgs().inout(t).addScalar(1),
                    CallConfig.DEFAULT);
                assertTrue(lane.isConnected(), "the task reconnected the lane");
                assertEquals(-4, t.buffer().getInt(8));
                assertEquals(1, second.tasksSucceeded());
            }
        }
        finally
        {
            first.close();
        }
    }

    @Test
    @Timeout(value = 120, threadMode = SEPARATE_THREAD)
    void nodeWhoseWorkerRunsCallablesInChildProcessesGivesThemTheStagedBytes() throws Exception
    {
        try (SimplerNode node = RemoteTests.node(WorkerMode.PROCESS);
            RemoteWorker lane = RemoteTests.lane(node);
            Worker l4 = Worker.builder().level(4).nextLevel(lane).heapRingSize(RemoteTests.RING_BYTES).build())
        {
            l4.init();
            final int elements = 40_000;
            final Tensor x = RemoteKernels.ints(l4, elements);
            final Tensor y = RemoteKernels.ints(l4, elements);
            RemoteKernels.fill(x, 3);
            final long scale = RemoteWorker.functionHandle(RemoteKernels.SCALE);
            l4.run((orch, ignored) -> orch.submitNextLevel(scale, new TaskArgs().input(x).outputExisting(y)
                .addScalar(-2), CallConfig.DEFAULT), null);
            for (int i = 0; i < elements; i++)
            {
                assertEquals((3 + i * 7) * -2, y.buffer().getInt(i * 4), "element " + i);
            }
        }
    }

    /** A node on an address a node of this process closed: the driver frees its socket soon after. */
    private static SimplerNode startWhenFree(final String address) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true)
        {
            final Worker l3 = RemoteTests.l3(WorkerMode.THREAD);
            try
            {
                return RemoteKernels.register(l3, SimplerNode.builder().listen(address).secret(RemoteTests.SECRET)
                    .worker(l3)).start();
            }
            catch (final IllegalStateException ex)
            {
                if (!ex.getMessage().contains("Address already in use") || System.nanoTime() - deadline > 0)
                {
                    throw ex;
                }
            }
            Thread.sleep(50);
        }
    }

    static void awaitTrue(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(5);
        }
    }
}
