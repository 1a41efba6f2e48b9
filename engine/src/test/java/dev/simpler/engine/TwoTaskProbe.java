package dev.simpler.engine;

import static dev.simpler.engine.TestWorkers.await;
import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs two sub tasks, a first and a second, that name the same memory, to tell whether the second waited for the
 * first. THREAD mode only: the tasks coordinate through latches in this process.
 */
final class TwoTaskProbe
{
    /** Builds the first task's arguments from the orchestrator and a 16-element INT32 shared buffer. */
    @FunctionalInterface
    interface FirstArgs
    {
        TaskArgs build(Orchestrator orch, Tensor sharedBuffer);
    }

    /** Builds the second task's arguments from the first's, as they are after the first's submit. */
    @FunctionalInterface
    interface SecondArgs
    {
        TaskArgs build(TaskArgs firstArgs);
    }

    private TwoTaskProbe()
    {
    }

    /**
     * Whether the second task started only after the first finished. Two sub workers; the first task blocks until
     * a probe task has run, and the probe is submitted after the second. A second task that did not wait would be
     * ready before the probe, so it would take the free worker first and find the first task unfinished.
     *
     * @param first  the first task's arguments.
     * @param second the second task's arguments.
     * @return true when the second task saw the first finished.
     */
    static boolean secondStartedAfterFirstFinished(final FirstArgs first, final SecondArgs second)
    {
        final CountDownLatch probeRan = new CountDownLatch(1);
        final AtomicBoolean firstFinished = new AtomicBoolean();
        final AtomicBoolean secondSawFirstFinished = new AtomicBoolean();
        final AtomicInteger firstRuns = new AtomicInteger();
        final AtomicInteger secondRuns = new AtomicInteger();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final int firstId = worker.register((args) ->
            {
                firstRuns.incrementAndGet();
                await(probeRan);
                firstFinished.set(true);
            });
            final int secondId = worker.register((args) ->
            {
                secondRuns.incrementAndGet();
                secondSawFirstFinished.set(firstFinished.get());
            });
            final int probeId = worker.register((args) -> probeRan.countDown());
            final Tensor shared = worker.sharedTensor(DataType.INT32, 16);

            worker.run((orch, ignored) ->
            {
                final TaskArgs firstArgs = first.build(orch, shared);
                orch.submitSub(firstId, firstArgs);
                orch.submitSub(secondId, second.build(firstArgs));
                orch.submitSub(probeId, new TaskArgs());
            }, null);
        }
        assertEquals(1, firstRuns.get(), "runs of the first task");
        assertEquals(1, secondRuns.get(), "runs of the second task");
        return secondSawFirstFinished.get();
    }

    /**
     * Assert that the second task runs while the first one is still running: the first blocks until the second
     * has run, so a second task that waited for the first would leave the first to fail on its latch timeout.
     *
     * @param first  the first task's arguments.
     * @param second the second task's arguments.
     */
    static void assertSecondRunsWhileFirstRuns(final FirstArgs first, final SecondArgs second)
    {
        final CountDownLatch secondRan = new CountDownLatch(1);
        final AtomicInteger firstRuns = new AtomicInteger();
        final AtomicInteger secondRuns = new AtomicInteger();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final int firstId = worker.register((args) ->
            {
                await(secondRan);
                firstRuns.incrementAndGet();
            });
            final int secondId = worker.register((args) ->
            {
                secondRuns.incrementAndGet();
                secondRan.countDown();
            });
            final Tensor shared = worker.sharedTensor(DataType.INT32, 16);

            worker.run((orch, ignored) ->
            {
                final TaskArgs firstArgs = first.build(orch, shared);
                orch.submitSub(firstId, firstArgs);
                orch.submitSub(secondId, second.build(firstArgs));
            }, null);
        }
        assertEquals(1, firstRuns.get(), "runs of the first task");
        assertEquals(1, secondRuns.get(), "runs of the second task");
    }
}
