package dev.simpler.perf;

import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.WorkerMode;

/**
 * Refuses engine configurations whose busy-spinning threads outnumber the cores: there the benchmark measures
 * only the OS scheduler time-slicing spinners (minutes per iteration on 2 cores), not the engine. Throwing from a
 * JMH setup makes JMH report the reason and go on with the next benchmark.
 */
final class SpinBudget
{
    private SpinBudget()
    {
    }

    /**
     * Check a configuration.
     *
     * @param mode       the engine's mode.
     * @param strategy   its wait strategy.
     * @param subWorkers its sub workers.
     * @throws IllegalStateException when it would spin more threads than there are cores.
     */
    static void check(final WorkerMode mode, final WaitStrategy strategy, final int subWorkers)
    {
        if (strategy != WaitStrategy.BUSY_SPIN)
        {
            return;
        }
        // The caller spins in Worker.run; THREAD mode adds a thread per worker, PROCESS mode a child per worker
        // (the caller drives the mailboxes while it waits; the driver thread parks during runs).
        final int spinners = 1 + subWorkers;
        final int cores = Runtime.getRuntime().availableProcessors();
        if (spinners > cores)
        {
            throw new IllegalStateException("skipped: " + mode + " with " + subWorkers + " sub worker(s) busy-spins "
                + spinners + " threads on " + cores + " cores; run it on a machine with at least " + spinners
                + " cores");
        }
    }
}
