package dev.simpler.engine;

import static dev.simpler.engine.TestWorkers.await;
import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Failed tasks, skipped dependents and failing orchestration functions (SPEC §3 Scopes, §10, §11).
 */
class FailureTest
{
    private static final int UNKNOWN_CALLABLE_ID = 9999;

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void callableThatThrowsFailsRunOnlyAfterIndependentTasksFinished()
    {
        final CountDownLatch failingTaskRan = new CountDownLatch(1);
        final AtomicInteger independentFinished = new AtomicInteger();
        final int[] failingSlot = new int[1];
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(3)))
        {
            final int independent = worker.register((args) ->
            {
                await(failingTaskRan);
                independentFinished.incrementAndGet();
            });
            final int boom = worker.register((args) ->
            {
                failingTaskRan.countDown();
                throw new IllegalStateException("boom-17");
            });

            final TaskFailedException ex = assertThrows(TaskFailedException.class, () -> worker.run((orch, ignored) ->
            {
                orch.submitSub(independent, new TaskArgs());
                orch.submitSub(independent, new TaskArgs());
                failingSlot[0] = orch.submitSub(boom, new TaskArgs()).taskSlot();
            }, null));

            assertEquals(2, independentFinished.get(), "independent tasks finished when run threw");
            assertEquals(failingSlot[0], ex.taskSlot());
            assertEquals(2, ex.errorCode());
            assertEquals(1, ex.failedTasks());
            assertEquals(0, ex.skippedTasks());
            assertMessageNamesSlotAndCode(ex, failingSlot[0], 2);
            assertTrue(ex.getMessage().contains("boom-17"), "message carries the callable's text: " + ex.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void callableThatThrowsFailsTaskWithCodeTwoAndItsText(final WorkerMode mode)
    {
        final int[] slot = new int[1];
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            final int fail = worker.register(Kernels.FAIL);
            final TaskFailedException ex = assertThrows(TaskFailedException.class, () -> worker.run(
                (orch, ignored) -> slot[0] = orch.submitSub(fail, new TaskArgs().addScalar(4242)).taskSlot(), null));

            assertEquals(slot[0], ex.taskSlot());
            assertEquals(2, ex.errorCode());
            assertMessageNamesSlotAndCode(ex, slot[0], 2);
            assertTrue(ex.getMessage().contains("planned failure 4242"), ex.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void unknownCallableIdFailsTaskWithCodeOne(final WorkerMode mode)
    {
        final int[] slot = new int[1];
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            worker.register(Kernels.TOUCH);
            final TaskFailedException ex = assertThrows(TaskFailedException.class, () -> worker.run(
                (orch, ignored) -> slot[0] = orch.submitSub(UNKNOWN_CALLABLE_ID, new TaskArgs()).taskSlot(), null));

            assertEquals(slot[0], ex.taskSlot());
            assertEquals(1, ex.errorCode());
            assertMessageNamesSlotAndCode(ex, slot[0], 1);
            assertTrue(ex.getMessage().contains(Integer.toString(UNKNOWN_CALLABLE_ID)),
                "message names the unknown id: " + ex.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void nextLevelWorkerThatThrowsFailsTheRunWithItsText(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(1).nextLevel(Kernels.FAILING_WORKER)))
        {
            final TaskFailedException ex = assertThrows(TaskFailedException.class, () -> worker.run(
                (orch, ignored) -> orch.submitNextLevel(31, new TaskArgs(), CallConfig.DEFAULT), null));

            assertTrue(ex.errorCode() != 0, "error code of a failed task");
            assertEquals(1, ex.failedTasks());
            assertTrue(ex.getMessage().contains("chip failure 31"), ex.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void nextRunAfterFailedRunWorks(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final int fail = worker.register(Kernels.FAIL);
            final int append = worker.register(Kernels.APPEND_TO_LOG);
            final Tensor log = worker.sharedTensor(DataType.INT32, 11);
            Kernels.zero(log);

            assertThrows(TaskFailedException.class, () -> worker.run((orch, ignored) ->
            {
                orch.submitSub(fail, new TaskArgs().output(log).addScalar(1));
                orch.submitSub(append, new TaskArgs().inout(log).addScalar(99));
            }, null));
            assertEquals(0, log.buffer().getInt(0), "the dependent of the failed task ran");

            worker.run((orch, ignored) ->
            {
                for (int i = 0; i < 10; i++)
                {
                    orch.submitSub(append, new TaskArgs().inout(log).addScalar(i));
                }
            }, null);
            assertEquals(10, log.buffer().getInt(0));
            for (int i = 0; i < 10; i++)
            {
                assertEquals(i, log.buffer().getInt(Integer.BYTES * (1 + i)));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void tasksDependingOnFailedTaskDoNotRunAndAreCountedAsSkipped(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2).nextLevel(Kernels.COUNTING_WORKER)))
        {
            final int fail = worker.register(Kernels.FAIL);
            final int count = worker.register(Kernels.COUNT_RUN);
            final Tensor counters = worker.sharedTensor(DataType.INT32, 5);
            final Tensor x = worker.sharedTensor(DataType.INT32, 4);
            final Tensor y = worker.sharedTensor(DataType.INT32, 4);
            final Tensor z = worker.sharedTensor(DataType.INT32, 4);
            final Tensor unrelated = worker.sharedTensor(DataType.INT32, 4);
            Kernels.zero(counters);

            final TaskFailedException ex = assertThrows(TaskFailedException.class, () -> worker.run((orch, ignored) ->
            {
                orch.submitSub(fail, new TaskArgs().output(x).addScalar(0));
                // direct dependent, then transitive ones through y and z, one of them a next-level task
                orch.submitSub(count, new TaskArgs().noDep(counters).input(x).output(y).addScalar(0));
                orch.submitNextLevel(Kernels.ANY_HANDLE, new TaskArgs().noDep(counters).inout(y).addScalar(1),
                    CallConfig.DEFAULT);
                orch.submitSub(count, new TaskArgs().noDep(counters).input(y).outputExisting(z).addScalar(2));
                // independent of the failure
                orch.submitSub(count, new TaskArgs().noDep(counters).inout(unrelated).addScalar(3));
                // a later writer of x depends on the failed writer too (write after write, SPEC §3)
                orch.submitSub(count, new TaskArgs().noDep(counters).outputExisting(x).addScalar(4));
            }, null));

            assertEquals(0, counters.buffer().getInt(0), "runs of the direct dependent");
            assertEquals(0, counters.buffer().getInt(Integer.BYTES), "runs of the next-level transitive dependent");
            assertEquals(0, counters.buffer().getInt(2 * Integer.BYTES), "runs of the transitive dependent");
            assertEquals(1, counters.buffer().getInt(3 * Integer.BYTES), "runs of the independent task");
            assertEquals(0, counters.buffer().getInt(4 * Integer.BYTES), "runs of the OUTPUT_EXISTING writer");
            assertEquals(4, ex.skippedTasks(), "skipped tasks: " + ex.getMessage());
            assertEquals(1, ex.failedTasks());
            assertTrue(Pattern.compile("(?i)skipped\\D{0,20}4\\b|\\b4\\D{0,20}skipped").matcher(ex.getMessage()).find(),
                "message says how many were skipped: " + ex.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(WaitStrategy.class)
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void aFailureInsideALongChainSkipsExactlyTheRestOfIt(final WaitStrategy strategy)
    {
        // Long enough to be staged and published in batches, each step handed from the worker that ran its producer
        // to itself: the failure must still reach the next step and everything after it.
        final int length = 1000;
        final int failing = 333;
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(1).waitStrategy(strategy)))
        {
            final AtomicInteger ran = new AtomicInteger();
            final AtomicInteger outOfOrder = new AtomicInteger();
            final int step = worker.register(args ->
            {
                final int index = (int)args.scalar(0);
                if (ran.getAndIncrement() != index)
                {
                    outOfOrder.incrementAndGet();
                }
                if (index == failing)
                {
                    throw new IllegalStateException("step " + index + " fails");
                }
            });
            final Tensor cell = worker.sharedTensor(DataType.INT64, 1);

            for (int round = 0; round < 3; round++)
            {
                ran.set(0);
                final TaskFailedException ex = assertThrows(TaskFailedException.class, () -> worker.run((orch, x) ->
                {
                    for (int i = 0; i < length; i++)
                    {
                        orch.submitSub(step, new TaskArgs().inout(cell).addScalar(i));
                    }
                }, null));
                assertEquals(failing + 1, ran.get(), "steps that ran, round " + round);
                assertEquals(0, outOfOrder.get(), "steps that ran out of order, round " + round);
                assertEquals(1, ex.failedTasks(), ex.getMessage());
                assertEquals(length - failing - 1, ex.skippedTasks(), ex.getMessage());
            }
            // The slots the skipped steps held run a clean chain again.
            ran.set(0);
            worker.run((orch, x) ->
            {
                for (int i = 0; i < failing; i++)
                {
                    orch.submitSub(step, new TaskArgs().inout(cell).addScalar(i));
                }
            }, null);
            assertEquals(failing, ran.get(), "steps of the clean chain");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void everyFailedTaskOfTheRunIsCounted(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final int fail = worker.register(Kernels.FAIL);
            final TaskFailedException ex = assertThrows(TaskFailedException.class, () -> worker.run((orch, ignored) ->
            {
                orch.submitSub(fail, new TaskArgs().addScalar(1));
                orch.submitSub(fail, new TaskArgs().addScalar(2));
                orch.submitSub(fail, new TaskArgs().addScalar(3));
            }, null));
            assertEquals(3, ex.failedTasks());
            assertEquals(0, ex.skippedTasks());
        }
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void orchestrationFunctionThatThrowsDrainsItsTasksThenRethrowsTheSameException()
    {
        final CountDownLatch orchestrationThrowing = new CountDownLatch(1);
        final AtomicBoolean taskFinished = new AtomicBoolean();
        final AtomicBoolean taskFinishedWhenRunThrew = new AtomicBoolean();
        final IllegalArgumentException thrown = new IllegalArgumentException("orchestration gave up");
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(1)))
        {
            final int task = worker.register((args) ->
            {
                await(orchestrationThrowing);
                taskFinished.set(true);
            });
            final RuntimeException ex = assertThrows(RuntimeException.class, () -> worker.run((orch, ignored) ->
            {
                orch.submitSub(task, new TaskArgs());
                orchestrationThrowing.countDown();
                throw thrown;
            }, null));
            taskFinishedWhenRunThrew.set(taskFinished.get());
            assertSame(thrown, ex);
        }
        assertTrue(taskFinishedWhenRunThrew.get(), "run rethrew before its submitted task finished");
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void scopesLeftOpenByThrowingOrchestrationFunctionAreClosed(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(1).allocTimeout(Duration.ofSeconds(2))))
        {
            final int touch = worker.register(Kernels.TOUCH);
            for (int run = 0; run < 4; run++)
            {
                final IllegalStateException thrown = new IllegalStateException("thrown inside scopes " + run);
                final RuntimeException ex = assertThrows(RuntimeException.class, () -> worker.run((orch, ignored) ->
                {
                    orch.scope();
                    final Tensor big = orch.alloc(DataType.UINT8, 600 * 1024);
                    orch.submitSub(touch, new TaskArgs().inout(big));
                    orch.scope();
                    throw thrown;
                }, null));
                assertSame(thrown, ex);
            }
            worker.run((orch, ignored) ->
            {
                for (int i = 0; i < 64; i++)
                {
                    orch.scope();
                }
            }, null);
        }
    }

    private static void assertMessageNamesSlotAndCode(final TaskFailedException ex, final int slot, final int code)
    {
        final String message = String.valueOf(ex.getMessage());
        assertTrue(Pattern.compile("(?i)slot\\W{0,3}" + slot + "\\b").matcher(message).find(),
            "message names slot " + slot + ": " + message);
        assertTrue(Pattern.compile("(?i)code\\W{0,3}" + code + "\\b").matcher(message).find(),
            "message names code " + code + ": " + message);
    }
}
