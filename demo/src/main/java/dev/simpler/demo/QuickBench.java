package dev.simpler.demo;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.HdrHistogram.Histogram;
import org.agrona.BufferUtil;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.DataType;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerFactory;
import dev.simpler.engine.WorkerMode;
import dev.simpler.jni.ChipWorker;

/**
 * A quick harness, not a benchmark suite (that is the JMH {@code perf} module): the throughput of 100k
 * independent no-op tasks and of a 100k INOUT chain, and the one-task round trip, in THREAD mode next to
 * {@link CompletableFuture} on a single-thread executor, and in PROCESS mode next to a raw shared-memory
 * ping-pong between two JVMs. Prints medians of several repetitions.
 */
final class QuickBench
{
    private static final int TASKS = 100_000;
    private static final int REPETITIONS = 7;
    // Unmeasured batches first, so that the figures are those of compiled code (JMH warms up for the same reason).
    private static final int WARM_UP_BATCHES = 5;
    private static final int ROUND_TRIPS = 50_000;

    private QuickBench()
    {
    }

    static void main(final String[] args) throws Exception
    {
        System.out.println("quick harness: " + TASKS + " tasks per batch, median of " + REPETITIONS
            + " batches after " + WARM_UP_BATCHES + " warm-up batches; round trip over " + ROUND_TRIPS
            + " runs after as many warm-up runs");
        for (final WaitStrategy strategy : WaitStrategy.values())
        {
            engine(WorkerMode.THREAD, 1, strategy);
        }
        completableFuture();
        for (final WaitStrategy strategy : WaitStrategy.values())
        {
            engine(WorkerMode.PROCESS, 1, strategy);
            engine(WorkerMode.PROCESS, 2, strategy);
        }
        chips();
        final Histogram floor = PingPong.measure();
        report("raw shared-memory ping-pong, 2 JVMs", floor);
    }

    private static void engine(final WorkerMode mode, final int workers, final WaitStrategy strategy)
    {
        // The caller plus one thread (THREAD) or child (PROCESS) per worker; in PROCESS mode the caller drives the
        // mailboxes itself while it waits, so the driver thread does not spin during a run.
        final int spinners = 1 + workers;
        final int cores = Runtime.getRuntime().availableProcessors();
        if (strategy == WaitStrategy.BUSY_SPIN && spinners > cores)
        {
            System.out.printf("  %-40s skipped: %d busy-spinning threads on %d cores%n",
                mode + ", " + workers + " sub worker(s), " + strategy, spinners, cores);
            return;
        }
        try (Worker worker = Worker.builder().mode(mode).subWorkers(workers).heapRingSize(1L << 20)
            .waitStrategy(strategy).build())
        {
            final int noop = worker.register(a -> { });
            final Tensor cell = worker.sharedTensor(DataType.INT64, 1);
            worker.init();
            final TaskArgs none = new TaskArgs();
            final TaskArgs chained = new TaskArgs().inout(cell);
            final double independent = medianRate(() -> worker.run((orch, a) ->
            {
                for (int i = 0; i < TASKS; i++)
                {
                    orch.submitSub(noop, none);
                }
            }, null));
            final double chain = medianRate(() -> worker.run((orch, a) ->
            {
                for (int i = 0; i < TASKS; i++)
                {
                    orch.submitSub(noop, chained);
                }
            }, null));
            final Histogram roundTrip = roundTrip(() -> worker.run((orch, a) -> orch.submitSub(noop, none), null));
            report(mode + ", " + workers + " sub worker(s), " + strategy, independent, chain, roundTrip);
        }
    }

    private static void chips()
    {
        try (ChipWorker direct = ChipWorker.openSim())
        {
            direct.setDevice(0);
            final long add = direct.kernel("add_f32");
            final ByteBuffer memory = BufferUtil.allocateDirectAligned(3 * 64, 64);
            final long base = BufferUtil.address(memory);
            final TaskArgs tiny = new TaskArgs().input(Tensor.of(base, DataType.FLOAT32, 16))
                .input(Tensor.of(base + 64, DataType.FLOAT32, 16)).output(Tensor.of(base + 128, DataType.FLOAT32, 16));
            final Histogram directRun = roundTrip(() -> direct.run(add, tiny, CallConfig.DEFAULT));
            report("tiny add_f32 (16 floats), ChipWorker.run", directRun);
            for (final WorkerMode mode : WorkerMode.values())
            {
                // The child opens a sim chip (JNI): enable native access there, as ChipPipeline does.
                final Worker.Builder builder = Worker.builder().mode(mode).heapRingSize(1L << 20)
                    .childJvmOptions("--enable-native-access=ALL-UNNAMED");
                if (mode == WorkerMode.THREAD)
                {
                    builder.nextLevel(direct);
                }
                else
                {
                    builder.nextLevel((WorkerFactory)() ->
                    {
                        final ChipWorker chip = ChipWorker.openSim();
                        chip.setDevice(0);
                        return chip;
                    });
                }
                try (Worker worker = builder.build())
                {
                    final Tensor shared = worker.sharedTensor(DataType.FLOAT32, 48);
                    final TaskArgs sharedTiny = new TaskArgs().input(Tensor.of(shared.address(), DataType.FLOAT32, 16))
                        .input(Tensor.of(shared.address() + 64, DataType.FLOAT32, 16))
                        .outputExisting(Tensor.of(shared.address() + 128, DataType.FLOAT32, 16));
                    worker.init();
                    final Histogram viaEngine = roundTrip(() ->
                        worker.run((orch, a) -> orch.submitNextLevel(add, sharedTiny, CallConfig.DEFAULT), null));
                    report("tiny add_f32 through L3, " + mode + ", BACKOFF", viaEngine);
                }
            }
        }
    }

    private static void report(final String name, final Histogram rt)
    {
        System.out.printf("  %-40s round trip p50 %7.2f us  p99 %7.2f us  p99.9 %7.2f us%n", name,
            rt.getValueAtPercentile(50) / 1e3, rt.getValueAtPercentile(99) / 1e3, rt.getValueAtPercentile(99.9) / 1e3);
    }

    private static void completableFuture() throws Exception
    {
        final ExecutorService executor = Executors.newSingleThreadExecutor();
        try
        {
            final Runnable noop = () -> { };
            final CompletableFuture<?>[] futures = new CompletableFuture<?>[TASKS];
            final double independent = medianRate(() ->
            {
                for (int i = 0; i < TASKS; i++)
                {
                    futures[i] = CompletableFuture.runAsync(noop, executor);
                }
                CompletableFuture.allOf(futures).join();
            });
            final double chain = medianRate(() ->
            {
                CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
                for (int i = 0; i < TASKS; i++)
                {
                    tail = tail.thenRunAsync(noop, executor);
                }
                tail.join();
            });
            final Histogram roundTrip = roundTrip(() -> CompletableFuture.runAsync(noop, executor).join());
            report("CompletableFuture, 1 thread", independent, chain, roundTrip);
        }
        finally
        {
            executor.shutdownNow();
        }
    }

    private static double medianRate(final Runnable batch)
    {
        final double[] rates = new double[REPETITIONS];
        for (int w = 0; w < WARM_UP_BATCHES; w++)
        {
            batch.run();
        }
        for (int r = 0; r < REPETITIONS; r++)
        {
            final long start = System.nanoTime();
            batch.run();
            rates[r] = TASKS / ((System.nanoTime() - start) / 1e9);
        }
        Arrays.sort(rates);
        return rates[REPETITIONS / 2];
    }

    private static Histogram roundTrip(final Runnable once)
    {
        final Histogram histogram = new Histogram(60_000_000_000L, 3);
        for (int i = 0; i < ROUND_TRIPS; i++)
        {
            once.run();
        }
        for (int i = 0; i < ROUND_TRIPS; i++)
        {
            final long start = System.nanoTime();
            once.run();
            histogram.recordValue(System.nanoTime() - start);
        }
        return histogram;
    }

    private static void report(final String name, final double independent, final double chain, final Histogram rt)
    {
        System.out.printf("  %-40s independent %,12.0f tasks/s   chain %,12.0f tasks/s   round trip p50 %7.2f us"
            + "  p99 %7.2f us  p99.9 %7.2f us%n",
            name, independent, chain,
            rt.getValueAtPercentile(50) / 1e3, rt.getValueAtPercentile(99) / 1e3, rt.getValueAtPercentile(99.9) / 1e3);
    }
}
