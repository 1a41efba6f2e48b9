package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.simpler.engine.RunHandle;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;
import dev.simpler.remote.transport.Transport;

/**
 * Lanes share what can be shared (SPEC §15: k lanes in flight cost one polling thread and one socket): the lanes of a
 * process take their replies on one endpoint, and several lanes waiting at once leave the polling to the lane
 * conductor and park; their callers are seen parked on their lanes while the node holds the tasks, and each gets its
 * own outputs once the node lets them go.
 */
class LaneHandOffTest
{
    private static final String HOLD = "test-hold";
    private static final int LANES = 6;

    @Test
    @Timeout(60)
    void lanesWaitingTogetherParkWhileTheConductorPollsAndEachGetsItsOwnOutputs() throws Exception
    {
        final CountDownLatch release = new CountDownLatch(1);
        final Worker l3 = RemoteTests.l3(WorkerMode.THREAD);
        // cell[0] = cell[0] * 10 + 1, once the test lets the node go.
        final int hold = l3.register((args) ->
        {
            if (!release.await(30, TimeUnit.SECONDS))
            {
                throw new IllegalStateException("the test never released the node");
            }
            args.tensor(0).buffer().putInt(0, args.tensor(0).buffer().getInt(0) * 10 + 1);
        });
        final List<RemoteWorker> lanes = new ArrayList<>();
        try (SimplerNode node = SimplerNode.builder().listen("127.0.0.1:0").secret(RemoteTests.SECRET).worker(l3)
            .function(HOLD, (orch, args) -> orch.submitSub(hold, new TaskArgs().inout(args.tensor(0)))).start())
        {
            final int endpointsBefore = receiveEndpoints();
            final Worker.Builder builder = Worker.builder().level(4).heapRingSize(1 << 20);
            for (int i = 0; i < LANES; i++)
            {
                final RemoteWorker lane = RemoteTests.lane(node);
                lanes.add(lane);
                builder.nextLevel(lane);
            }
            // The node and the L4 share this JVM's media driver: six lanes added one reply endpoint to it.
            assertEquals(endpointsBefore + 1, receiveEndpoints(), "receive endpoints of the media driver");
            try (Worker l4 = builder.build())
            {
                l4.init();
                final Tensor[] cells = new Tensor[LANES];
                for (int i = 0; i < LANES; i++)
                {
                    cells[i] = RemoteKernels.ints(l4, 1);
                    cells[i].buffer().putInt(0, i);
                }
                final long function = RemoteWorker.functionHandle(HOLD);
                final RunHandle run = l4.submit((orch, x) ->
                {
                    for (final Tensor cell : cells)
                    {
                        orch.submitNextLevel(function, new TaskArgs().inout(cell), RemoteKernels.config());
                    }
                }, null);
                try
                {
                    final String prefix = "-next-";
                    final String suffix = "@" + node.listenAddress();
                    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    int parked = 0;
                    while (parked < LANES && System.nanoTime() < deadline)
                    {
                        parked = 0;
                        for (final Thread thread : Thread.getAllStackTraces().keySet())
                        {
                            final Object blocker = LockSupport.getBlocker(thread);
                            if (thread.getName().contains(prefix) && thread.getName().endsWith(suffix)
                                && blocker != null && blocker.getClass().getName().endsWith(".client.Lane"))
                            {
                                parked++;
                            }
                        }
                        if (parked < LANES)
                        {
                            Thread.sleep(5);
                        }
                    }
                    assertEquals(LANES, parked, "L4 lane threads parked on their lanes while the node holds the tasks");
                }
                finally
                {
                    release.countDown();
                }
                run.join(Duration.ofSeconds(30));
                for (int i = 0; i < LANES; i++)
                {
                    assertEquals(i * 10 + 1, cells[i].buffer().getInt(0), "cell of lane task " + i);
                }
                assertTrue(run.isDone());
            }
        }
        finally
        {
            for (final RemoteWorker lane : lanes)
            {
                lane.close();
            }
        }
    }

    private static int receiveEndpoints()
    {
        final Transport transport = Transport.acquire(WaitStrategy.BACKOFF);
        try
        {
            final int[] count = {0};
            transport.aeron().countersReader().forEach((id, type, key, label) ->
            {
                if (label.startsWith("rcv-channel:"))
                {
                    count[0]++;
                }
            });
            return count[0];
        }
        finally
        {
            Transport.release(transport);
        }
    }
}
