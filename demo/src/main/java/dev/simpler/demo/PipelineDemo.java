package dev.simpler.demo;

import java.util.ArrayList;
import java.util.List;

import org.HdrHistogram.Histogram;

import dev.simpler.engine.DataType;
import dev.simpler.engine.Orchestrator;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;

/**
 * The main job: a fan-out/fan-in pipeline over heap-ring tensors on several sub workers, run many times in
 * THREAD mode and then in PROCESS mode. Each run fills an input vector, scales one slice of it per branch in
 * parallel, and gathers the branches into a shared result that is checked against a plain Java computation.
 * Prints what ran and the latency percentiles of the tasks (submit to finish) and of whole runs.
 *
 * <p>{@code bench} as the first argument runs the quick throughput and round-trip harness instead
 * ({@link QuickBench}).
 */
public final class PipelineDemo
{
    private static final int BRANCHES = 4;
    private static final int LENGTH = 4096;
    private static final int WARMUP_RUNS = 2_000;
    private static final int MEASURED_RUNS = 5_000;
    /** Tasks per run: fill, the branches, the gather. */
    private static final int TASKS_PER_RUN = BRANCHES + 2;

    private PipelineDemo()
    {
    }

    /**
     * Run the demo.
     *
     * @param args {@code bench} for the quick harness; otherwise none.
     * @throws Exception if the harness fails.
     */
    public static void main(final String[] args) throws Exception
    {
        if (args.length > 0 && "bench".equals(args[0]))
        {
            QuickBench.main(args);
            return;
        }
        final int subWorkers = Math.max(2, Math.min(BRANCHES, Runtime.getRuntime().availableProcessors()));
        System.out.println("simpler-java demo: a fan-out/fan-in pipeline on " + subWorkers + " sub workers");
        System.out.println("  per run: fill(" + LENGTH + " floats) -> " + BRANCHES + " x scale(slice) -> gather;"
            + " heap-ring tensors via alloc and auto-allocated OUTPUTs, the result in a shared tensor");
        for (final WorkerMode mode : WorkerMode.values())
        {
            runPipeline(mode, subWorkers);
        }
        System.out.println();
        System.out.println("simpler-java demo: sub workers and sim chips at L3 (chips run the kernels of the bundled"
            + " sim runtime through JNI)");
        for (final WorkerMode mode : WorkerMode.values())
        {
            ChipPipeline.run(mode);
        }
        RemotePipeline.run();
    }

    private static void runPipeline(final WorkerMode mode, final int subWorkers)
    {
        try (Worker worker = Worker.builder()
            .mode(mode)
            .subWorkers(subWorkers)
            .heapRingSize(8L << 20)
            .waitStrategy(WaitStrategy.BACKOFF)
            .build())
        {
            final Tensor result = worker.sharedTensor(DataType.FLOAT32, LENGTH);
            final Tensor submitTimes = worker.sharedTensor(DataType.INT64, TASKS_PER_RUN);
            final Tensor finishTimes = worker.sharedTensor(DataType.INT64, TASKS_PER_RUN);
            final Kernels kernels = Kernels.register(worker);
            worker.init();

            final Histogram taskLatency = new Histogram(3_600_000_000_000L, 3);
            final Histogram runLatency = new Histogram(3_600_000_000_000L, 3);
            for (int run = 0; run < WARMUP_RUNS + MEASURED_RUNS; run++)
            {
                final float seed = run % 97;
                final long start = System.nanoTime();
                worker.run((orch, s) -> pipeline(orch, kernels, result, submitTimes, finishTimes, s), seed);
                final long end = System.nanoTime();
                check(result, seed, run);
                if (run >= WARMUP_RUNS)
                {
                    runLatency.recordValue(end - start);
                    for (int t = 0; t < TASKS_PER_RUN; t++)
                    {
                        final int offset = t * Long.BYTES;
                        taskLatency.recordValue(Math.max(0,
                            finishTimes.buffer().getLong(offset) - submitTimes.buffer().getLong(offset)));
                    }
                }
            }
            System.out.println();
            System.out.println(mode + " mode ("
                + (mode == WorkerMode.THREAD ? "sub workers are engine threads" : "sub workers are child JVMs")
                + "): " + (WARMUP_RUNS + MEASURED_RUNS) + " runs (" + WARMUP_RUNS + " warm-up), "
                + (long)(WARMUP_RUNS + MEASURED_RUNS) * TASKS_PER_RUN + " tasks, every result checked: OK");
            print("task latency, submit -> finish", taskLatency);
            print("run latency, Worker.run round trip", runLatency);
        }
    }

    private static void pipeline(
        final Orchestrator orch,
        final Kernels kernels,
        final Tensor result,
        final Tensor submitTimes,
        final Tensor finishTimes,
        final float seed)
    {
        final Tensor input = orch.alloc(DataType.FLOAT32, LENGTH);
        stamp(submitTimes, 0);
        orch.submitSub(kernels.fill, new TaskArgs().inout(input).noDep(finishTimes).addFloat(seed).addScalar(0));

        final List<TaskArgs> branches = new ArrayList<>(BRANCHES);
        final int slice = LENGTH / BRANCHES;
        for (int b = 0; b < BRANCHES; b++)
        {
            final TaskArgs branch = new TaskArgs()
                .input(input)
                .output(Tensor.of(0, DataType.FLOAT32, slice))
                .noDep(finishTimes)
                .addScalar(b * slice)
                .addFloat(b + 1)
                .addScalar(1 + b);
            stamp(submitTimes, 1 + b);
            orch.submitSub(kernels.scale, branch);
            branches.add(branch);
        }
        final TaskArgs gather = new TaskArgs();
        for (final TaskArgs branch : branches)
        {
            gather.input(branch.tensor(1));
        }
        gather.outputExisting(result).noDep(finishTimes).addScalar(TASKS_PER_RUN - 1);
        stamp(submitTimes, TASKS_PER_RUN - 1);
        orch.submitSub(kernels.gather, gather);
    }

    private static void stamp(final Tensor times, final int task)
    {
        times.buffer().putLong(task * Long.BYTES, System.nanoTime());
    }

    private static void check(final Tensor result, final float seed, final int run)
    {
        final int slice = LENGTH / BRANCHES;
        for (int i = 0; i < LENGTH; i++)
        {
            final int branch = i / slice;
            final float expected = (seed + i) * (branch + 1);
            final float actual = result.buffer().getFloat(i * Float.BYTES);
            if (actual != expected)
            {
                throw new IllegalStateException("run " + run + ": result[" + i + "]=" + actual + ", expected "
                    + expected);
            }
        }
    }

    static void print(final String title, final Histogram histogram)
    {
        System.out.printf("  %-58s p50 %8.2f us  p90 %8.2f us  p99 %8.2f us  p99.9 %8.2f us  max %9.2f us%n",
            title,
            histogram.getValueAtPercentile(50) / 1e3,
            histogram.getValueAtPercentile(90) / 1e3,
            histogram.getValueAtPercentile(99) / 1e3,
            histogram.getValueAtPercentile(99.9) / 1e3,
            histogram.getMaxValue() / 1e3);
    }
}
