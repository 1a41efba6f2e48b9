package dev.simpler.perf.compare;

import java.util.BitSet;
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

    private ChainTrial()
    {
    }

    /**
     * Run one trial.
     *
     * @param shape     {@code chain} (every task INOUT on one tensor), {@code independent} (no arguments), or
     *                  {@code completableFuture} (a {@code thenRunAsync} chain on a single-thread executor).
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
        final boolean chain = "chain".equals(shape);
        final boolean oneTask = ONE_TASK.equals(shape);
        if (!chain && !oneTask && !"independent".equals(shape))
        {
            throw new IllegalArgumentException("unknown shape " + shape + ": chain, independent, " + ONE_TASK
                + " or completableFuture");
        }
        final Worker.Builder builder = Worker.builder().mode(WorkerMode.THREAD).subWorkers(1)
            .heapRingSize(1L << 20).waitStrategy(WaitStrategy.BUSY_SPIN);
        if (workerCpu >= 0)
        {
            builder.pinThreads(workerCpu);
        }
        try (Worker worker = builder.build())
        {
            final int noop = worker.register(args -> { });
            final Tensor cell = worker.sharedTensor(DataType.INT64, 1);
            worker.init();
            pin(mainCpu);
            final TaskArgs args = chain ? new TaskArgs().inout(cell) : new TaskArgs();
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
                else
                {
                    worker.run((orch, a) ->
                    {
                        for (int i = 0; i < TASKS; i++)
                        {
                            orch.submitSub(noop, a);
                        }
                    }, args);
                }
                if (r >= 0)
                {
                    rates[r] = TASKS * 1e9 / (System.nanoTime() - start);
                }
            }
            return rates;
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
