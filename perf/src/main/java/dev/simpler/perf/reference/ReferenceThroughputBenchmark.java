package dev.simpler.perf.reference;

import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The reference design's throughput on the suite's shapes, THREAD mode, score in tasks/s (each invocation runs
 * {@value #TASKS} tasks, then drains): independent tasks, an INOUT chain, chained diamonds (1 → 8 → 1) and groups
 * of 2 (a group of 2 counts as 2 tasks: 50 000 groups). One worker, two for the groups.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class ReferenceThroughputBenchmark
{
    /** Tasks per invocation. */
    public static final int TASKS = 100_000;

    /** Width of a diamond's fan-out. */
    public static final int DIAMOND_WIDTH = 8;

    /** Members per group. */
    public static final int GROUP_SIZE = 2;

    private static final Runnable NOOP = () -> { };
    private static final IntConsumer NOOP_MEMBER = member -> { };

    /** A reference engine with one THREAD worker. */
    @State(Scope.Benchmark)
    public static class OneWorker
    {
        ReferenceEngine engine;
        final int[] one = new int[1];
        final int[] mids = new int[DIAMOND_WIDTH];

        /**
         * Start the reference engine.
         */
        @Setup(Level.Trial)
        public void start()
        {
            engine = new ReferenceEngine(ReferenceMode.THREAD, 1);
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

    /** A reference engine with two THREAD workers, for groups of 2. */
    @State(Scope.Benchmark)
    public static class TwoWorkers
    {
        ReferenceEngine engine;

        /**
         * Start the reference engine.
         */
        @Setup(Level.Trial)
        public void start()
        {
            engine = new ReferenceEngine(ReferenceMode.THREAD, GROUP_SIZE);
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
     * {@value #TASKS} independent no-op tasks, then drain.
     *
     * @param state the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void referenceIndependent(final OneWorker state)
    {
        final ReferenceEngine engine = state.engine;
        for (int i = 0; i < TASKS; i++)
        {
            engine.submit(NOOP, ReferenceEngine.NO_PRODUCERS);
        }
        engine.drain();
    }

    /**
     * A chain of {@value #TASKS} no-op tasks, each depending on the previous (INOUT on one buffer), then drain.
     *
     * @param state the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void referenceChain(final OneWorker state)
    {
        final ReferenceEngine engine = state.engine;
        final int[] one = state.one;
        int previous = engine.submit(NOOP, ReferenceEngine.NO_PRODUCERS);
        for (int i = 1; i < TASKS; i++)
        {
            one[0] = previous;
            previous = engine.submit(NOOP, one);
        }
        engine.drain();
    }

    /**
     * Diamonds of 10 tasks (a root, {@value #DIAMOND_WIDTH} tasks on the root, a sink on all of them), each root
     * depending on the previous sink, {@value #TASKS} tasks in total, then drain.
     *
     * @param state the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void referenceDiamond(final OneWorker state)
    {
        final ReferenceEngine engine = state.engine;
        final int[] one = state.one;
        final int[] mids = state.mids;
        int sink = -1;
        for (int i = 0; i < TASKS; i += DIAMOND_WIDTH + 2)
        {
            one[0] = sink;
            final int root = engine.submit(NOOP, sink < 0 ? ReferenceEngine.NO_PRODUCERS : one);
            one[0] = root;
            for (int m = 0; m < DIAMOND_WIDTH; m++)
            {
                mids[m] = engine.submit(NOOP, one);
            }
            sink = engine.submit(NOOP, mids);
        }
        engine.drain();
    }

    /**
     * {@value #TASKS} / 2 independent groups of 2 no-op members on 2 workers (each group starts on both workers
     * together), then drain; the score counts members.
     *
     * @param state the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void referenceGroup(final TwoWorkers state)
    {
        final ReferenceEngine engine = state.engine;
        for (int i = 0; i < TASKS; i += GROUP_SIZE)
        {
            engine.submitGroup(GROUP_SIZE, NOOP_MEMBER, ReferenceEngine.NO_PRODUCERS);
        }
        engine.drain();
    }
}
