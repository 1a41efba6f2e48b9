package dev.simpler.perf;

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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.simpler.engine.OrchFn;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;

/**
 * SPEC §12 rows "one-task round trip" (THREAD and PROCESS, busy-spin and default strategy): submit one no-op
 * sub task and wait until the run has drained, measured as a latency distribution (SampleTime gives p50, p99,
 * p99.9). In the same run: the floor, a raw two-thread ping-pong on one cache line ({@code rawOneTask}); a
 * ping-pong through two Disruptor rings ({@code disruptorOneTask}); and {@code CompletableFuture.runAsync(..).join()}
 * on a single-thread executor. The PROCESS row's floor, a two-JVM ping-pong, is
 * {@link MailboxRoundTripBenchmark#rawPingPong}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class RoundTripBenchmark
{
    /** The engine under test. */
    @State(Scope.Benchmark)
    public static class Engine
    {
        @Param({"THREAD", "PROCESS"})
        WorkerMode mode;

        @Param({"BUSY_SPIN", "BACKOFF"})
        WaitStrategy strategy;

        Worker worker;
        OrchFn<Void> oneTask;

        /**
         * Start an engine with one sub worker.
         */
        @Setup(Level.Trial)
        public void start()
        {
            SpinBudget.check(mode, strategy, 1);
            worker = Worker.builder().mode(mode).subWorkers(1).heapRingSize(1L << 20).waitStrategy(strategy)
                .build();
            final int noop = worker.register(args -> { });
            worker.init();
            final TaskArgs none = new TaskArgs();
            oneTask = (orch, unused) -> orch.submitSub(noop, none);
        }

        /**
         * Stop the engine.
         */
        @TearDown(Level.Trial)
        public void stop()
        {
            worker.close();
        }
    }

    /** The baseline: a single-thread executor. */
    @State(Scope.Benchmark)
    public static class Baseline
    {
        ExecutorService executor;
        final Runnable noop = () -> { };

        /**
         * Start the executor.
         */
        @Setup(Level.Trial)
        public void start()
        {
            executor = Executors.newSingleThreadExecutor();
        }

        /**
         * Stop the executor.
         */
        @TearDown(Level.Trial)
        public void stop()
        {
            executor.shutdownNow();
        }
    }

    /**
     * One task through the engine, submit to drained.
     *
     * @param engine the engine.
     */
    @Benchmark
    public void engineOneTask(final Engine engine)
    {
        engine.worker.run(engine.oneTask, null);
    }

    /**
     * The floor: one number there and back between two busy-spinning threads on one cache line.
     *
     * @param pingPong the two threads' line.
     * @return the number, so that the work is not eliminated.
     */
    @Benchmark
    public long rawOneTask(final HandOffBaselines.RawPingPong pingPong)
    {
        return pingPong.roundTrip();
    }

    /**
     * One request and its answer through two Disruptor rings, busy-spinning.
     *
     * @param pingPong the rings.
     * @return the number, so that the work is not eliminated.
     * @throws Exception when the rings fail.
     */
    @Benchmark
    public long disruptorOneTask(final HandOffBaselines.DisruptorPingPong pingPong) throws Exception
    {
        return pingPong.roundTrip();
    }

    /**
     * One task through a CompletableFuture on a single-thread executor.
     *
     * @param baseline the executor.
     */
    @Benchmark
    public void completableFutureOneTask(final Baseline baseline)
    {
        CompletableFuture.runAsync(baseline.noop, baseline.executor).join();
    }
}
