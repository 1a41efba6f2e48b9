package dev.simpler.engine;

import static dev.simpler.engine.TestWorkers.THREAD_PREFIX;
import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A Worker as the next-level worker of a level-4 Worker, running registered orchestration functions (SPEC §1, §6).
 */
class LevelFourTest
{
    private static final int N = 512;

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void levelThreeWorkerRunsRegisteredOrchestrationWhenCalledAsIWorker() throws Exception
    {
        try (Worker host = start(builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final long handle = host.registerOrchestration("split-add", splitAdd(host.register(Kernels.VECTOR_ADD)));
            final Tensor a = host.sharedTensor(DataType.FLOAT32, N);
            final Tensor b = host.sharedTensor(DataType.FLOAT32, N);
            final Tensor c = host.sharedTensor(DataType.FLOAT32, N);
            Kernels.fillRamp(a, 1.0f);
            Kernels.fillRamp(b, 2.0f);
            Kernels.zero(c);

            host.run(handle, new TaskArgs().input(a).input(b).outputExisting(c), CallConfig.DEFAULT);

            assertRamp(c, 3.0f);
        }
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void levelFourWorkerRunsOrchestrationHandlesOnTwoLevelThreeWorkers()
    {
        final Set<String> threadsOfHostA = ConcurrentHashMap.newKeySet();
        final Set<String> threadsOfHostB = ConcurrentHashMap.newKeySet();
        try (Worker hostA = start(builder(WorkerMode.THREAD).subWorkers(2));
            Worker hostB = start(builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final long handleA = hostA.registerOrchestration("split-add", splitAdd(hostA.register((args) ->
            {
                threadsOfHostA.add(Thread.currentThread().getName());
                Kernels.addVectors(args);
            })));
            final long handleB = hostB.registerOrchestration("split-add", splitAdd(hostB.register((args) ->
            {
                threadsOfHostB.add(Thread.currentThread().getName());
                Kernels.addVectors(args);
            })));
            assertEquals(handleA, handleB,
                "the same orchestration registered first on two hosts must get one handle, valid on either host");

            try (Worker cluster = start(builder(WorkerMode.THREAD).level(4).subWorkers(0)
                .nextLevel(hostA).nextLevel(hostB)))
            {
                final Tensor a = cluster.sharedTensor(DataType.FLOAT32, N);
                final Tensor b = cluster.sharedTensor(DataType.FLOAT32, N);
                final Tensor c = cluster.sharedTensor(DataType.FLOAT32, N);
                Kernels.fillRamp(a, 1.0f);
                Kernels.fillRamp(b, 2.0f);
                Kernels.zero(c);

                cluster.run((orch, ignored) ->
                {
                    // tmp = a + b on both hosts at once, then c = tmp + b, each host taking one half
                    final Tensor tmp = orch.alloc(DataType.FLOAT32, N);
                    orch.submitNextLevelGroup(handleA, List.of(
                        halfArgs(0, a, b, tmp, TensorArgType.INOUT), halfArgs(1, a, b, tmp, TensorArgType.INOUT)),
                        CallConfig.DEFAULT);
                    orch.submitNextLevelGroup(handleA, List.of(
                        halfArgs(0, tmp, b, c, TensorArgType.OUTPUT_EXISTING),
                        halfArgs(1, tmp, b, c, TensorArgType.OUTPUT_EXISTING)),
                        CallConfig.DEFAULT);
                }, null);

                assertRamp(c, 5.0f);
            }
        }
        assertFalse(threadsOfHostA.isEmpty(), "host A's sub workers did part of the work");
        assertFalse(threadsOfHostB.isEmpty(), "host B's sub workers did part of the work");
        threadsOfHostA.forEach((n) -> assertTrue(n.startsWith(THREAD_PREFIX), n));
        threadsOfHostB.forEach((n) -> assertTrue(n.startsWith(THREAD_PREFIX), n));
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void failedLevelThreeTaskFailsTheLevelFourRunAndTheClusterStaysUsable()
    {
        try (Worker host = start(builder(WorkerMode.THREAD).subWorkers(1)))
        {
            final int fail = host.register(Kernels.FAIL);
            final int put = host.register(Kernels.PUT_SCALAR);
            final long failing = host.registerOrchestration("fail",
                (orch, args) -> orch.submitSub(fail, new TaskArgs().addScalar(args.scalar(0))));
            final long putting = host.registerOrchestration("put",
                (orch, args) -> orch.submitSub(put, new TaskArgs().outputExisting(args.tensor(0)).addScalar(55)));

            try (Worker cluster = start(builder(WorkerMode.THREAD).level(4).subWorkers(0).nextLevel(host)))
            {
                final TaskArgs failingArgs = new TaskArgs().addScalar(8080);
                final TaskFailedException ex = assertThrows(TaskFailedException.class, () -> cluster.run(
                    (orch, ignored) -> orch.submitNextLevel(failing, failingArgs, CallConfig.DEFAULT), null));
                assertTrue(ex.getMessage().contains("planned failure 8080"),
                    "the level-4 failure carries the level-3 task's text: " + ex.getMessage());

                final Tensor out = cluster.sharedTensor(DataType.INT32, 1);
                Kernels.zero(out);
                cluster.run((orch, ignored) ->
                    orch.submitNextLevel(putting, new TaskArgs().outputExisting(out), CallConfig.DEFAULT), null);
                assertEquals(55, out.buffer().getInt(0));
            }
        }
    }

    /**
     * An orchestration function for a level-3 host: tensors a, b, out are split in two halves, each added by one
     * sub task.
     */
    private static OrchFn<TaskArgsView> splitAdd(final int addId)
    {
        return (orch, args) ->
        {
            final int n = (int)args.tensor(2).elementCount();
            final int half = n / 2;
            for (int part = 0; part < 2; part++)
            {
                final long offset = (long)part * half * Float.BYTES;
                final int length = part == 0 ? half : n - half;
                orch.submitSub(addId, new TaskArgs()
                    .input(slice(args.tensor(0), offset, length))
                    .input(slice(args.tensor(1), offset, length))
                    .outputExisting(slice(args.tensor(2), offset, length)));
            }
        };
    }

    private static TaskArgs halfArgs(
        final int half, final Tensor a, final Tensor b, final Tensor out, final TensorArgType outTag)
    {
        final int length = N / 2;
        final long offset = (long)half * length * Float.BYTES;
        return new TaskArgs()
            .input(slice(a, offset, length))
            .input(slice(b, offset, length))
            .add(slice(out, offset, length), outTag);
    }

    private static Tensor slice(final Tensor t, final long byteOffset, final int elements)
    {
        return Tensor.of(t.address() + byteOffset, t.dtype(), elements);
    }

    private static void assertRamp(final Tensor t, final float factor)
    {
        for (int i = 0; i < (int)t.elementCount(); i++)
        {
            assertEquals(i * factor, t.buffer().getFloat(i * Float.BYTES), "element " + i);
        }
    }
}
