package dev.simpler.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.DataType;
import dev.simpler.engine.SubCallable;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.TaskFailedException;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerFactory;
import dev.simpler.engine.WorkerMode;

/**
 * An L3 Worker whose next-level workers are two sim chips (SPEC §1, §9, §10): in THREAD mode ChipWorker instances
 * the test opens and closes, in PROCESS mode ChipWorkers built inside child JVMs by a WorkerFactory. A sub worker
 * fills inputs, chip tasks compute on them, a sub task copies the result into a shared tensor.
 */
@Timeout(120)
class ChipPipelineTest
{
    /** Elements of the elementwise tensors: not a multiple of any block dim used. */
    private static final int N = 1001;
    private static final int M = 5;
    private static final int K = 7;
    private static final int P = 3;
    private static final long RING_BYTES = 4L << 20;
    private static final Pattern FAIL_KERNEL = Pattern.compile("(?<![A-Za-z_])fail(?![A-Za-z_])");

    /** FLOAT32 tensor 0 (OUTPUT or INOUT): {@code t[i] = scalarFloat(0) * (i + 1)}. */
    static final SubCallable FILL = (args) ->
    {
        final UnsafeBuffer out = args.tensor(0).buffer();
        final float factor = args.scalarFloat(0);
        final int n = (int)args.tensor(0).elementCount();
        for (int i = 0; i < n; i++)
        {
            out.putFloat(i * Float.BYTES, factor * (i + 1));
        }
    };

    /** Tensor 0 (INPUT) copied byte for byte into tensor 1 (OUTPUT_EXISTING) of the same size. */
    static final SubCallable COPY = (args) ->
    {
        final Tensor in = args.tensor(0);
        args.tensor(1).buffer().putBytes(0, in.buffer(), 0, (int)in.nbytes());
    };

    private static long add;
    private static long mul;
    private static long scale;
    private static long matmul;
    private static long fail;

    /** Handles come from a ChipWorker in this process: they mean the same kernels in every process. */
    @BeforeAll
    static void kernelHandles()
    {
        try (ChipWorker chip = ChipWorker.openSim())
        {
            add = chip.kernel("add_f32");
            mul = chip.kernel("mul_f32");
            scale = chip.kernel("scale_f32");
            matmul = chip.kernel("matmul_f32");
            fail = chip.kernel("fail");
        }
    }

    @AfterEach
    void leavesNoChildProcessAndNoSharedFile()
    {
        assertEquals(List.of(), ProcessHandle.current().children().filter(ProcessHandle::isAlive)
            .map(ProcessHandle::pid).collect(Collectors.toList()), "child processes still alive");
        final String prefix = "simpler-" + ProcessHandle.current().pid() + "-";
        try (Stream<Path> files = Files.list(Path.of("/dev/shm")))
        {
            assertEquals(Set.of(), files.map((p) -> p.getFileName().toString()).filter((n) -> n.startsWith(prefix))
                .collect(Collectors.toSet()), "shared memory files left behind");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void chipTasksAddAndScaleTensorsASubWorkerFilled(final WorkerMode mode)
    {
        try (Engine engine = Engine.start(mode))
        {
            final Tensor result = engine.worker.sharedTensor(DataType.FLOAT32, N);
            engine.worker.run((orch, unused) ->
            {
                final Tensor a = orch.alloc(DataType.FLOAT32, N);
                orch.submitSub(engine.fill, new TaskArgs().inout(a).addFloat(1f));
                final TaskArgs b = new TaskArgs().output(Tensor.of(0, DataType.FLOAT32, N)).addFloat(10f);
                orch.submitSub(engine.fill, b);
                final TaskArgs sum = new TaskArgs().input(a).input(b.tensor(0))
                    .output(Tensor.of(0, DataType.FLOAT32, N));
                orch.submitNextLevel(add, sum, config(7));
                final TaskArgs half = new TaskArgs().input(sum.tensor(2)).output(Tensor.of(0, DataType.FLOAT32, N))
                    .addFloat(0.5f);
                orch.submitNextLevel(scale, half, config(3));
                orch.submitSub(engine.copy, new TaskArgs().input(half.tensor(1)).outputExisting(result));
            }, null);

            for (int i = 0; i < N; i++)
            {
                assertEquals(5.5f * (i + 1), result.buffer().getFloat(i * Float.BYTES), "result[" + i + "]");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aChipTaskMultipliesMatricesASubWorkerFilled(final WorkerMode mode)
    {
        try (Engine engine = Engine.start(mode))
        {
            final Tensor result = engine.worker.sharedTensor(DataType.FLOAT32, M, P);
            engine.worker.run((orch, unused) ->
            {
                final Tensor a = orch.alloc(DataType.FLOAT32, M, K);
                orch.submitSub(engine.fill, new TaskArgs().inout(a).addFloat(1f));
                final TaskArgs b = new TaskArgs().output(Tensor.of(0, DataType.FLOAT32, K, P)).addFloat(-0.5f);
                orch.submitSub(engine.fill, b);
                final TaskArgs product = new TaskArgs().input(a).input(b.tensor(0))
                    .output(Tensor.of(0, DataType.FLOAT32, M, P));
                orch.submitNextLevel(matmul, product, config(2));
                orch.submitSub(engine.copy, new TaskArgs().input(product.tensor(2)).outputExisting(result));
            }, null);

            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < P; j++)
                {
                    double expected = 0;
                    for (int p = 0; p < K; p++)
                    {
                        expected += (1.0 * (i * K + p + 1)) * (-0.5 * (p * P + j + 1));
                    }
                    final float actual = result.buffer().getFloat((i * P + j) * Float.BYTES);
                    assertEquals(expected, actual, 1e-5 * Math.abs(expected), "C[" + i + "][" + j + "]");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aMatmulFeedsAnElementwiseChipTaskInTheSameRun(final WorkerMode mode)
    {
        try (Engine engine = Engine.start(mode))
        {
            final Tensor result = engine.worker.sharedTensor(DataType.FLOAT32, M, M);
            engine.worker.run((orch, unused) ->
            {
                final TaskArgs a = new TaskArgs().output(Tensor.of(0, DataType.FLOAT32, M, 1)).addFloat(1f);
                orch.submitSub(engine.fill, a);
                final TaskArgs b = new TaskArgs().output(Tensor.of(0, DataType.FLOAT32, 1, M)).addFloat(2f);
                orch.submitSub(engine.fill, b);
                final TaskArgs outer = new TaskArgs().input(a.tensor(0)).input(b.tensor(0))
                    .output(Tensor.of(0, DataType.FLOAT32, M, M));
                orch.submitNextLevel(matmul, outer, config(24));
                final TaskArgs square = new TaskArgs().input(outer.tensor(2)).input(outer.tensor(2))
                    .output(Tensor.of(0, DataType.FLOAT32, M, M));
                orch.submitNextLevel(mul, square, config(64));
                orch.submitSub(engine.copy, new TaskArgs().input(square.tensor(2)).outputExisting(result));
            }, null);

            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < M; j++)
                {
                    final float outer = (i + 1) * 2f * (j + 1);
                    assertEquals(outer * outer, result.buffer().getFloat((i * M + j) * Float.BYTES),
                        "result[" + i + "][" + j + "]");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aGroupOfTwoChipTasksRunsOnBothChipsAndBothResultsAreRight(final WorkerMode mode)
    {
        try (Engine engine = Engine.start(mode))
        {
            final Tensor result0 = engine.worker.sharedTensor(DataType.FLOAT32, N);
            final Tensor result1 = engine.worker.sharedTensor(DataType.FLOAT32, N);
            engine.worker.run((orch, unused) ->
            {
                final Tensor x0 = orch.alloc(DataType.FLOAT32, N);
                orch.submitSub(engine.fill, new TaskArgs().inout(x0).addFloat(1f));
                final Tensor x1 = orch.alloc(DataType.FLOAT32, N);
                orch.submitSub(engine.fill, new TaskArgs().inout(x1).addFloat(-1f));
                final TaskArgs member0 = new TaskArgs().input(x0).output(Tensor.of(0, DataType.FLOAT32, N))
                    .addFloat(2f);
                final TaskArgs member1 = new TaskArgs().input(x1).output(Tensor.of(0, DataType.FLOAT32, N))
                    .addFloat(3f);
                orch.submitNextLevelGroup(scale, List.of(member0, member1), config(24));
                orch.submitSub(engine.copy, new TaskArgs().input(member0.tensor(1)).outputExisting(result0));
                orch.submitSub(engine.copy, new TaskArgs().input(member1.tensor(1)).outputExisting(result1));
            }, null);

            for (int i = 0; i < N; i++)
            {
                assertEquals(2f * (i + 1), result0.buffer().getFloat(i * Float.BYTES), "member 0 [" + i + "]");
                assertEquals(-3f * (i + 1), result1.buffer().getFloat(i * Float.BYTES), "member 1 [" + i + "]");
            }
        }
    }

    static Stream<Arguments> oversizedChipTasks()
    {
        final List<Arguments> cases = new ArrayList<>();
        for (final WorkerMode mode : WorkerMode.values())
        {
            cases.add(Arguments.of(mode, 17, 0, false));
            cases.add(Arguments.of(mode, 0, 129, false));
            cases.add(Arguments.of(mode, 17, 129, false));
            cases.add(Arguments.of(mode, 17, 0, true));
            cases.add(Arguments.of(mode, 0, 129, true));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: {1} tensors, {2} scalars, in a group {3}")
    @MethodSource("oversizedChipTasks")
    void aChipTaskOverSixteenTensorsOr128ScalarsIsRejectedAtSubmitAndNothingRuns(
        final WorkerMode mode, final int tensors, final int scalars, final boolean group)
    {
        try (Engine engine = Engine.start(mode))
        {
            final Tensor result = engine.worker.sharedTensor(DataType.FLOAT32, N);
            final AtomicReference<IllegalArgumentException> rejected = new AtomicReference<>();
            engine.worker.run((orch, unused) ->
            {
                final Tensor x = orch.alloc(DataType.FLOAT32, N);
                orch.submitSub(engine.fill, new TaskArgs().inout(x).addFloat(1f));
                final TaskArgs oversized = new TaskArgs();
                for (int i = 0; i < tensors; i++)
                {
                    oversized.input(x);
                }
                for (int i = 0; i < scalars; i++)
                {
                    oversized.addScalar(i);
                }
                // the fail kernel accepts any arguments: had the task been submitted, the run would fail
                rejected.set(assertThrows(IllegalArgumentException.class, () ->
                {
                    if (group)
                    {
                        orch.submitNextLevelGroup(fail, List.of(new TaskArgs(), oversized), config(1));
                    }
                    else
                    {
                        orch.submitNextLevel(fail, oversized, config(1));
                    }
                }));
                final TaskArgs doubled = new TaskArgs().input(x).output(Tensor.of(0, DataType.FLOAT32, N))
                    .addFloat(2f);
                orch.submitNextLevel(scale, doubled, config(24));
                orch.submitSub(engine.copy, new TaskArgs().input(doubled.tensor(1)).outputExisting(result));
            }, null);

            final String message = rejected.get().getMessage();
            assertTrue(message.contains(tensors > 16 ? "17" : "129"), "message names the count: " + message);
            assertTrue(message.contains(tensors > 16 ? "16" : "128"), "message names the limit: " + message);
            for (int i = 0; i < N; i++)
            {
                assertEquals(2f * (i + 1), result.buffer().getFloat(i * Float.BYTES), "result[" + i + "]");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void theFailKernelFailsTheRunNamingTheKernelAndTheNextRunWorks(final WorkerMode mode)
    {
        try (Engine engine = Engine.start(mode))
        {
            final TaskFailedException ex = assertThrows(TaskFailedException.class, () -> engine.worker.run(
                (orch, unused) -> orch.submitNextLevel(fail, new TaskArgs(), config(4)), null));

            assertTrue(FAIL_KERNEL.matcher(ex.getMessage()).find(), "message names the kernel: " + ex.getMessage());
            assertTrue(ex.errorCode() != 0, "error code: " + ex.errorCode());
            assertScaleRunWorks(engine);
        }
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aChipTaskWithBadArgumentsFailsTheRunNamingTheKernelAndSkipsItsConsumers(final WorkerMode mode)
    {
        try (Engine engine = Engine.start(mode))
        {
            final Tensor result = engine.worker.sharedTensor(DataType.FLOAT32, N);
            result.buffer().setMemory(0, (int)result.nbytes(), (byte)0);
            final TaskFailedException ex = assertThrows(TaskFailedException.class, () -> engine.worker.run(
                (orch, unused) ->
                {
                    final Tensor a = orch.alloc(DataType.FLOAT32, N);
                    orch.submitSub(engine.fill, new TaskArgs().inout(a).addFloat(1f));
                    final Tensor shorter = orch.alloc(DataType.FLOAT32, N - 1);
                    final TaskArgs sum = new TaskArgs().input(a).input(shorter)
                        .output(Tensor.of(0, DataType.FLOAT32, N));
                    orch.submitNextLevel(add, sum, config(4));
                    orch.submitSub(engine.copy, new TaskArgs().input(sum.tensor(2)).outputExisting(result));
                }, null));

            assertTrue(ex.getMessage().contains("add_f32"), "message names the kernel: " + ex.getMessage());
            assertEquals(1, ex.skippedTasks(), "the copy depending on the failed task is skipped: " + ex);
            for (int i = 0; i < N; i++)
            {
                assertEquals(0f, result.buffer().getFloat(i * Float.BYTES), "result[" + i + "] untouched");
            }
            assertScaleRunWorks(engine);
        }
    }

    private static void assertScaleRunWorks(final Engine engine)
    {
        final Tensor result = engine.worker.sharedTensor(DataType.FLOAT32, N);
        engine.worker.run((orch, unused) ->
        {
            final TaskArgs x = new TaskArgs().output(Tensor.of(0, DataType.FLOAT32, N)).addFloat(1f);
            orch.submitSub(engine.fill, x);
            final TaskArgs tripled = new TaskArgs().input(x.tensor(0)).output(Tensor.of(0, DataType.FLOAT32, N))
                .addFloat(3f);
            orch.submitNextLevel(scale, tripled, config(24));
            orch.submitSub(engine.copy, new TaskArgs().input(tripled.tensor(1)).outputExisting(result));
        }, null);
        for (int i = 0; i < N; i++)
        {
            assertEquals(3f * (i + 1), result.buffer().getFloat(i * Float.BYTES), "next run result[" + i + "]");
        }
    }

    private static CallConfig config(final int blockDim)
    {
        return new CallConfig(blockDim, 3, false, false);
    }

    /** A PROCESS-mode next-level worker: the child opens the sim and selects the device. */
    private static WorkerFactory chipOnDevice(final int device)
    {
        return () ->
        {
            final ChipWorker chip = ChipWorker.openSim();
            chip.setDevice(device);
            return chip;
        };
    }

    /** A started L3 Worker with one sub worker and two sim chips, and the chips the test owns (THREAD mode). */
    private static final class Engine implements AutoCloseable
    {
        final Worker worker;
        final List<ChipWorker> chips;
        final int fill;
        final int copy;

        private Engine(final Worker worker, final List<ChipWorker> chips)
        {
            this.worker = worker;
            this.chips = chips;
            this.fill = worker.register(FILL);
            this.copy = worker.register(COPY);
        }

        static Engine start(final WorkerMode mode)
        {
            // PROCESS-mode children open sim chips (JNI), as README says: JDK 24+ warns unless native access is on.
            final Worker.Builder builder = Worker.builder().level(3).mode(mode).subWorkers(1).heapRingSize(RING_BYTES)
                .childJvmOptions("--enable-native-access=ALL-UNNAMED");
            final List<ChipWorker> chips = new ArrayList<>();
            Engine engine = null;
            try
            {
                if (mode == WorkerMode.THREAD)
                {
                    for (int device = 0; device < 2; device++)
                    {
                        final ChipWorker chip = ChipWorker.openSim();
                        chips.add(chip);
                        chip.setDevice(device);
                        builder.nextLevel(chip);
                    }
                }
                else
                {
                    builder.nextLevel(chipOnDevice(0)).nextLevel(chipOnDevice(1));
                }
                engine = new Engine(builder.build(), chips);
                engine.worker.init();
                return engine;
            }
            catch (final RuntimeException | Error ex)
            {
                if (engine != null)
                {
                    engine.close();
                }
                else
                {
                    chips.forEach(ChipWorker::close);
                }
                throw ex;
            }
        }

        @Override
        public void close()
        {
            try
            {
                worker.close();
            }
            finally
            {
                chips.forEach(ChipWorker::close);
            }
        }
    }
}
