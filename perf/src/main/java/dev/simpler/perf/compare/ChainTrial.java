package dev.simpler.perf.compare;

import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import net.openhft.affinity.Affinity;

import dev.simpler.engine.DataType;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;

/**
 * One trial of {@link CompareBuilds}: a fresh engine of whichever build this class was loaded with (one sub worker,
 * THREAD mode, busy-spin, the two threads pinned as {@code ThroughputBenchmark} pins them), runs of
 * {@value #TASKS} tasks, closed again. Loaded once per trial in a class loader of its own, next to that build's
 * classes, and called by reflection: it shares no class with the driver or with other builds.
 */
public final class ChainTrial
{
    /** Tasks per run. */
    public static final int TASKS = 100_000;
    /** The shape of one task per run: its rate is round trips per second. */
    public static final String ONE_TASK = "oneTask";
    /** The shapes an engine build can run, in the order the usage lines name them. */
    public static final List<String> SHAPES = List.of("chain", "independent", ONE_TASK, "pipeline", "overlap");
    /** Elements of each of the pipeline's two buffers. */
    private static final int PIPELINE_ELEMENTS = 64;
    /** Overlapping windows of the overlap shape; {@value #TASKS} is a multiple of it. */
    private static final int WINDOWS = 8;
    /** Rows between the starts of neighbouring windows; a window is twice as many rows. */
    private static final int WINDOW_STEP = 16;
    /** INT64 elements per row of the overlap shape's buffer: one 64-byte cache line. */
    private static final int ROW_ELEMENTS = 8;

    private ChainTrial()
    {
    }

    /**
     * Run one trial.
     *
     * @param shape     {@code chain} (every task INOUT on one tensor), {@code independent} (no arguments),
     *                  {@code oneTask} (one task without arguments per run), {@code pipeline} (two buffers, each
     *                  step INPUT on one and OUTPUT_EXISTING on the other, in turn), {@code overlap} (INOUT windows
     *                  of rows [16w, 16w + 32) of one buffer, w = i mod 8), or {@code completableFuture} (a
     *                  {@code thenRunAsync} chain on a single-thread executor: the dependency structure of
     *                  {@code chain} and {@code pipeline}, and the nearest one to {@code overlap}).
     * @param warmRuns  runs before the measured ones.
     * @param runs      measured runs.
     * @param mainCpu   CPU for the calling thread, or -1 to leave it.
     * @param workerCpu CPU for the thread that runs the tasks, or -1 to leave it.
     * @return tasks per second of each measured run.
     * @throws Exception when the engine or the executor fails.
     */
    public static double[] run(final String shape, final int warmRuns, final int runs, final int mainCpu,
        final int workerCpu) throws Exception
    {
        return "completableFuture".equals(shape)
            ? completableFuture(warmRuns, runs, mainCpu, workerCpu)
            : engine(shape, warmRuns, runs, mainCpu, workerCpu);
    }

    private static double[] engine(final String shape, final int warmRuns, final int runs, final int mainCpu,
        final int workerCpu)
    {
        if (!SHAPES.contains(shape))
        {
            throw new IllegalArgumentException("unknown shape " + shape + ": one of " + SHAPES
                + " or completableFuture");
        }
        final boolean oneTask = ONE_TASK.equals(shape);
        final Worker.Builder builder = Worker.builder().mode(WorkerMode.THREAD).subWorkers(1)
            .heapRingSize(1L << 20).waitStrategy(WaitStrategy.BUSY_SPIN);
        if (workerCpu >= 0)
        {
            builder.pinThreads(workerCpu);
        }
        try (Worker worker = builder.build())
        {
            final int noop = worker.register(args -> { });
            final TaskArgs[] steps = steps(shape, worker);
            worker.init();
            pin(mainCpu);
            final TaskArgs args = steps[0];
            final double[] rates = new double[runs];
            for (int r = -warmRuns; r < runs; r++)
            {
                final long start = System.nanoTime();
                if (oneTask)
                {
                    // One task per run, run after run: the round trip of SPEC §12's one-task rows.
                    for (int i = 0; i < TASKS; i++)
                    {
                        worker.run((orch, a) -> orch.submitSub(noop, a), args);
                    }
                }
                else if (steps.length == 1)
                {
                    worker.run((orch, a) ->
                    {
                        for (int i = 0; i < TASKS; i++)
                        {
                            orch.submitSub(noop, a);
                        }
                    }, args);
                }
                else
                {
                    worker.run((orch, cycle) ->
                    {
                        for (int i = 0; i < TASKS; i += cycle.length)
                        {
                            for (final TaskArgs step : cycle)
                            {
                                orch.submitSub(noop, step);
                            }
                        }
                    }, steps);
                }
                if (r >= 0)
                {
                    rates[r] = TASKS * 1e9 / (System.nanoTime() - start);
                }
            }
            return rates;
        }
    }

    /**
     * The arguments a shape's tasks take in turn, on tensors shared before {@code init}. Slices are made with
     * {@code Tensor.of} at inner addresses rather than {@code Tensor.slice}, which older builds lack.
     */
    private static TaskArgs[] steps(final String shape, final Worker worker)
    {
        switch (shape)
        {
            case "chain":
                return new TaskArgs[] {new TaskArgs().inout(worker.sharedTensor(DataType.INT64, 1))};
            case "pipeline":
                final Tensor a = worker.sharedTensor(DataType.INT64, PIPELINE_ELEMENTS);
                final Tensor b = worker.sharedTensor(DataType.INT64, PIPELINE_ELEMENTS);
                return new TaskArgs[] {
                    new TaskArgs().input(a).outputExisting(b), new TaskArgs().input(b).outputExisting(a)};
            case "overlap":
                final Tensor rows = worker.sharedTensor(DataType.INT64, (WINDOWS + 1) * WINDOW_STEP, ROW_ELEMENTS);
                final long rowBytes = rows.nbytes() / rows.shape(0);
                final TaskArgs[] windows = new TaskArgs[WINDOWS];
                for (int w = 0; w < WINDOWS; w++)
                {
                    windows[w] = new TaskArgs().inout(Tensor.of(rows.address() + w * WINDOW_STEP * rowBytes,
                        DataType.INT64, 2 * WINDOW_STEP, ROW_ELEMENTS));
                }
                return windows;
            default:
                return new TaskArgs[] {new TaskArgs()};
        }
    }

    private static double[] completableFuture(final int warmRuns, final int runs, final int mainCpu,
        final int workerCpu) throws InterruptedException, ExecutionException
    {
        final ExecutorService single = Executors.newSingleThreadExecutor();
        try
        {
            single.submit(() -> pin(workerCpu)).get();
            pin(mainCpu);
            final Runnable noop = () -> { };
            final double[] rates = new double[runs];
            for (int r = -warmRuns; r < runs; r++)
            {
                final long start = System.nanoTime();
                CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
                for (int i = 0; i < TASKS; i++)
                {
                    tail = tail.thenRunAsync(noop, single);
                }
                tail.join();
                if (r >= 0)
                {
                    rates[r] = TASKS * 1e9 / (System.nanoTime() - start);
                }
            }
            return rates;
        }
        finally
        {
            single.shutdownNow();
        }
    }

    private static void pin(final int cpu)
    {
        if (cpu >= 0)
        {
            final BitSet one = new BitSet();
            one.set(cpu);
            Affinity.setAffinity(one);
        }
    }
}
