package dev.simpler.engine.config;

import java.util.List;

import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.WorkerMode;
import dev.simpler.engine.agent.AgentFaultHook;
import dev.simpler.engine.agent.EngineErrors;
import dev.simpler.engine.counters.EngineCounters;

/**
 * What one Worker's components are built from: the settings of its {@code Worker.Builder}, resolved, and the
 * objects every component shares (the error handler of its agents). Handed to the components instead of long
 * argument lists; the engine's fixed tuning constants are in {@link Configuration}.
 *
 * <p>Immutable once built.
 *
 * @param workerId            the Worker's id, for thread names and messages (e.g. "w3").
 * @param level               3 or 4.
 * @param mode                the mode of the Worker's children.
 * @param subWorkers          number of sub workers.
 * @param nextLevelWorkers    number of next-level workers.
 * @param heapRingSize        bytes of each heap ring.
 * @param allocTimeoutNs      how long a heap-ring claim may wait without progress.
 * @param waitStrategy        how the engine's threads (and PROCESS-mode children) wait.
 * @param readyQueueCapacity  entries of each ready queue's ring.
 * @param childJvmOptions     extra JVM options of PROCESS-mode children.
 * @param childStartTimeoutNs how long a child may take to report ready.
 * @param pinCpus             CPUs the worker threads pin themselves to, in order; empty for none.
 * @param mailboxSize         bytes of each PROCESS-mode child's mailbox (SPEC §7).
 * @param errors              the error handler of the Worker's agents.
 * @param faultHook           a test hook that can make agents fail, or null.
 * @param counters            the Worker's live counters (SPEC §14).
 */
public record EngineContext(
    String workerId,
    int level,
    WorkerMode mode,
    int subWorkers,
    int nextLevelWorkers,
    long heapRingSize,
    long allocTimeoutNs,
    WaitStrategy waitStrategy,
    int readyQueueCapacity,
    List<String> childJvmOptions,
    long childStartTimeoutNs,
    int[] pinCpus,
    int mailboxSize,
    EngineErrors errors,
    AgentFaultHook faultHook,
    EngineCounters counters)
{
    /**
     * Whether the engine's threads busy-spin.
     *
     * @return true for {@link WaitStrategy#BUSY_SPIN}.
     */
    public boolean busySpin()
    {
        return waitStrategy == WaitStrategy.BUSY_SPIN;
    }

    /**
     * The name of one of the Worker's threads.
     *
     * @param role e.g. "sub-0" or "children".
     * @return e.g. "simpler-w3-sub-0".
     */
    public String threadName(final String role)
    {
        return "simpler-" + workerId + "-" + role;
    }
}
