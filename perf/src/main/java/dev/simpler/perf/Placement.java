package dev.simpler.perf;

import java.util.BitSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

import dev.simpler.engine.CpuAffinity;

/**
 * Where the single-worker shapes run: the benchmark thread (the engine's orchestrating thread, the
 * {@code CompletableFuture} submitter) on the first CPU the process may use, and the one thread that runs the tasks
 * (the engine's sub worker, the baseline's executor thread) on the next. Left to the operating system, the two
 * threads land on either CPU at random for a fork's whole life; on a machine whose CPUs are not alike (virtual
 * CPUs on shared cores) the placement alone moved the THREAD chain by a third (perf/README.md section 7). Pinned,
 * each engine and its baseline get the same placement, fork after fork. {@code -Dsimpler.perf.pin=false} leaves both
 * threads to the operating system.
 */
final class Placement
{
    private static final BitSet CPUS = CpuAffinity.allowedCpus();

    private Placement()
    {
    }

    /**
     * Whether the shapes are pinned: two CPUs or more, and not switched off.
     *
     * @return true when {@link #pinBenchmarkThread()} pins.
     */
    static boolean pinned()
    {
        return CPUS.cardinality() >= 2 && !"false".equals(System.getProperty("simpler.perf.pin"));
    }

    /**
     * Pin the calling benchmark thread to the first CPU, when {@link #pinned()}.
     */
    static void pinBenchmarkThread()
    {
        if (pinned())
        {
            CpuAffinity.pinCurrentThread(CPUS.nextSetBit(0));
        }
    }

    /**
     * The CPU of the thread that runs the tasks.
     *
     * @return the second CPU the process may use.
     */
    static int workerCpu()
    {
        return CPUS.nextSetBit(CPUS.nextSetBit(0) + 1);
    }

    /**
     * Pin the thread of a single-thread executor to {@link #workerCpu()} when {@link #pinned()}, and wait until it
     * is: a failure to pin fails the caller (the benchmark's setup) instead of the executor's thread.
     *
     * @param single the executor.
     */
    static void pinExecutorThread(final ExecutorService single)
    {
        if (pinned())
        {
            try
            {
                single.submit(() -> CpuAffinity.pinCurrentThread(workerCpu())).get();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while pinning the executor's thread", ex);
            }
            catch (final ExecutionException ex)
            {
                throw new IllegalStateException("could not pin the executor's thread: " + ex.getCause(), ex);
            }
        }
    }
}
