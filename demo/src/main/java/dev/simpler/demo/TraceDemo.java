package dev.simpler.demo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.simpler.engine.DataType;
import dev.simpler.engine.Orchestrator;
import dev.simpler.engine.RunHandle;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;

/**
 * Records a trace (SPEC §14) of the demo's diamond pipeline — fill → 3 × scale → gather, over
 * heap-ring tensors — for a few runs, two of them in flight at once, and writes it with {@code Worker.stopTrace}:
 * Chrome trace-event JSON and the HTML page beside it. {@code docs/trace-screenshot.sh} renders the pages.
 *
 * <p>{@code java -cp demo/target/simpler-demo.jar dev.simpler.demo.TraceDemo THREAD|PROCESS <trace.json> [runs]}
 */
public final class TraceDemo
{
    private static final int BRANCHES = 3;
    /** Floats per run: large enough that each task takes tens of microseconds and shows as a box. */
    private static final int LENGTH = 3 << 16;
    private static final int DEFAULT_RUNS = 4;
    /** Untraced runs first, so that the trace shows the engine and the kernels compiled, not interpreted. */
    private static final int WARMUP_RUNS = 400;

    private TraceDemo()
    {
    }

    /**
     * Record and write the trace.
     *
     * @param args the mode, the JSON file, and optionally the number of runs.
     */
    public static void main(final String[] args)
    {
        if (args.length < 2)
        {
            System.err.println("usage: TraceDemo THREAD|PROCESS <trace.json> [runs]");
            System.exit(2);
        }
        final WorkerMode mode = WorkerMode.valueOf(args[0]);
        final Path json = Path.of(args[1]);
        final int runs = args.length > 2 ? Integer.parseInt(args[2]) : DEFAULT_RUNS;
        try (Worker worker = Worker.builder()
            .mode(mode)
            .subWorkers(BRANCHES)
            .heapRingSize(32L << 20)
            .waitStrategy(WaitStrategy.BACKOFF)
            .maxRunsInFlight(2)
            .build())
        {
            final Kernels kernels = Kernels.register(worker);
            worker.init();
            final Tensor result = worker.sharedTensor(DataType.FLOAT32, LENGTH);
            final Tensor finishTimes = worker.sharedTensor(DataType.INT64, BRANCHES + 2);
            for (int run = 0; run < WARMUP_RUNS; run++)
            {
                worker.run((orch, seed) -> pipeline(orch, kernels, result, finishTimes, seed), 0f);
            }

            worker.startTrace();
            final List<RunHandle> handles = new ArrayList<>();
            for (int run = 1; run <= runs; run++)
            {
                handles.add(worker.submit((orch, seed) -> pipeline(orch, kernels, result, finishTimes, seed),
                    (float)run));
            }
            for (final RunHandle handle : handles)
            {
                handle.join();
            }
            worker.stopTrace(json);
            System.out.println(mode + ": " + runs + " runs of fill -> " + BRANCHES + " x scale -> gather traced to "
                + json + " and its .html page");
        }
    }

    private static void pipeline(
        final Orchestrator orch, final Kernels kernels, final Tensor result, final Tensor finishTimes,
        final float seed)
    {
        final Tensor input = orch.alloc(DataType.FLOAT32, LENGTH);
        orch.submitSub(kernels.fill, new TaskArgs().inout(input).noDep(finishTimes).addFloat(seed).addScalar(0));
        final int slice = LENGTH / BRANCHES;
        final TaskArgs gather = new TaskArgs();
        for (int b = 0; b < BRANCHES; b++)
        {
            final TaskArgs branch = new TaskArgs()
                .input(input)
                .output(Tensor.of(0, DataType.FLOAT32, slice))
                .noDep(finishTimes)
                .addScalar(b * slice)
                .addFloat(b + 1)
                .addScalar(1 + b);
            orch.submitSub(kernels.scale, branch);
            gather.input(branch.tensor(1));
        }
        orch.submitSub(kernels.gather, gather.outputExisting(result).noDep(finishTimes).addScalar(BRANCHES + 1));
    }
}
