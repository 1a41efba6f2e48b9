package dev.simpler.perf.reference;

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

/**
 * The reference design's one-task round trip (pairs with {@code engineOneTask} and {@code completableFutureOneTask}
 * of the SPEC §12 "one-task round trip" rows): submit one no-op task and drain, as a latency distribution.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class ReferenceRoundTripBenchmark
{
    private static final Runnable NOOP = () -> { };

    /** The reference engine with one worker. */
    @State(Scope.Benchmark)
    public static class Reference
    {
        @Param({"THREAD", "PROCESS"})
        ReferenceMode mode;

        ReferenceEngine engine;

        /**
         * Start the reference engine.
         */
        @Setup(Level.Trial)
        public void start()
        {
            engine = new ReferenceEngine(mode, 1);
        }

        /**
         * Stop the reference engine.
         */
        @TearDown(Level.Trial)
        public void stop()
        {
            engine.close();
        }
    }

    /**
     * One no-op task through the reference engine, submit to drained.
     *
     * @param reference the engine.
     */
    @Benchmark
    public void referenceOneTask(final Reference reference)
    {
        final ReferenceEngine engine = reference.engine;
        engine.submit(NOOP, ReferenceEngine.NO_PRODUCERS);
        engine.drain();
    }
}
