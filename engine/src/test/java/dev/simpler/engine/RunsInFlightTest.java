package dev.simpler.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs in flight (SPEC §13): {@code submit} returns while the run's tasks go on, a later run's tasks wait for an
 * earlier run's conflicting accesses, each handle reports its own run's outcome, and at most
 * {@code maxRunsInFlight} runs are in flight. Blocked tasks wait for a flag in shared memory that the test raises,
 * so no test depends on timing.
 */
@Timeout(value = 120, threadMode = SEPARATE_THREAD)
class RunsInFlightTest
{
    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    void theNextRunIsBuiltAndRunWhileTheFirstIsStillRunning(final WorkerMode mode)
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(mode).subWorkers(2)))
        {
            final int await = worker.register(Kernels.AWAIT_FLAG_THEN_COPY_OR_APPEND);
            final int put = worker.register(Kernels.PUT_SCALAR);
            final Tensor flag = worker.sharedTensor(DataType.INT32, 1);
            final Tensor log = worker.sharedTensor(DataType.INT32, 4);
            final Tensor other = worker.sharedTensor(DataType.INT32, 1);

            final RunHandle first = worker.submit((orch, unused) ->
                orch.submitSub(await, new TaskArgs().noDep(flag).inout(log).addScalar(41)), null);
            assertFalse(first.isDone(), "submit returned while the first run's task waits for the flag");

            final RunHandle second = worker.submit((orch, unused) ->
                orch.submitSub(put, new TaskArgs().outputExisting(other).addScalar(42)), null);
            second.join();
            assertEquals(42, other.buffer().getIntVolatile(0), "the second run ran");
            assertFalse(first.isDone(), "the first run is still waiting for the flag");

            flag.buffer().putIntVolatile(0, 1);
            first.join();
            assertTrue(first.isDone());
            assertEquals(1, log.buffer().getInt(0));
            assertEquals(41, log.buffer().getInt(Integer.BYTES));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    void aLaterRunsWriteWaitsForAnEarlierRunsWrite(final WorkerMode mode)
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(mode).subWorkers(2)))
        {
            final int await = worker.register(Kernels.AWAIT_FLAG_THEN_COPY_OR_APPEND);
            final int append = worker.register(Kernels.APPEND_TO_LOG);
            final Tensor flag = worker.sharedTensor(DataType.INT32, 1);
            final Tensor log = worker.sharedTensor(DataType.INT32, 4);

            final RunHandle first = worker.submit((orch, unused) ->
                orch.submitSub(await, new TaskArgs().noDep(flag).inout(log).addScalar(1)), null);
            final RunHandle second = worker.submit((orch, unused) ->
                orch.submitSub(append, new TaskArgs().inout(log).addScalar(2)), null);
            assertFalse(second.join(Duration.ofMillis(200)),
                "the second run's append waits for the first run's, which waits for the flag");

            flag.buffer().putIntVolatile(0, 1);
            second.join();
            assertTrue(first.isDone(), "the second run finished after the task it waited for");
            assertEquals(2, log.buffer().getInt(0));
            assertEquals(1, log.buffer().getInt(Integer.BYTES), "the first run appended first");
            assertEquals(2, log.buffer().getInt(2 * Integer.BYTES));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    void aLaterRunsWriteWaitsForAnEarlierRunsRead(final WorkerMode mode)
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(mode).subWorkers(2)))
        {
            final int awaitCopy = worker.register(Kernels.AWAIT_FLAG_THEN_COPY_OR_APPEND);
            final int put = worker.register(Kernels.PUT_SCALAR);
            final Tensor flag = worker.sharedTensor(DataType.INT32, 1);
            final Tensor x = worker.sharedTensor(DataType.INT32, 1);
            final Tensor copy = worker.sharedTensor(DataType.INT32, 1);
            x.buffer().putInt(0, 5);

            final RunHandle reads = worker.submit((orch, unused) ->
                orch.submitSub(awaitCopy, new TaskArgs().noDep(flag).input(x).outputExisting(copy)), null);
            final RunHandle overwrites = worker.submit((orch, unused) ->
                orch.submitSub(put, new TaskArgs().outputExisting(x).addScalar(99)), null);
            assertFalse(overwrites.join(Duration.ofMillis(200)), "the overwrite waits for the earlier run's read");

            flag.buffer().putIntVolatile(0, 1);
            overwrites.join();
            reads.join();
            assertEquals(5, copy.buffer().getInt(0), "the earlier run read x before the later run overwrote it");
            assertEquals(99, x.buffer().getInt(0));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    void manyRunsInFlightAppendInSubmissionOrder(final WorkerMode mode)
    {
        final int runs = 300;
        try (Worker worker = TestWorkers.start(TestWorkers.builder(mode).subWorkers(2).maxRunsInFlight(3)))
        {
            final int append = worker.register(Kernels.APPEND_TO_LOG);
            final int put = worker.register(Kernels.PUT_SCALAR);
            final Tensor log = worker.sharedTensor(DataType.INT32, runs + 1);
            final Tensor scratch = worker.sharedTensor(DataType.INT32, 16);
            final List<RunHandle> handles = new ArrayList<>();
            for (int i = 0; i < runs; i++)
            {
                final int value = i;
                handles.add(worker.submit((orch, unused) ->
                {
                    // An independent task first, so runs also finish out of order.
                    orch.submitSub(put, new TaskArgs().outputExisting(scratch.view(4L * (value % 16), DataType.INT32,
                        1)).addScalar(value));
                    orch.submitSub(append, new TaskArgs().inout(log).addScalar(value));
                }, null));
            }
            for (int i = runs - 1; i >= 0; i--)
            {
                handles.get(i).join();
            }
            assertEquals(runs, log.buffer().getInt(0));
            for (int i = 0; i < runs; i++)
            {
                assertEquals(i, log.buffer().getInt(Integer.BYTES * (1 + i)), "entry " + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    void aFailedRunsHandleThrowsAndTheNextRunsDoesNot(final WorkerMode mode)
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(mode).subWorkers(1)))
        {
            final int fail = worker.register(Kernels.FAIL);
            final int put = worker.register(Kernels.PUT_SCALAR);
            final Tensor out = worker.sharedTensor(DataType.INT32, 1);

            final RunHandle failing = worker.submit((orch, unused) ->
                orch.submitSub(fail, new TaskArgs().addScalar(17)), null);
            final RunHandle next = worker.submit((orch, unused) ->
                orch.submitSub(put, new TaskArgs().outputExisting(out).addScalar(3)), null);

            next.join();
            assertEquals(3, out.buffer().getInt(0));
            final TaskFailedException ex = assertThrows(TaskFailedException.class, failing::join);
            assertTrue(ex.getMessage().contains("planned failure 17"), ex.getMessage());
            assertThrows(TaskFailedException.class, failing::join, "joining again throws again");
            assertTrue(failing.isDone());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    void theFutureOfAFailedRunCompletesExceptionallyWithTheTaskFailedExceptionWithoutAJoin(final WorkerMode mode)
        throws Exception
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(mode).subWorkers(1)))
        {
            final int fail = worker.register(Kernels.FAIL);
            final CompletableFuture<Void> future = worker.submit((orch, unused) ->
                orch.submitSub(fail, new TaskArgs().addScalar(23)), null).toCompletableFuture();
            final ExecutionException ex = assertThrows(ExecutionException.class,
                () -> future.get(TestWorkers.LATCH_SECONDS, TimeUnit.SECONDS));
            final TaskFailedException failure = assertInstanceOf(TaskFailedException.class, ex.getCause());
            assertTrue(failure.getMessage().contains("planned failure 23"), failure.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    void theFutureOfASuccessfulRunCompletesWithoutAJoin(final WorkerMode mode) throws Exception
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(mode).subWorkers(1)))
        {
            final int put = worker.register(Kernels.PUT_SCALAR);
            final Tensor out = worker.sharedTensor(DataType.INT32, 1);
            final RunHandle handle = worker.submit((orch, unused) ->
                orch.submitSub(put, new TaskArgs().outputExisting(out).addScalar(8)), null);
            final CountDownLatch dependentRan = new CountDownLatch(1);
            handle.toCompletableFuture().thenRun(dependentRan::countDown);
            TestWorkers.await(dependentRan);
            assertNull(handle.toCompletableFuture().get(TestWorkers.LATCH_SECONDS, TimeUnit.SECONDS));
            assertSame(handle.toCompletableFuture(), handle.toCompletableFuture());
            assertTrue(handle.isDone());
            assertEquals(8, out.buffer().getInt(0));
        }
    }

    @Test
    void submitWaitsForTheOldestRunWhenMaxRunsInFlightAreInFlight() throws Exception
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(2)
            .maxRunsInFlight(1)))
        {
            final int await = worker.register(Kernels.AWAIT_FLAG_THEN_COPY_OR_APPEND);
            final int put = worker.register(Kernels.PUT_SCALAR);
            final Tensor flag = worker.sharedTensor(DataType.INT32, 1);
            final Tensor log = worker.sharedTensor(DataType.INT32, 4);
            final Tensor out = worker.sharedTensor(DataType.INT32, 1);

            final RunHandle first = worker.submit((orch, unused) ->
                orch.submitSub(await, new TaskArgs().noDep(flag).inout(log).addScalar(1)), null);
            final Thread raiser = new Thread(() -> flag.buffer().putIntVolatile(0, 1));
            raiser.start();
            final AtomicBoolean firstDoneWhenSecondStarted = new AtomicBoolean();
            final RunHandle second = worker.submit((orch, unused) ->
            {
                firstDoneWhenSecondStarted.set(first.isDone());
                orch.submitSub(put, new TaskArgs().outputExisting(out).addScalar(2));
            }, null);
            second.join();
            raiser.join();
            assertTrue(firstDoneWhenSecondStarted.get(), "with one run in flight, submit waited for the first");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    void aJoinWithATimeoutReturnsFalseWhileTheRunIsInFlight(final WorkerMode mode)
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(mode).subWorkers(1)))
        {
            final int await = worker.register(Kernels.AWAIT_FLAG_THEN_COPY_OR_APPEND);
            final Tensor flag = worker.sharedTensor(DataType.INT32, 1);
            final Tensor log = worker.sharedTensor(DataType.INT32, 4);
            final RunHandle handle = worker.submit((orch, unused) ->
                orch.submitSub(await, new TaskArgs().noDep(flag).inout(log).addScalar(1)), null);
            assertFalse(handle.join(Duration.ofMillis(20)));
            assertFalse(handle.join(Duration.ZERO));
            flag.buffer().putIntVolatile(0, 1);
            assertTrue(handle.join(Duration.ofSeconds(TestWorkers.LATCH_SECONDS)));
        }
    }

    @Test
    void aHandleIsJoinedFromAnotherThreadWhileTheSubmittingThreadBuildsTheNextRun() throws Exception
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final int await = worker.register(Kernels.AWAIT_FLAG_THEN_COPY_OR_APPEND);
            final int put = worker.register(Kernels.PUT_SCALAR);
            final Tensor flag = worker.sharedTensor(DataType.INT32, 1);
            final Tensor log = worker.sharedTensor(DataType.INT32, 4);
            final Tensor out = worker.sharedTensor(DataType.INT32, 1);
            final RunHandle first = worker.submit((orch, unused) ->
                orch.submitSub(await, new TaskArgs().noDep(flag).inout(log).addScalar(1)), null);

            final AtomicReference<Throwable> joinError = new AtomicReference<>();
            final CountDownLatch joined = new CountDownLatch(1);
            final Thread joiner = new Thread(() ->
            {
                try
                {
                    first.join();
                }
                catch (final Throwable ex)
                {
                    joinError.set(ex);
                }
                joined.countDown();
            });
            joiner.start();
            worker.run((orch, unused) ->
            {
                // The submitting thread holds the engine while it builds this run; the joiner waits meanwhile.
                flag.buffer().putIntVolatile(0, 1);
                orch.submitSub(put, new TaskArgs().outputExisting(out).addScalar(5));
            }, null);
            TestWorkers.await(joined);
            joiner.join();
            assertNull(joinError.get());
            assertEquals(1, log.buffer().getInt(Integer.BYTES));
            assertEquals(5, out.buffer().getInt(0));
        }
    }

    @Test
    void anEarlierRunCanBeJoinedInsideALaterRunsOrchestrationFunction()
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(1)))
        {
            final int put = worker.register(Kernels.PUT_SCALAR);
            final int copy = worker.register(Kernels.COPY);
            final Tensor x = worker.sharedTensor(DataType.INT32, 1);
            final Tensor y = worker.sharedTensor(DataType.INT32, 1);
            final RunHandle first = worker.submit((orch, unused) ->
                orch.submitSub(put, new TaskArgs().outputExisting(x).addScalar(12)), null);
            worker.run((orch, unused) ->
            {
                first.join();
                assertEquals(12, x.buffer().getInt(0), "the earlier run finished inside the join");
                orch.submitSub(copy, new TaskArgs().input(x).outputExisting(y));
            }, null);
            assertEquals(12, y.buffer().getInt(0));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    void closeWaitsForARunInFlightThatFinishes(final WorkerMode mode) throws Exception
    {
        final RunHandle handle;
        final Thread raiser;
        try (Worker worker = TestWorkers.start(TestWorkers.builder(mode).subWorkers(1)))
        {
            final int await = worker.register(Kernels.AWAIT_FLAG_THEN_COPY_OR_APPEND);
            final Tensor flag = worker.sharedTensor(DataType.INT32, 1);
            final Tensor shared = worker.sharedTensor(DataType.INT32, 4);
            handle = worker.submit((orch, unused) ->
                orch.submitSub(await, new TaskArgs().noDep(flag).inout(shared).addScalar(9)), null);
            raiser = new Thread(() -> flag.buffer().putIntVolatile(0, 1));
            raiser.start();
            worker.close();
            assertTrue(handle.isDone(), "close returned after the run finished");
        }
        raiser.join();
        handle.join();
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    void theOrchestrationFunctionsExceptionIsThrownByJoinAfterItsTasksRan(final WorkerMode mode)
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(mode).subWorkers(1)))
        {
            final int put = worker.register(Kernels.PUT_SCALAR);
            final Tensor out = worker.sharedTensor(DataType.INT32, 1);
            final RunHandle handle = worker.submit((orch, unused) ->
            {
                orch.submitSub(put, new TaskArgs().outputExisting(out).addScalar(4));
                throw new IllegalArgumentException("bad graph");
            }, null);
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, handle::join);
            assertEquals("bad graph", ex.getMessage());
            assertEquals(4, out.buffer().getInt(0), "the task submitted before the exception ran");
        }
    }

    @Test
    void submitBeforeInitAndAfterCloseThrowIllegalStateException()
    {
        final Worker worker = TestWorkers.builder(WorkerMode.THREAD).subWorkers(1).build();
        assertThrows(IllegalStateException.class, () -> worker.submit((orch, unused) -> { }, null));
        worker.init();
        worker.submit((orch, unused) -> { }, null).join();
        worker.close();
        assertThrows(IllegalStateException.class, () -> worker.submit((orch, unused) -> { }, null));
    }

    @Test
    void maxRunsInFlightOutsideItsRangeIsRejectedNamingTheValue()
    {
        final IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
            () -> Worker.builder().maxRunsInFlight(0));
        assertTrue(zero.getMessage().contains("runs=0"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Worker.builder().maxRunsInFlight(1025));
    }

    @Test
    void orchestrationHandlesAreAStableHashOfTheName()
    {
        // FNV-1a, 64 bits: the published test vectors.
        assertEquals(0xaf63dc4c8601ec8cL, Worker.orchestrationHandle("a"));
        assertEquals(0x85944171f73967e8L, Worker.orchestrationHandle("foobar"));
        assertNotEquals(Worker.orchestrationHandle("split-add"), Worker.orchestrationHandle("split-adD"));
        assertThrows(IllegalArgumentException.class, () -> Worker.orchestrationHandle(""));
    }

    @Test
    void aNameRegisteredTwiceIsRejected()
    {
        try (Worker worker = TestWorkers.builder(WorkerMode.THREAD).subWorkers(1).build())
        {
            final long handle = worker.registerOrchestration("step", (orch, args) -> { });
            assertEquals(Worker.orchestrationHandle("step"), handle);
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> worker.registerOrchestration("step", (orch, args) -> { }));
            assertTrue(ex.getMessage().contains("\"step\""), ex.getMessage());
        }
    }
}
