package dev.simpler.demo;

import java.util.List;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.DataType;
import dev.simpler.engine.Orchestrator;
import dev.simpler.engine.SubCallable;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerFactory;
import dev.simpler.engine.WorkerMode;
import dev.simpler.jni.ChipWorker;

/**
 * The chip part of the main job: an L3 Worker with one sub worker and two sim chips. Per run a sub worker
 * fills two inputs and a weight matrix, a group of two chip tasks scales the inputs on both chips at once, two
 * matmuls (one per chip) multiply them by the weights, and a chip adds the products into a shared result that is
 * checked against a Java reference.
 */
final class ChipPipeline
{
    private static final int M = 64;
    private static final int K = 64;
    private static final int N = 64;
    private static final int WARMUP_RUNS = 500;
    private static final int MEASURED_RUNS = 2_000;
    private static final int TASKS_PER_RUN = 8;
    private static final CallConfig CONFIG = new CallConfig(8, 3, false, false);

    /** INOUT tensor 0 (FLOAT32): {@code t[i] = scalarFloat(0) + (i % 7) * 0.5}. */
    static final SubCallable FILL = args ->
    {
        final UnsafeBuffer out = args.tensor(0).buffer();
        final float base = args.scalarFloat(0);
        for (int i = 0, n = (int)args.tensor(0).elementCount(); i < n; i++)
        {
            out.putFloat(i * Float.BYTES, base + (i % 7) * 0.5f);
        }
    };

    private ChipPipeline()
    {
    }

    static void run(final WorkerMode mode)
    {
        final ChipWorker[] chips = new ChipWorker[2];
        // PROCESS-mode children open sim chips, which load the JNI binding: JDK 24+ warns unless native access is
        // enabled (this JVM has it from the jar's manifest); JDK 17 accepts the flag.
        final Worker.Builder builder = Worker.builder().mode(mode).subWorkers(1).heapRingSize(8L << 20)
            .waitStrategy(WaitStrategy.BACKOFF).childJvmOptions("--enable-native-access=ALL-UNNAMED");
        for (int d = 0; d < chips.length; d++)
        {
            if (mode == WorkerMode.THREAD)
            {
                chips[d] = ChipWorker.openSim();
                chips[d].setDevice(d);
                builder.nextLevel(chips[d]);
            }
            else
            {
                builder.nextLevel(simChip(d));
            }
        }
        try (ChipWorker handles = ChipWorker.openSim(); Worker worker = builder.build())
        {
            final Kernels kernels = new Kernels(handles);
            final int fill = worker.register(FILL);
            final Tensor result = worker.sharedTensor(DataType.FLOAT32, M, N);
            worker.init();
            final Histogram runLatency = new Histogram(3_600_000_000_000L, 3);
            for (int run = 0; run < WARMUP_RUNS + MEASURED_RUNS; run++)
            {
                final float seed = run % 5;
                final long start = System.nanoTime();
                worker.run((orch, s) -> pipeline(orch, kernels, fill, result, s), seed);
                final long end = System.nanoTime();
                check(result, seed, run);
                if (run >= WARMUP_RUNS)
                {
                    runLatency.recordValue(end - start);
                }
            }
            System.out.println();
            System.out.println(mode + " mode, 1 sub worker + 2 sim chips" + (mode == WorkerMode.THREAD
                ? " (chips called from engine threads)" : " (each chip opened inside its own child JVM)") + ": "
                + (WARMUP_RUNS + MEASURED_RUNS) + " runs (" + WARMUP_RUNS + " warm-up), "
                + (WARMUP_RUNS + MEASURED_RUNS) * TASKS_PER_RUN + " tasks; result[0][0]="
                + result.buffer().getFloat(0) + ", result[" + (M - 1) + "][" + (N - 1) + "]="
                + result.buffer().getFloat((M * N - 1) * Float.BYTES) + ", every result checked: OK");
            PipelineDemo.print("run latency, 3 fills + 2x scale (group) + 2x matmul + add", runLatency);
        }
        finally
        {
            for (final ChipWorker chip : chips)
            {
                if (chip != null)
                {
                    chip.close();
                }
            }
        }
    }

    private static WorkerFactory simChip(final int device)
    {
        return () ->
        {
            final ChipWorker chip = ChipWorker.openSim();
            chip.setDevice(device);
            return chip;
        };
    }

    private static void pipeline(
        final Orchestrator orch, final Kernels kernels, final int fill, final Tensor result, final float seed)
    {
        final Tensor x0 = orch.alloc(DataType.FLOAT32, M, K);
        final Tensor x1 = orch.alloc(DataType.FLOAT32, M, K);
        final Tensor w = orch.alloc(DataType.FLOAT32, K, N);
        orch.submitSub(fill, new TaskArgs().inout(x0).addFloat(seed));
        orch.submitSub(fill, new TaskArgs().inout(x1).addFloat(seed + 1));
        orch.submitSub(fill, new TaskArgs().inout(w).addFloat(0.25f));

        final TaskArgs scale0 = new TaskArgs().input(x0).output(Tensor.of(0, DataType.FLOAT32, M, K)).addFloat(1f);
        final TaskArgs scale1 = new TaskArgs().input(x1).output(Tensor.of(0, DataType.FLOAT32, M, K)).addFloat(2f);
        orch.submitNextLevelGroup(kernels.scale, List.of(scale0, scale1), CONFIG);

        final TaskArgs product0 = new TaskArgs().input(scale0.tensor(1)).input(w)
            .output(Tensor.of(0, DataType.FLOAT32, M, N));
        final TaskArgs product1 = new TaskArgs().input(scale1.tensor(1)).input(w)
            .output(Tensor.of(0, DataType.FLOAT32, M, N));
        orch.submitNextLevel(kernels.matmul, product0, CONFIG);
        orch.submitNextLevel(kernels.matmul, product1, CONFIG);
        orch.submitNextLevel(kernels.add,
            new TaskArgs().input(product0.tensor(2)).input(product1.tensor(2)).outputExisting(result), CONFIG);
    }

    private static void check(final Tensor result, final float seed, final int run)
    {
        final float[] x0 = filled(M * K, seed);
        final float[] x1 = filled(M * K, seed + 1);
        final float[] w = filled(K * N, 0.25f);
        for (int i = 0; i < M; i++)
        {
            for (int j = 0; j < N; j++)
            {
                double expected = 0;
                for (int k = 0; k < K; k++)
                {
                    expected += (x0[i * K + k] * 1f + x1[i * K + k] * 2f) * w[k * N + j];
                }
                final float actual = result.buffer().getFloat((i * N + j) * Float.BYTES);
                if (Math.abs(actual - expected) > 1e-3 * Math.max(1, Math.abs(expected)))
                {
                    throw new IllegalStateException("run " + run + ": result[" + i + "][" + j + "]=" + actual
                        + ", expected " + expected);
                }
            }
        }
    }

    private static float[] filled(final int n, final float base)
    {
        final float[] values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = base + (i % 7) * 0.5f;
        }
        return values;
    }

    /** Chip callable handles, the same in the engine and in every child. */
    private static final class Kernels
    {
        final long scale;
        final long matmul;
        final long add;

        Kernels(final ChipWorker chip)
        {
            scale = chip.kernel("scale_f32");
            matmul = chip.kernel("matmul_f32");
            add = chip.kernel("add_f32");
        }
    }
}
