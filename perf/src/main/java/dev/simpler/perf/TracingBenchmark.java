package dev.simpler.perf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

import jdk.jfr.Recording;

import dev.simpler.engine.DataType;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;

/**
 * SPEC §12 row "tracing off / on": the throughput shapes chain and independent ({@value #TASKS} no-op sub tasks per
 * invocation, one sub worker pinned as in {@link ThroughputBenchmark}) with the engine's recording {@code OFF}
 * (nothing asked: what every other benchmark measures), {@code TRACE} (between {@code Worker.startTrace} and
 * {@code stopTrace}: every task's submit, ready, run and dependencies into the threads' rings, which wrap) and
 * {@code JFR} (a JFR recording that enables {@code dev.simpler.Task} and {@code dev.simpler.Run}, in memory). Under
 * {@code -prof gc} it shows what each costs in allocation. Whether OFF costs anything next to an engine without
 * tracing is measured with {@code perf/compare-builds.sh} (perf/README.md section 11), since that needs two builds.
 * The methods are named {@code tracing<Shape>}, not {@code engine<Shape>}, so that the suite's report keeps its
 * SPEC rows (and its {@code -prof gc} run of the engine benchmarks) to the engine as it runs untraced.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class TracingBenchmark
{
    /** Tasks per benchmark invocation. */
    public static final int TASKS = 100_000;

    /** What records. */
    public enum Recorder
    {
        /** Nothing. */
        OFF,
        /** The Chrome trace of {@code Worker.startTrace}. */
        TRACE,
        /** JFR's task and run events. */
        JFR
    }

    /** An engine with one sub worker and what records it. */
    @State(Scope.Benchmark)
    public static class Engine
    {
        @Param({"OFF", "TRACE", "JFR"})
        Recorder tracing;

        @Param({"THREAD"})
        WorkerMode mode;

        @Param({"BACKOFF"})
        WaitStrategy strategy;

        Worker worker;
        int noop;
        Tensor cell;
        Recording recording;
        Path traceDir;
        final TaskArgs none = new TaskArgs();

        /**
         * Start the engine and its recording.
         *
         * @throws IOException when the trace's directory cannot be made.
         */
        @Setup(Level.Trial)
        public void start() throws IOException
        {
            SpinBudget.check(mode, strategy, 1);
            final Worker.Builder builder = Worker.builder().mode(mode).subWorkers(1).heapRingSize(1L << 20)
                .waitStrategy(strategy);
            if (mode == WorkerMode.THREAD && Placement.pinned())
            {
                Placement.pinBenchmarkThread();
                builder.pinThreads(Placement.workerCpu());
            }
            worker = builder.build();
            noop = worker.register(args -> { });
            cell = worker.sharedTensor(DataType.INT64, 1);
            worker.init();
            if (tracing == Recorder.TRACE)
            {
                traceDir = Files.createTempDirectory("simpler-trace-bench");
                worker.startTrace();
            }
            else if (tracing == Recorder.JFR)
            {
                recording = new Recording();
                recording.enable("dev.simpler.Task");
                recording.enable("dev.simpler.Run");
                recording.setToDisk(false);
                recording.start();
            }
        }

        /**
         * Stop the recording and the engine.
         */
        @TearDown(Level.Trial)
        public void stop()
        {
            try
            {
                if (recording != null)
                {
                    recording.stop();
                    recording.close();
                }
                if (traceDir != null)
                {
                    final Path json = traceDir.resolve("trace.json");
                    worker.stopTrace(json);
                    Files.deleteIfExists(json);
                    Files.deleteIfExists(traceDir.resolve("trace.html"));
                    Files.deleteIfExists(traceDir);
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            finally
            {
                worker.close();
            }
        }
    }

    /**
     * Independent no-op tasks.
     *
     * @param engine the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void tracingIndependent(final Engine engine)
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
     * A chain: every task INOUT on the same tensor.
     *
     * @param engine the engine.
     */
    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void tracingChain(final Engine engine)
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
}
