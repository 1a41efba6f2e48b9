package dev.simpler.engine;

import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What workers receive and compute: tensors read and written through {@link Tensor#buffer()}, scalars, callable
 * handles and call configurations (SPEC §2, §6).
 */
class DataFlowTest
{
    private static final int N = 1000;

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void subCallablesAddVectorsOverAllocatedTensors(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(3)))
        {
            final int fill = worker.register(Kernels.FILL_RAMP);
            final int add = worker.register(Kernels.VECTOR_ADD);
            final int copy = worker.register(Kernels.COPY);
            final Tensor result = worker.sharedTensor(DataType.FLOAT32, N);
            Kernels.zero(result);

            worker.run((orch, ignored) ->
            {
                final Tensor a = orch.alloc(DataType.FLOAT32, N);
                final Tensor b = orch.alloc(DataType.FLOAT32, N);
                orch.submitSub(fill, new TaskArgs().inout(a).addFloat(1.0f));
                orch.submitSub(fill, new TaskArgs().inout(b).addFloat(2.0f));
                final TaskArgs sum = new TaskArgs().input(a).input(b).output(Tensor.of(0, DataType.FLOAT32, N));
                orch.submitSub(add, sum);
                orch.submitSub(copy, new TaskArgs().input(sum.tensor(2)).outputExisting(result));
            }, null);

            for (int i = 0; i < N; i++)
            {
                assertEquals(3.0f * i, result.buffer().getFloat(i * Float.BYTES), "element " + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void nextLevelWorkerAddsVectorsThroughTensorBuffers(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(1).nextLevel(Kernels.VECTOR_ADD_WORKER)))
        {
            final int fill = worker.register(Kernels.FILL_RAMP);
            final int copy = worker.register(Kernels.COPY);
            final Tensor b = worker.sharedTensor(DataType.FLOAT32, N);
            final Tensor result = worker.sharedTensor(DataType.FLOAT32, N);
            Kernels.fillRamp(b, 0.5f);
            Kernels.zero(result);

            worker.run((orch, ignored) ->
            {
                final Tensor a = orch.alloc(DataType.FLOAT32, N);
                orch.submitSub(fill, new TaskArgs().inout(a).addFloat(4.0f));
                final TaskArgs sum = new TaskArgs().input(a).input(b).output(Tensor.of(0, DataType.FLOAT32, N));
                orch.submitNextLevel(Kernels.ANY_HANDLE, sum, CallConfig.DEFAULT);
                orch.submitSub(copy, new TaskArgs().input(sum.tensor(2)).outputExisting(result));
            }, null);

            for (int i = 0; i < N; i++)
            {
                assertEquals(4.5f * i, result.buffer().getFloat(i * Float.BYTES), "element " + i);
            }
        }
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void nextLevelWorkerReceivesCallableHandleAndCallConfig()
    {
        final List<Long> callables = new CopyOnWriteArrayList<>();
        final List<CallConfig> configs = new CopyOnWriteArrayList<>();
        final IWorker chip = (callable, args, config) ->
        {
            callables.add(callable);
            configs.add(config);
        };
        final CallConfig custom = new CallConfig(7, 2, true, true);
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(1).nextLevel(chip)))
        {
            worker.run((orch, ignored) ->
            {
                final Tensor x = orch.alloc(DataType.INT32, 4);
                orch.submitNextLevel(0x1234_5678_9ABCL, new TaskArgs().inout(x), custom);
                orch.submitNextLevel(-5L, new TaskArgs().inout(x), CallConfig.DEFAULT);
            }, null);
        }
        assertEquals(List.of(0x1234_5678_9ABCL, -5L), callables);
        assertEquals(List.of(custom, CallConfig.DEFAULT), configs);
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void subCallableSeesTensorsAndScalarsInOrderWithoutTags()
    {
        final List<String> seen = new CopyOnWriteArrayList<>();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(1)))
        {
            final Tensor shared = worker.sharedTensor(DataType.INT16, 2, 3);
            final int record = worker.register((args) ->
            {
                final StringBuilder sb = new StringBuilder();
                for (int i = 0; i < args.tensorCount(); i++)
                {
                    final Tensor t = args.tensor(i);
                    sb.append(t.address() == shared.address() ? "shared" : "other").append(' ')
                        .append(t.dtype()).append(' ').append(t.ndims()).append(' ')
                        .append(t.shape(0)).append('x').append(t.shape(1)).append(';');
                }
                for (int i = 0; i < args.scalarCount(); i++)
                {
                    sb.append(args.scalar(i)).append(';');
                }
                seen.add(sb.toString());
            });
            worker.run((orch, ignored) ->
            {
                final Tensor x = orch.alloc(DataType.UINT64, 4, 5);
                orch.submitSub(record, new TaskArgs()
                    .noDep(shared).inout(x).input(shared).addScalar(-3).addFloat(1.0f).addScalar(Long.MAX_VALUE));
            }, null);
        }
        assertEquals(List.of("shared INT16 2 2x3;other UINT64 2 4x5;shared INT16 2 2x3;-3;" + 0x3F80_0000L + ";"
            + Long.MAX_VALUE + ";"), seen);
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void taskArgsCanBeClearedAndReusedRightAfterSubmit(final WorkerMode mode)
    {
        final int tasks = 8;
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final int put = worker.register(Kernels.PUT_SCALAR);
            final List<Tensor> outs = new ArrayList<>();
            for (int i = 0; i < tasks; i++)
            {
                outs.add(worker.sharedTensor(DataType.INT32, 1));
                Kernels.zero(outs.get(i));
            }
            worker.run((orch, ignored) ->
            {
                final TaskArgs reused = new TaskArgs();
                for (int i = 0; i < tasks; i++)
                {
                    orch.submitSub(put, reused.clear().outputExisting(outs.get(i)).addScalar(1000 + i));
                }
                reused.clear().outputExisting(outs.get(0)).addScalar(-1);
            }, null);
            for (int i = 0; i < tasks; i++)
            {
                assertEquals(1000 + i, outs.get(i).buffer().getInt(0), "output of task " + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void groupOutputsWithAddressZeroAreAllocatedForEveryMember(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final int fill = worker.register(Kernels.FILL_RAMP);
            final int add = worker.register(Kernels.VECTOR_ADD);
            final Tensor result = worker.sharedTensor(DataType.FLOAT32, N);
            Kernels.zero(result);
            final List<TaskArgs> members = List.of(
                new TaskArgs().output(Tensor.of(0, DataType.FLOAT32, N)).addFloat(1.0f),
                new TaskArgs().output(Tensor.of(0, DataType.FLOAT32, N)).addFloat(10.0f));

            worker.run((orch, ignored) ->
            {
                orch.submitSubGroup(fill, members);
                orch.submitSub(add, new TaskArgs()
                    .input(members.get(0).tensor(0)).input(members.get(1).tensor(0)).outputExisting(result));
            }, null);

            final Tensor first = members.get(0).tensor(0);
            final Tensor second = members.get(1).tensor(0);
            assertNotEquals(0, first.address());
            assertNotEquals(0, second.address());
            assertEquals(0, first.address() % 1024);
            assertEquals(0, second.address() % 1024);
            assertTrue(first.address() + first.nbytes() <= second.address()
                || second.address() + second.nbytes() <= first.address(), first + " overlaps " + second);
            for (int i = 0; i < N; i++)
            {
                assertEquals(11.0f * i, result.buffer().getFloat(i * Float.BYTES), "element " + i);
            }
        }
    }
}
