package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.util.ArrayList;
import java.util.List;

import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.TaskFailedException;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;

/**
 * An L4 Worker driving two nodes on loopback through two lanes each (SPEC §15): tensors go both ways, from one
 * element to 64 MiB, and come back with the right bytes; failures on a node come back with its error code and text.
 */
class LoopbackPipelineTest
{
    private static SimplerNode nodeA;
    private static SimplerNode nodeB;
    private static final List<RemoteWorker> LANES = new ArrayList<>();
    private static Worker l4;

    @BeforeAll
    static void startNodesAndLevelFour()
    {
        nodeA = RemoteTests.node(WorkerMode.THREAD);
        nodeB = RemoteTests.node(WorkerMode.THREAD);
        final Worker.Builder builder = Worker.builder().level(4).heapRingSize(RemoteTests.RING_BYTES);
        for (final SimplerNode node : List.of(nodeA, nodeB, nodeA, nodeB))
        {
            final RemoteWorker lane = RemoteTests.lane(node);
            LANES.add(lane);
            builder.nextLevel(lane);
        }
        l4 = builder.build();
        l4.init();
    }

    @AfterAll
    static void closeAll()
    {
        CloseHelper.quietClose(l4);
        LANES.forEach(CloseHelper::quietClose);
        LANES.clear();
        CloseHelper.quietCloseAll(nodeA, nodeB);
    }

    /**
     * The pipeline of {@link Pipelines} over three tensors of {@code total} INT32 elements, from 4 bytes to 64 MiB
     * each: the members of each stage run on the four lanes, two on each node. 65 540 elements make each task's
     * block larger than a session's slot, so its data is granted and sent in pieces.
     */
    @ParameterizedTest(name = "{0} elements of 4 bytes")
    @ValueSource(ints = {1, 256, 4 * 16_385, 1 << 20, 1 << 24})
    @Timeout(value = 180, threadMode = SEPARATE_THREAD)
    void pipelineOverTwoNodesComputesTheRightBytes(final int total)
    {
        final long succeededA = nodeA.tasksSucceeded();
        final long succeededB = nodeB.tasksSucceeded();
        assertNull(Pipelines.run(l4, total, LANES.size()));
        if (total > 1)
        {
            assertTrue(nodeA.tasksSucceeded() > succeededA, "node A ran some of the tasks");
            assertTrue(nodeB.tasksSucceeded() > succeededB, "node B ran some of the tasks");
        }
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void unknownFunctionFailsTheTaskWithCodeOneNamingIt()
    {
        final long missing = RemoteWorker.functionHandle("no-such-function");
        final TaskFailedException ex = assertThrows(TaskFailedException.class, () -> l4.run((orch, ignored) ->
            orch.submitNextLevel(missing, new TaskArgs().addScalar(1), CallConfig.DEFAULT), null));
        assertEquals(1, ex.errorCode(), ex.getMessage());
        assertTrue(ex.getMessage().contains("\"no-such-function\""), ex.getMessage());
        assertTrue(ex.getMessage().contains(RemoteKernels.SCALE), "it lists the node's functions: " + ex.getMessage());
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void functionThatFailsOnTheNodeFailsTheTaskWithItsCodeAndText()
    {
        final long fail = RemoteWorker.functionHandle(RemoteKernels.FAIL);
        final TaskFailedException ex = assertThrows(TaskFailedException.class, () -> l4.run((orch, ignored) ->
            orch.submitNextLevel(fail, new TaskArgs().addScalar(4242), CallConfig.DEFAULT), null));
        assertEquals(2, ex.errorCode(), ex.getMessage());
        assertTrue(ex.getMessage().contains("planned failure 4242"), ex.getMessage());
        assertTrue(ex.getMessage().contains("node 127.0.0.1:"), "it names the node: " + ex.getMessage());
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void levelFourStaysUsableAfterARemoteFailure()
    {
        final long fail = RemoteWorker.functionHandle(RemoteKernels.FAIL);
        assertThrows(TaskFailedException.class, () -> l4.run((orch, ignored) ->
            orch.submitNextLevel(fail, new TaskArgs().addScalar(1), CallConfig.DEFAULT), null));
        final Tensor t = RemoteKernels.ints(l4, 8);
        RemoteKernels.fill(t, 0);
        final long negateAdd = RemoteWorker.functionHandle(RemoteKernels.NEGATE_ADD);
        l4.run((orch, ignored) ->
            orch.submitNextLevel(negateAdd, new TaskArgs().inout(t).addScalar(1), CallConfig.DEFAULT), null);
        for (int i = 0; i < 8; i++)
        {
            assertEquals(1 - i * 7, t.buffer().getInt(i * 4), "element " + i);
        }
    }
}
