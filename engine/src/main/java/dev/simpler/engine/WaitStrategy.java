package dev.simpler.engine;

/**
 * How the engine's threads wait for work, and how the thread in {@link Worker#run} waits for the run to drain.
 */
public enum WaitStrategy
{
    /**
     * Spin on the CPU without ever yielding: the lowest latency, for threads that own a core each.
     * On a machine with fewer cores than busy threads it is slower, not faster.
     */
    BUSY_SPIN,
    /**
     * Spin briefly, then yield, then park until woken by the thread that hands over work. The default:
     * idle threads cost nothing, so an engine shares a small machine with the rest of the process.
     */
    BACKOFF
}
