package dev.simpler.engine.scheduler;

import static dev.simpler.engine.config.Configuration.COUNTERS_SAMPLE_COMPLETIONS;
import static dev.simpler.engine.config.Configuration.COUNTERS_SAMPLE_INTERVAL_NS;

import org.agrona.concurrent.status.AtomicCounter;

import dev.simpler.engine.agent.ThreadRole;
import dev.simpler.engine.counters.EngineCounters;

/**
 * What the orchestrating thread publishes in its Worker's counters file (SPEC §14, {@link EngineCounters}): tasks
 * submitted, completed, failed and skipped, runs started and finished, and the depth of each ready queue. Every
 * counter has this thread as its only writer, so a count is a plain load and a release store
 * ({@link AtomicCounter#incrementRelease()}) on the counter's own pair of lines, which stays in this thread's cache
 * (the stat tool reads it once a second): no atomic read-modify-write, and nothing on the lines the workers use.
 * The per-task count touches no field of this object, so that where the JVM puts it cannot matter.
 *
 * <p>When each is published:
 * <ul>
 *   <li>tasks submitted: at every submit ({@link #taskSubmitted()}, called by the orchestrator);</li>
 *   <li>tasks completed, failed, skipped: when the orchestrating thread takes completions back
 *       ({@link Scheduler#processCompletions()}); completed = taken − failed − skipped;</li>
 *   <li>runs started and finished: when a run begins and when it finishes (in the {@link RunLedger}, on the
 *       driving thread);</li>
 *   <li>ready-queue depths, a gauge: sampled while the orchestrating thread waits ({@link #waiting(long)}), once
 *       every {@link dev.simpler.engine.config.Configuration#COUNTERS_SAMPLE_COMPLETIONS} completions taken, both
 *       at most every {@link dev.simpler.engine.config.Configuration#COUNTERS_SAMPLE_INTERVAL_NS}, and at the end of
 *       a run when the last sample found a queue not empty. A sample reads the lines the ready queue's producers
 *       and consumers write, which is why it is rationed.</li>
 * </ul>
 *
 * <p>Single writer: the orchestrating thread (the scheduler's role; asserted).
 */
public final class SchedulerCounters
{
    private final ThreadRole role;
    private final ReadyQueue[] readyQueues;
    private final AtomicCounter submitted;
    private final AtomicCounter completed;
    private final AtomicCounter failed;
    private final AtomicCounter skipped;
    private final AtomicCounter runsStarted;
    private final AtomicCounter runsFinished;
    private final AtomicCounter[] readyQueueDepths;
    private long takenTotal;
    private long failedTotal;
    private long skippedTotal;
    private int takenSinceClock;
    private long lastSampleNs;
    private boolean lastSampleFoundWork;

    SchedulerCounters(final EngineCounters counters, final ReadyQueue[] readyQueues, final ThreadRole role)
    {
        this.role = role;
        this.readyQueues = readyQueues;
        this.submitted = counters.tasksSubmitted();
        this.completed = counters.tasksCompleted();
        this.failed = counters.tasksFailed();
        this.skipped = counters.tasksSkipped();
        this.runsStarted = counters.runsStarted();
        this.runsFinished = counters.runsFinished();
        this.readyQueueDepths = new AtomicCounter[readyQueues.length];
        for (int kind = 0; kind < readyQueues.length; kind++)
        {
            readyQueueDepths[kind] = counters.readyQueueDepth(kind);
        }
        // The first wait samples at once.
        this.lastSampleNs = System.nanoTime() - COUNTERS_SAMPLE_INTERVAL_NS;
    }

    /**
     * A task (single or group) was submitted.
     */
    public void taskSubmitted()
    {
        assert role.isHeld() : role.violation();
        submitted.incrementRelease();
    }

    /**
     * The orchestrating thread is waiting (for completions, free slots or heap space): sample the ready queues if
     * the last sample is old enough. The caller read the clock anyway.
     *
     * @param nowNs {@link System#nanoTime()}.
     */
    public void waiting(final long nowNs)
    {
        assert role.isHeld() : role.violation();
        if (nowNs - lastSampleNs >= COUNTERS_SAMPLE_INTERVAL_NS)
        {
            sampleReadyQueues(nowNs);
        }
    }

    void completionsTaken(final int count)
    {
        if (count == 0)
        {
            return;
        }
        takenTotal += count;
        completed.setRelease(takenTotal - failedTotal - skippedTotal);
        takenSinceClock += count;
        if (takenSinceClock >= COUNTERS_SAMPLE_COMPLETIONS)
        {
            takenSinceClock = 0;
            waiting(System.nanoTime());
        }
    }

    void taskFailed()
    {
        failed.setRelease(++failedTotal);
    }

    void taskSkipped()
    {
        skipped.setRelease(++skippedTotal);
    }

    void runStarted()
    {
        assert role.isHeld() : role.violation();
        runsStarted.incrementRelease();
    }

    void runFinished()
    {
        assert role.isHeld() : role.violation();
        if (lastSampleFoundWork)
        {
            // Otherwise a depth sampled mid-run would stay on display while the Worker sits idle.
            sampleReadyQueues(System.nanoTime());
        }
        runsFinished.incrementRelease();
    }

    private void sampleReadyQueues(final long nowNs)
    {
        lastSampleNs = nowNs;
        boolean foundWork = false;
        for (int kind = 0; kind < readyQueues.length; kind++)
        {
            final long depth = readyQueues[kind].depth();
            readyQueueDepths[kind].setRelease(depth);
            foundWork |= depth != 0;
        }
        lastSampleFoundWork = foundWork;
    }
}
