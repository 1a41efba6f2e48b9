package dev.simpler.perf;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.simpler.engine.DataType;
import dev.simpler.engine.Orchestrator;
import dev.simpler.engine.RunHandle;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;

/**
 * SPEC §12 throughput rows, in tasks per second ({@value #TASKS} no-op sub tasks per invocation): independent
 * tasks, an INOUT chain, fan-out/fan-in diamonds (1 → 8 → 1), groups of two and a double-buffered pipeline, through
 * the engine in THREAD and PROCESS mode, next to {@link CompletableFuture} on a single-thread executor (two threads
 * for groups) doing the same shapes in the same JVM, and, for independent tasks, a one-producer-one-consumer
 * Disruptor hand-off ({@link HandOffBaselines.DisruptorHandOff}). One more engine shape, INOUT windows that partly
 * overlap, has no baseline of its own: it is there for the byte-range index (SPEC §3) and its allocation under
 * {@code -prof gc}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class ThroughputBenchmark
{
    /** Tasks per benchmark invocation. */
    public static final int TASKS = 100_000;
    private static final int FAN_OUT = 8;
    private static final int DIAMOND_TASKS = FAN_OUT + 2;
    /** Elements of each of the pipeline's two buffers. */
    private static final int PIPELINE_ELEMENTS = 64;
    /** Overlapping windows of the overlap shape, named by consecutive tasks in turn. */
    private static final int WINDOWS = 8;
    /** Tasks of each run of the runs shapes: a graph small next to the cost of starting and ending a run. */
    private static final int RUN_TASKS = 100;
    /** Rows between the starts of neighbouring windows. */
    private static final int WINDOW_STEP = 16;
    /** Rows of each window: twice the step, so each window shares half its rows with each neighbour. */
    private static final int WINDOW_ROWS = 2 * WINDOW_STEP;
    /** Rows of the overlap shape's buffer: exactly what the windows cover. */
    private static final int OVERLAP_ROWS = (WINDOWS + 1) * WINDOW_STEP;
    /** INT64 elements per row of the overlap shape's buffer: one 64-byte cache line. */
    private static final int ROW_ELEMENTS = 8;

    /** An engine with {@link #subWorkers()} sub workers and the shared tensors the shapes use. */
    @State(Scope.Benchmark)
    public static class Engine
    {
        @Param({"THREAD", "PROCESS"})
        WorkerMode mode;

        @Param({"BUSY_SPIN", "BACKOFF"})
        WaitStrategy strategy;

        Worker worker;
        int noop;
        Tensor cell;
        Tensor[] branches;
        Tensor bufferA;
        Tensor bufferB;
        Tensor[] windows;
        final TaskArgs none = new TaskArgs();

        /**
         * Start the engine.
         */
        @Setup(Level.Trial)
        public void start()
        {
            SpinBudget.check(mode, strategy, subWorkers());
            final Worker.Builder builder = Worker.builder().mode(mode).subWorkers(subWorkers())
                .heapRingSize(1L << 20).waitStrategy(strategy);
            // One sub worker in THREAD mode: pinned like the single-thread baseline (PROCESS children and pairs of
            // sub workers are left to the operating system, as the baseline's pool is).
            if (mode == WorkerMode.THREAD && subWorkers() == 1 && Placement.pinned())
            {
                Placement.pinBenchmarkThread();
                builder.pinThreads(Placement.workerCpu());
            }
            worker = builder.build();
            noop = worker.register(args -> { });
            cell = worker.sharedTensor(DataType.INT64, 1);
            branches = new Tensor[FAN_OUT];
            for (int i = 0; i < FAN_OUT; i++)
            {
                branches[i] = worker.sharedTensor(DataType.INT64, 1);
            }
            bufferA = worker.sharedTensor(DataType.INT64, PIPELINE_ELEMENTS);
            bufferB = worker.sharedTensor(DataType.INT64, PIPELINE_ELEMENTS);
            final Tensor rows = worker.sharedTensor(DataType.INT64, OVERLAP_ROWS, ROW_ELEMENTS);
            windows = new Tensor[WINDOWS];
            for (int w = 0; w < WINDOWS; w++)
            {
                windows[w] = rows.slice(w * WINDOW_STEP, w * WINDOW_STEP + WINDOW_ROWS);
            }
            worker.init();
        }

        /**
         * Stop the engine.
         */
        @TearDown(Level.Trial)
        public void stop()
        {
            worker.close();
        }

        /**
         * Sub workers of the engine.
         *
         * @return 1, like the single-thread baseline.
         */
        protected int subWorkers()
        {
            return 1;
        }
    }

    /** An engine with two sub workers, for groups of two. */
    public static class PairEngine extends Engine
    {
        @Override
        protected int subWorkers()
        {
            return 2;
        }
    }

    /** The single-thread executor of the baselines, pinned as the engine with one sub worker is. */
    @State(Scope.Benchmark)
    public static class Baseline
    {
        ExecutorService single;
        final Runnable noop = () -> { };
        final CompletableFuture<?>[] futures = new CompletableFuture<?>[TASKS];
        final CompletableFuture<?>[] fan = new CompletableFuture<?>[FAN_OUT];

        /**
         * Start the executor.
         */
        @Setup(Level.Trial)
        public void start()
        {
            Placement.pinBenchmarkThread();
            single = Executors.newSingleThreadExecutor();
            Placement.pinExecutorThread(single);
        }

        /**
         * Stop the executor.
         */
        @TearDown(Level.Trial)
        public void stop()
        {
            single.shutdownNow();
        }
    }

    /** The pool of two of the group baseline, left to the operating system like the engine's two sub workers. */
    @State(Scope.Benchmark)
    public static class PairBaseline
    {
        ExecutorService pair;
        final Runnable noop = () -> { };
        final CompletableFuture<?>[] futures = new CompletableFuture<?>[TASKS];

        /**
         * Start the pool.
         */
        @Setup(Level.Trial)
        public void start()
        {
            pair = Executors.newFixedThreadPool(2);
        }

        /**
         * Stop the pool.
         */
        @TearDown(Level.Trial)
        public void stop()
        {
            pair.shutdownNow();
        }
    }

    /**
     * Independent no-op tasks.
     *
     * @param engine the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void engineIndependent(final Engine engine)
    {
        engine.worker.run((orch, e) ->
        {
            for (int i = 0; i < TASKS; i++)
            {
                orch.submitSub(e.noop, e.none);
            }
        }, engine);
    }

    /**
     * A chain: every task INOUT on the same tensor, so each waits for the previous one.
     *
     * @param engine the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void engineChain(final Engine engine)
    {
        engine.worker.run((orch, e) ->
        {
            final TaskArgs chained = new TaskArgs().inout(e.cell);
            for (int i = 0; i < TASKS; i++)
            {
                orch.submitSub(e.noop, chained);
            }
        }, engine);
    }

    /**
     * Diamonds one after another: a source, eight branches that read it, a sink that reads the branches.
     *
     * @param engine the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void engineDiamond(final Engine engine)
    {
        engine.worker.run(ThroughputBenchmark::diamonds, engine);
    }

    /**
     * Groups of two that run on both sub workers at once.
     *
     * @param engine the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void engineGroup(final PairEngine engine)
    {
        engine.worker.run((orch, e) ->
        {
            final List<TaskArgs> pair = List.of(e.none, e.none);
            for (int i = 0; i < TASKS / 2; i++)
            {
                orch.submitSubGroup(e.noop, pair);
            }
        }, engine);
    }

    /**
     * A double-buffered pipeline: step i reads one of two buffers and writes the other (INPUT A, OUTPUT_EXISTING B,
     * then INPUT B, OUTPUT_EXISTING A, ...), so every step reads what the step before it wrote and overwrites what
     * that step read.
     *
     * @param engine the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void enginePipeline(final Engine engine)
    {
        engine.worker.run((orch, e) ->
        {
            final TaskArgs aToB = new TaskArgs().input(e.bufferA).outputExisting(e.bufferB);
            final TaskArgs bToA = new TaskArgs().input(e.bufferB).outputExisting(e.bufferA);
            for (int i = 0; i < TASKS / 2; i++)
            {
                orch.submitSub(e.noop, aToB);
                orch.submitSub(e.noop, bToA);
            }
        }, engine);
    }

    /**
     * Windows that partly overlap: task i is INOUT on rows [16w, 16w + 32) of one buffer, w = i mod 8, so it shares
     * rows with the windows either side of its own and its producers are found by byte range, not by address.
     *
     * @param engine the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void engineOverlap(final Engine engine)
    {
        engine.worker.run((orch, e) ->
        {
            final TaskArgs[] window = new TaskArgs[WINDOWS];
            for (int w = 0; w < WINDOWS; w++)
            {
                window[w] = new TaskArgs().inout(e.windows[w]);
            }
            for (int i = 0; i < TASKS / WINDOWS; i++)
            {
                for (int w = 0; w < WINDOWS; w++)
                {
                    orch.submitSub(e.noop, window[w]);
                }
            }
        }, engine);
    }

    /**
     * Runs of 100 independent tasks, each run submitted after the previous one finished: the worker idles while
     * the next run starts.
     *
     * @param engine the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void engineRunsBackToBack(final Engine engine)
    {
        for (int r = 0; r < TASKS / RUN_TASKS; r++)
        {
            engine.worker.run(ThroughputBenchmark::smallRun, engine);
        }
    }

    /**
     * The same runs, pipelined (SPEC §13): run k+1 is built while run k executes, with two runs in flight.
     *
     * @param engine the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void engineRunsPipelined(final Engine engine)
    {
        RunHandle previous = null;
        RunHandle last = null;
        for (int r = 0; r < TASKS / RUN_TASKS; r++)
        {
            previous = last;
            last = engine.worker.submit(ThroughputBenchmark::smallRun, engine);
        }
        if (previous != null)
        {
            previous.join();
        }
        last.join();
    }

    /**
     * Independent tasks on a single-thread executor.
     *
     * @param baseline the executors.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void completableFutureIndependent(final Baseline baseline)
    {
        for (int i = 0; i < TASKS; i++)
        {
            baseline.futures[i] = CompletableFuture.runAsync(baseline.noop, baseline.single);
        }
        CompletableFuture.allOf(baseline.futures).join();
    }

    /**
     * Independent no-op events handed from this thread to one consumer thread through a Disruptor ring (one
     * producer, one consumer, busy-spin), the two threads pinned as the engine's are.
     *
     * @param handOff the ring and its consumer.
     * @return the last event's sequence, so that the work is not eliminated.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public long disruptorIndependent(final HandOffBaselines.DisruptorHandOff handOff)
    {
        return handOff.handOff(TASKS);
    }

    /**
     * A chain of {@code thenRunAsync} on a single-thread executor.
     *
     * @param baseline the executors.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void completableFutureChain(final Baseline baseline)
    {
        CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
        for (int i = 0; i < TASKS; i++)
        {
            tail = tail.thenRunAsync(baseline.noop, baseline.single);
        }
        tail.join();
    }

    /**
     * The same diamonds on a single-thread executor.
     *
     * @param baseline the executors.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void completableFutureDiamond(final Baseline baseline)
    {
        CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);
        for (int d = 0; d < TASKS / DIAMOND_TASKS; d++)
        {
            final CompletableFuture<Void> source = previous.thenRunAsync(baseline.noop, baseline.single);
            for (int b = 0; b < FAN_OUT; b++)
            {
                baseline.fan[b] = source.thenRunAsync(baseline.noop, baseline.single);
            }
            previous = CompletableFuture.allOf(baseline.fan).thenRunAsync(baseline.noop, baseline.single);
        }
        previous.join();
    }

    /**
     * The pipeline on a single-thread executor: a {@code thenRunAsync} chain, since reading what the previous step
     * wrote and overwriting what it read make each step wait for the one before it, which is all the dependency
     * structure the two buffers impose.
     *
     * @param baseline the executors.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void completableFuturePipeline(final Baseline baseline)
    {
        CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
        for (int i = 0; i < TASKS; i++)
        {
            tail = tail.thenRunAsync(baseline.noop, baseline.single);
        }
        tail.join();
    }

    /**
     * Pairs of tasks on a two-thread executor.
     *
     * @param baseline the executors.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void completableFutureGroup(final PairBaseline baseline)
    {
        for (int i = 0; i < TASKS; i++)
        {
            baseline.futures[i] = CompletableFuture.runAsync(baseline.noop, baseline.pair);
        }
        CompletableFuture.allOf(baseline.futures).join();
    }

    private static void smallRun(final Orchestrator orch, final Engine e)
    {
        for (int i = 0; i < RUN_TASKS; i++)
        {
            orch.submitSub(e.noop, e.none);
        }
    }

    private static void diamonds(final Orchestrator orch, final Engine e)
    {
        final TaskArgs source = new TaskArgs().inout(e.cell);
        final TaskArgs[] branch = new TaskArgs[FAN_OUT];
        final TaskArgs sink = new TaskArgs();
        for (int b = 0; b < FAN_OUT; b++)
        {
            branch[b] = new TaskArgs().input(e.cell).outputExisting(e.branches[b]);
            sink.input(e.branches[b]);
        }
        sink.inout(e.cell);
        for (int d = 0; d < TASKS / DIAMOND_TASKS; d++)
        {
            orch.submitSub(e.noop, source);
            for (int b = 0; b < FAN_OUT; b++)
            {
                orch.submitSub(e.noop, branch[b]);
            }
            orch.submitSub(e.noop, sink);
        }
    }
}
