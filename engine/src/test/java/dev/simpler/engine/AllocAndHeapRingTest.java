package dev.simpler.engine;

import static dev.simpler.engine.TestWorkers.RING_BYTES;
import static dev.simpler.engine.TestWorkers.await;
import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static dev.simpler.engine.TwoTaskProbe.assertSecondRunsWhileFirstRuns;
import static dev.simpler.engine.TwoTaskProbe.secondStartedAfterFirstFinished;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code alloc}, allocated OUTPUTs and the heap rings: alignment, patching, reclamation, back-pressure and
 * exhaustion (SPEC §3 alloc, §3 step 1, §4).
 */
@SuppressWarnings("try") // scopes are opened in try-with-resources for their extent, as SPEC §3 shows
class AllocAndHeapRingTest
{
    private static final int KIB = 1024;
    private static final int ITERATIONS = 20;

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void allocReturnsAlignedTensorsOfRequestedShapeThatDoNotOverlap(final WorkerMode mode)
    {
        final List<Tensor> tensors = new ArrayList<>();
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            final int touch = worker.register(Kernels.TOUCH);
            worker.run((orch, ignored) ->
            {
                tensors.add(orch.alloc(DataType.UINT8, 3));
                tensors.add(orch.alloc(DataType.FLOAT32, 7, 5));
                tensors.add(orch.alloc(DataType.INT64, 1, 2, 3, 4, 5));
                tensors.add(orch.alloc(DataType.INT16, 1025));
                tensors.add(orch.alloc(DataType.BFLOAT16, 1));
                for (final Tensor t : tensors)
                {
                    orch.submitSub(touch, new TaskArgs().inout(t));
                }
            }, null);
        }

        assertShape(tensors.get(0), DataType.UINT8, 3);
        assertShape(tensors.get(1), DataType.FLOAT32, 7, 5);
        assertShape(tensors.get(2), DataType.INT64, 1, 2, 3, 4, 5);
        assertShape(tensors.get(3), DataType.INT16, 1025);
        assertShape(tensors.get(4), DataType.BFLOAT16, 1);
        assertDisjoint(tensors);
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void consumerOfAllocatedBufferRunsWithoutAnyWriter(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            final int count = worker.register(Kernels.COUNT_RUN);
            final Tensor counters = worker.sharedTensor(DataType.INT32, 2);
            Kernels.zero(counters);

            worker.run((orch, ignored) ->
            {
                final Tensor x = orch.alloc(DataType.FLOAT32, 64);
                orch.submitSub(count, new TaskArgs().noDep(counters).input(x).addScalar(0));
                orch.submitSub(count, new TaskArgs().noDep(counters).inout(x).addScalar(1));
            }, null);

            assertEquals(1, counters.buffer().getInt(0), "runs of the INPUT consumer");
            assertEquals(1, counters.buffer().getInt(Integer.BYTES), "runs of the INOUT consumer");
        }
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void readersOfAllocatedBufferDoNotWaitForEachOther()
    {
        assertSecondRunsWhileFirstRuns(
            (orch, shared) -> new TaskArgs().input(orch.alloc(DataType.FLOAT32, 64)),
            (first) -> new TaskArgs().input(first.tensor(0)));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void writerOfAllocatedBufferWaitsForEarlierReader()
    {
        // Write after read (SPEC §3): the INOUT would change what the reader is still reading.
        assertTrue(secondStartedAfterFirstFinished(
            (orch, shared) -> new TaskArgs().input(orch.alloc(DataType.FLOAT32, 64)),
            (first) -> new TaskArgs().inout(first.tensor(0))));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void outputWithAddressZeroIsAllocatedAndPatchedIntoCallerArgs()
    {
        final AtomicReference<Tensor> seenByTask = new AtomicReference<>();
        final List<TaskArgs> submitted = new ArrayList<>();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(1)))
        {
            final int record = worker.register((args) -> seenByTask.set(args.tensor(1)));
            final Tensor in = worker.sharedTensor(DataType.INT32, 4);

            worker.run((orch, ignored) ->
            {
                final TaskArgs args = new TaskArgs()
                    .input(in)
                    .output(Tensor.of(0, DataType.FLOAT32, 16, 3))
                    .addScalar(5);
                orch.submitSub(record, args);
                submitted.add(args);
            }, null);
        }

        final TaskArgs args = submitted.get(0);
        final Tensor patched = args.tensor(1);
        assertNotEquals(0, patched.address(), "the OUTPUT's address in the caller's TaskArgs after submit");
        assertEquals(0, patched.address() % 1024, "alignment of " + patched);
        assertShape(patched, DataType.FLOAT32, 16, 3);
        assertEquals(TensorArgType.OUTPUT, args.tag(1));
        assertEquals(2, args.tensorCount());
        assertEquals(1, args.scalarCount());
        assertNotNull(seenByTask.get());
        assertEquals(patched.address(), seenByTask.get().address(), "address seen by the task");
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void everyAllocatedOutputOfTaskGetsItsOwnAlignedMemory(final WorkerMode mode)
    {
        final TaskArgs args = new TaskArgs()
            .output(Tensor.of(0, DataType.UINT8, 1))
            .input(Tensor.of(0, DataType.INT32, 4))
            .output(Tensor.of(0, DataType.FLOAT32, 300))
            .output(Tensor.of(0, DataType.INT64, 2, 2));
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            final int touch = worker.register(Kernels.TOUCH);
            final Tensor x = worker.sharedTensor(DataType.INT32, 4);
            args.setTensor(1, x);
            worker.run((orch, ignored) -> orch.submitSub(touch, args), null);
        }
        assertShape(args.tensor(0), DataType.UINT8, 1);
        assertShape(args.tensor(2), DataType.FLOAT32, 300);
        assertShape(args.tensor(3), DataType.INT64, 2, 2);
        assertDisjoint(List.of(args.tensor(0), args.tensor(2), args.tensor(3)));
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void allocatedOutputCarriesValuesToLaterReaders(final WorkerMode mode)
    {
        final int n = 300;
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final int fill = worker.register(Kernels.FILL_RAMP);
            final int copy = worker.register(Kernels.COPY);
            final Tensor result = worker.sharedTensor(DataType.FLOAT32, n);
            Kernels.zero(result);

            worker.run((orch, ignored) ->
            {
                final TaskArgs produce = new TaskArgs().output(Tensor.of(0, DataType.FLOAT32, n)).addFloat(2.5f);
                orch.submitSub(fill, produce);
                orch.submitSub(copy, new TaskArgs().input(produce.tensor(0)).outputExisting(result));
            }, null);

            for (int i = 0; i < n; i++)
            {
                assertEquals(i * 2.5f, result.buffer().getFloat(i * Float.BYTES), "element " + i);
            }
        }
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void laterInputOfAllocatedOutputWaitsForItsWriter()
    {
        assertTrue(secondStartedAfterFirstFinished(
            (orch, shared) -> new TaskArgs().output(Tensor.of(0, DataType.INT32, 256)),
            (first) -> new TaskArgs().input(first.tensor(0))));
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void allocatedMemoryIsReclaimedOnceConsumersCompletedAndScopeEnded(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final int touch = worker.register(Kernels.TOUCH);
            worker.run((orch, ignored) ->
            {
                for (int i = 0; i < ITERATIONS; i++)
                {
                    try (Scope scope = orch.scope())
                    {
                        final Tensor half = orch.alloc(DataType.UINT8, 400 * KIB);
                        orch.submitSub(touch, new TaskArgs().inout(half));
                        orch.submitSub(touch, new TaskArgs().input(half));
                    }
                }
            }, null);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void outermostScopeMemoryIsReclaimedAfterEachRun(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            final int touch = worker.register(Kernels.TOUCH);
            for (int i = 0; i < ITERATIONS; i++)
            {
                worker.run((orch, ignored) ->
                {
                    final Tensor half = orch.alloc(DataType.UINT8, 400 * KIB);
                    orch.submitSub(touch, new TaskArgs().inout(half));
                }, null);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void allocatedOutputMemoryIsReclaimedOnceConsumersCompletedAndScopeEnded(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final int touch = worker.register(Kernels.TOUCH);
            worker.run((orch, ignored) ->
            {
                for (int i = 0; i < ITERATIONS; i++)
                {
                    try (Scope scope = orch.scope())
                    {
                        final TaskArgs produce = new TaskArgs().output(Tensor.of(0, DataType.UINT8, 400 * KIB));
                        orch.submitSub(touch, produce);
                        orch.submitSub(touch, new TaskArgs().input(produce.tensor(0)));
                    }
                }
            }, null);
        }
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void fullRingBlocksAllocUntilConsumerCompletes()
    {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean consumerFinished = new AtomicBoolean();
        final AtomicBoolean consumerFinishedWhenAllocReturned = new AtomicBoolean();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(1).allocTimeout(Duration.ofSeconds(20))))
        {
            final int hold = worker.register((args) ->
            {
                await(release);
                consumerFinished.set(true);
            });

            worker.run((orch, ignored) ->
            {
                try (Scope scope = orch.scope())
                {
                    final Tensor first = orch.alloc(DataType.UINT8, 600 * KIB);
                    orch.submitSub(hold, new TaskArgs().input(first));
                }
                // The consumer can finish from now on; 600 KiB more fits the 1 MiB ring only once it has.
                release.countDown();
                try (Scope scope = orch.scope())
                {
                    orch.alloc(DataType.UINT8, 600 * KIB);
                    consumerFinishedWhenAllocReturned.set(consumerFinished.get());
                }
            }, null);
        }
        assertTrue(consumerFinishedWhenAllocReturned.get(), "alloc returned memory still held by a running consumer");
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void fullRingBlocksSubmitOfAllocatedOutputUntilReclamation()
    {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean consumerFinished = new AtomicBoolean();
        final AtomicBoolean consumerFinishedWhenSubmitReturned = new AtomicBoolean();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(2).allocTimeout(Duration.ofSeconds(20))))
        {
            final int hold = worker.register((args) ->
            {
                await(release);
                consumerFinished.set(true);
            });
            final int touch = worker.register(Kernels.TOUCH);

            worker.run((orch, ignored) ->
            {
                try (Scope scope = orch.scope())
                {
                    final TaskArgs produce = new TaskArgs().output(Tensor.of(0, DataType.UINT8, 600 * KIB));
                    orch.submitSub(touch, produce);
                    orch.submitSub(hold, new TaskArgs().input(produce.tensor(0)));
                }
                release.countDown();
                try (Scope scope = orch.scope())
                {
                    orch.submitSub(touch, new TaskArgs().output(Tensor.of(0, DataType.UINT8, 600 * KIB)));
                    consumerFinishedWhenSubmitReturned.set(consumerFinished.get());
                }
            }, null);
        }
        assertTrue(consumerFinishedWhenSubmitReturned.get(), "submit got memory still held by a running consumer");
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void fullRingFailsAfterAllocTimeoutNamingRingRequestAndFreeSpace(final WorkerMode mode)
    {
        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try (Worker worker = start(builder(mode).subWorkers(1).allocTimeout(Duration.ofMillis(200))))
        {
            final int touch = worker.register(Kernels.TOUCH);
            worker.run((orch, ignored) ->
            {
                try (Scope outer = orch.scope();
                    Scope inner = orch.scope())
                {
                    // Depth 2 uses ring 2; the open scope holds the first slab for as long as it is open.
                    final Tensor first = orch.alloc(DataType.UINT8, 600 * KIB);
                    orch.submitSub(touch, new TaskArgs().inout(first));
                    failure.set(assertThrows(RuntimeException.class, () -> orch.alloc(DataType.UINT8, 500 * KIB)));
                }
            }, null);
        }
        assertExhaustionMessage(failure.get(), 2, 500 * KIB);
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 15, threadMode = SEPARATE_THREAD)
    void allocLargerThanRingFailsAtOnce(final WorkerMode mode)
    {
        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        // The timeout is longer than the test's: only an immediate failure lets the test pass.
        try (Worker worker = start(builder(mode).subWorkers(1).allocTimeout(Duration.ofSeconds(60))))
        {
            worker.run((orch, ignored) ->
            {
                try (Scope scope = orch.scope())
                {
                    failure.set(assertThrows(
                        RuntimeException.class, () -> orch.alloc(DataType.UINT8, (int)(2 * RING_BYTES))));
                }
            }, null);
        }
        assertExhaustionMessage(failure.get(), 1, 2 * RING_BYTES);
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 15, threadMode = SEPARATE_THREAD)
    void allocatedOutputLargerThanRingFailsAtSubmit(final WorkerMode mode)
    {
        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try (Worker worker = start(builder(mode).subWorkers(1).allocTimeout(Duration.ofSeconds(60))))
        {
            final int count = worker.register(Kernels.COUNT_RUN);
            final Tensor counters = worker.sharedTensor(DataType.INT32, 1);
            Kernels.zero(counters);
            final Tensor tooLarge = Tensor.of(0, DataType.UINT8, (int)(3 * RING_BYTES));
            worker.run((orch, ignored) -> failure.set(assertThrows(RuntimeException.class,
                () -> orch.submitSub(count, new TaskArgs().noDep(counters).output(tooLarge).addScalar(0)))), null);
            assertEquals(0, counters.buffer().getInt(0), "runs of the rejected task");
        }
        assertExhaustionMessage(failure.get(), 0, 3 * RING_BYTES);
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void engineStaysUsableAfterExhaustion(final WorkerMode mode)
    {
        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try (Worker worker = start(builder(mode).subWorkers(1).allocTimeout(Duration.ofMillis(200))))
        {
            final int touch = worker.register(Kernels.TOUCH);
            worker.run((orch, ignored) ->
            {
                orch.alloc(DataType.UINT8, 700 * KIB);
                failure.set(assertThrows(RuntimeException.class, () -> orch.alloc(DataType.UINT8, 700 * KIB)));
            }, null);
            assertNotNull(failure.get());
            worker.run((orch, ignored) ->
            {
                final Tensor again = orch.alloc(DataType.UINT8, 700 * KIB);
                orch.submitSub(touch, new TaskArgs().inout(again));
            }, null);
        }
    }

    /**
     * A sub worker hands its completions back in groups, and a busy one fills its group slowly; an orchestrating
     * thread waiting for heap space must still get the completion it waits for while that worker goes on running
     * other tasks, not only when the group is full or the worker runs out of work.
     */
    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void aWaitForHeapSpaceGetsTheCompletionABusyWorkerHolds() throws InterruptedException
    {
        final int slowTasks = 70;
        final Semaphore gate = new Semaphore(0);
        final AtomicInteger finished = new AtomicInteger();
        final AtomicInteger finishedWhenSpaceCame = new AtomicInteger(-1);
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch slowTasksQueued = new CountDownLatch(1);
        // Once the slow tasks are queued, lets them through one every 5 ms, so the worker stays busy for about
        // 350 ms.
        final Thread pacer = new Thread(() ->
        {
            try
            {
                await(slowTasksQueued);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            while (!stop.get() && finished.get() < slowTasks)
            {
                LockSupport.parkNanos(5_000_000L);
                gate.release();
            }
        }, "pacer");
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(1)))
        {
            final int touch = worker.register(Kernels.TOUCH);
            // Finishes only once the slow tasks are queued behind it, so its worker does not go idle after it (an
            // idle worker hands back what it holds).
            final int touchWhenQueued = worker.register(args ->
            {
                await(slowTasksQueued);
                Kernels.TOUCH.call(args);
            });
            final int slow = worker.register(args ->
            {
                gate.acquireUninterruptibly();
                finished.incrementAndGet();
            });
            pacer.start();
            worker.run((orch, ignored) ->
            {
                // The first takes most of the ring of its scope depth, in a scope that ends at once; the last, at
                // the same depth, needs that space back, so it waits for the first to retire while the worker is
                // busy with the slow tasks.
                try (Scope first = orch.scope())
                {
                    orch.submitSub(touchWhenQueued, new TaskArgs().output(Tensor.of(0, DataType.UINT8, 700 * KIB)));
                }
                for (int i = 0; i < slowTasks; i++)
                {
                    orch.submitSub(slow, new TaskArgs());
                }
                slowTasksQueued.countDown();
                try (Scope last = orch.scope())
                {
                    orch.submitSub(touch, new TaskArgs().output(Tensor.of(0, DataType.UINT8, 700 * KIB)));
                    finishedWhenSpaceCame.set(finished.get());
                }
            }, null);
        }
        finally
        {
            stop.set(true);
            slowTasksQueued.countDown();
            pacer.join();
        }
        assertEquals(slowTasks, finished.get());
        assertTrue(finishedWhenSpaceCame.get() <= 8, "the heap space came back only after "
            + finishedWhenSpaceCame.get() + " of the " + slowTasks + " slow tasks had finished");
    }

    static void assertExhaustionMessage(final RuntimeException failure, final int ring, final long requested)
    {
        assertNotNull(failure, "no exception");
        final String message = String.valueOf(failure.getMessage());
        assertTrue(message.contains("heap ring"), "message names the heap ring: " + message);
        assertTrue(Pattern.compile("heap ring\\D{0,12}" + ring + "\\b").matcher(message).find(),
            "message names ring " + ring + ": " + message);
        assertTrue(message.contains(Long.toString(requested)),
            "message names the request " + requested + ": " + message);
        final Matcher free = Pattern.compile("(?i)free\\D{0,20}(\\d+)").matcher(message);
        assertTrue(free.find(), "message names the free space: " + message);
        final long freeBytes = Long.parseLong(free.group(1));
        assertTrue(freeBytes < requested && freeBytes <= RING_BYTES,
            "free space " + freeBytes + " in the message must be below the request " + requested + ": " + message);
    }

    private static void assertShape(final Tensor t, final DataType dtype, final int... shape)
    {
        assertNotEquals(0, t.address(), "address of " + t);
        assertEquals(0, t.address() % 1024, "1024-byte alignment of " + t);
        assertEquals(dtype, t.dtype());
        assertEquals(shape.length, t.ndims());
        long elements = 1;
        for (int i = 0; i < shape.length; i++)
        {
            assertEquals(shape[i], t.shape(i), "dim " + i + " of " + t);
            elements *= shape[i];
        }
        assertEquals(elements * dtype.elementSize(), t.nbytes());
    }

    private static void assertDisjoint(final List<Tensor> tensors)
    {
        final List<Tensor> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(Tensor::address));
        for (int i = 1; i < sorted.size(); i++)
        {
            final Tensor previous = sorted.get(i - 1);
            assertTrue(previous.address() + previous.nbytes() <= sorted.get(i).address(),
                previous + " overlaps " + sorted.get(i));
        }
    }
}
