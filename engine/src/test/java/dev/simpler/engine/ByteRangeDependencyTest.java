package dev.simpler.engine;

import static dev.simpler.engine.TensorArgType.INOUT;
import static dev.simpler.engine.TensorArgType.INPUT;
import static dev.simpler.engine.TensorArgType.NO_DEP;
import static dev.simpler.engine.TensorArgType.OUTPUT;
import static dev.simpler.engine.TensorArgType.OUTPUT_EXISTING;
import static dev.simpler.engine.TestWorkers.await;
import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static dev.simpler.engine.TwoTaskProbe.assertSecondRunsWhileFirstRuns;
import static dev.simpler.engine.TwoTaskProbe.secondStartedAfterFirstFinished;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Dependencies over byte ranges (SPEC §2.3, §2.6, §3 step 2): a task waits for every earlier task whose access
 * conflicts with its own on at least one byte (read after write, write after read, write after write), however the
 * two name those bytes (the same tensor, a view, a slice, {@code Tensor.of} at an inner address), and for nothing
 * else.
 *
 * <p>The tests that look at data run in both modes with the kernels of this class. Their first task is held: it
 * waits at a gate (a flag in shared memory) that a raise task, submitted last, opens. The held task occupies one sub
 * worker; later tasks that rightly wait leave a free worker to the raise task, while those that wrongly do not wait
 * are ready before the raise task and take the free workers first, so they read or write the bytes before the held
 * task touched them and the bytes at the end show it. So no quick task may come before the held one: it would free
 * its worker for the raise task while a wrongly ready task is still starting in a PROCESS-mode child. The tests that
 * only tell waiting from not waiting run in THREAD mode with {@link TwoTaskProbe}'s latches.
 */
@SuppressWarnings("try") // scopes are opened in try-with-resources for their extent, as SPEC §3 shows
class ByteRangeDependencyTest
{
    /** Scalar 0 of a task of this class's kernels: it waits at the gate first. */
    private static final boolean HELD = true;

    /** Scalar 0 of a task of this class's kernels: it runs at once. */
    private static final boolean FREE = false;

    private static final int READERS = 1000;
    private static final int RUNS = 12;

    /**
     * Tensor 0 (NO_DEP): the gate; tensor 1 (any write tag): every byte becomes the low byte of scalar 1. Scalar 0:
     * 1 when the task waits at the gate first.
     */
    static final SubCallable FILL_BYTES = (args) ->
    {
        awaitGateIfHeld(args);
        final Tensor target = args.tensor(1);
        target.buffer().setMemory(0, (int)target.nbytes(), (byte)args.scalar(1));
    };

    /**
     * Tensor 0 (NO_DEP): the gate; tensor 1 (read) to tensor 2 (OUTPUT_EXISTING): the destination's size in bytes,
     * copied from the start of the source. Scalar 0: 1 when the task waits at the gate first.
     */
    static final SubCallable COPY_BYTES = (args) ->
    {
        awaitGateIfHeld(args);
        final Tensor destination = args.tensor(2);
        destination.buffer().putBytes(0, args.tensor(1).buffer(), 0, (int)destination.nbytes());
    };

    /**
     * Tensor 0 (NO_DEP): the gate; INT64 tensor 1 (any write tag): element i becomes scalar 1 + i. Scalar 0: 1 when
     * the task waits at the gate first.
     */
    static final SubCallable RAMP = (args) ->
    {
        awaitGateIfHeld(args);
        final Tensor target = args.tensor(1);
        final long first = args.scalar(1);
        for (int i = 0; i < target.elementCount(); i++)
        {
            target.buffer().putLong(i * Long.BYTES, first + i);
        }
    };

    /** Tensor 0 (NO_DEP): the gate, raised. */
    static final SubCallable RAISE_GATE = (args) -> args.tensor(0).buffer().putIntVolatile(0, 1);

    /** The first task's access and the second task's, which conflicts with it on common bytes. */
    enum Hazard
    {
        READ_AFTER_WRITE(OUTPUT_EXISTING, INPUT),
        WRITE_AFTER_READ(INPUT, INOUT),
        WRITE_AFTER_WRITE(OUTPUT, OUTPUT_EXISTING);

        final TensorArgType first;
        final TensorArgType second;

        Hazard(final TensorArgType first, final TensorArgType second)
        {
            this.first = first;
            this.second = second;
        }
    }

    /**
     * The bytes the first and the second task of a probe name, within a 64-byte INT32[16] buffer, each through a
     * different way of naming inner bytes.
     */
    enum Ranges
    {
        // [16, 48) twice
        SAME_BYTES_AT_AN_INNER_ADDRESS(true,
            (x) -> x.view(16, DataType.INT32, 8),
            (x) -> Tensor.of(x.address() + 16, DataType.INT32, 8)),
        // [16, 48) twice
        SAME_BYTES_AS_ANOTHER_TYPE(true,
            (x) -> x.slice(4, 12),
            (x) -> x.view(16, DataType.INT64, 4)),
        // [0, 32), then [16, 48)
        SECOND_OVERLAPS_THE_END_OF_THE_FIRST(true,
            (x) -> x.slice(0, 8),
            (x) -> Tensor.of(x.address() + 16, DataType.INT32, 8)),
        // [32, 64), then [16, 48)
        SECOND_OVERLAPS_THE_START_OF_THE_FIRST(true,
            (x) -> x.view(32, DataType.INT32, 8),
            (x) -> x.slice(4, 12)),
        // [0, 64), then [20, 28)
        SECOND_INSIDE_THE_FIRST(true,
            (x) -> x,
            (x) -> x.view(20, DataType.INT8, 8)),
        // [24, 32), then [0, 64)
        SECOND_COVERS_THE_FIRST(true,
            (x) -> x.view(24, DataType.INT16, 4),
            (x) -> x),
        // [0, 32), then [31, 35)
        ONE_COMMON_BYTE_AT_THE_END_OF_THE_FIRST(true,
            (x) -> x.slice(0, 8),
            (x) -> Tensor.of(x.address() + 31, DataType.UINT8, 4)),
        // [32, 64), then [28, 33)
        ONE_COMMON_BYTE_AT_THE_START_OF_THE_FIRST(true,
            (x) -> x.view(32, DataType.INT32, 8),
            (x) -> Tensor.of(x.address() + 28, DataType.UINT8, 5)),
        // [0, 32), then [32, 64)
        SECOND_RIGHT_AFTER_THE_FIRST(false,
            (x) -> x.slice(0, 8),
            (x) -> Tensor.of(x.address() + 32, DataType.INT32, 8)),
        // [32, 64), then [0, 32)
        SECOND_RIGHT_BEFORE_THE_FIRST(false,
            (x) -> x.view(32, DataType.INT32, 8),
            (x) -> x.view(0, DataType.UINT8, 32)),
        // [0, 64), then no byte at 16
        SECOND_EMPTY_INSIDE_THE_FIRST(false,
            (x) -> x,
            (x) -> x.slice(4, 4));

        final boolean overlapping;
        private final UnaryOperator<Tensor> first;
        private final UnaryOperator<Tensor> second;

        Ranges(final boolean overlapping, final UnaryOperator<Tensor> first, final UnaryOperator<Tensor> second)
        {
            this.overlapping = overlapping;
            this.first = first;
            this.second = second;
        }

        /**
         * The first task's arguments: the whole buffer NO_DEP (so that the second can find it), then its range.
         *
         * @param x   the 64-byte buffer.
         * @param tag the first task's access.
         * @return the arguments.
         */
        TaskArgs first(final Tensor x, final TensorArgType tag)
        {
            return new TaskArgs().noDep(x).add(first.apply(x), tag);
        }

        /**
         * The second task's arguments, from the first's.
         *
         * @param firstArgs the first task's arguments.
         * @param tag       the second task's access.
         * @return the arguments.
         */
        TaskArgs second(final TaskArgs firstArgs, final TensorArgType tag)
        {
            return new TaskArgs().add(second.apply(firstArgs.tensor(0)), tag);
        }
    }

    @AfterEach
    void leavesNoChildAndNoFile()
    {
        TestWorkers.assertNoChildAndNoFile();
    }

    // ---- The three examples of the issue, in both modes.

    @ParameterizedTest(name = "{0}, overwritten as {1}")
    @MethodSource("modesAndWriteTags")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void readerSeesTheOldValueWhenALaterTaskOverwritesIt(final WorkerMode mode, final TensorArgType writeTag)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final Gated g = new Gated(worker);
            final Tensor x = bytes(worker, 64, 1);
            final Tensor seen = bytes(worker, 64, 0);

            worker.run((orch, ignored) ->
            {
                g.copy(orch, x, seen, HELD);
                g.fill(orch, writeTag, x, 2, FREE);
                g.raise(orch);
            }, null);

            assertBytes(seen, 0, 64, 1, "what the reader saw");
            assertBytes(x, 0, 64, 2, "x after the run");
        }
    }

    @ParameterizedTest(name = "{0}, written as {1}")
    @MethodSource("modesAndWriteTags")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void readerAfterTwoWritersSeesTheSecondValue(final WorkerMode mode, final TensorArgType writeTag)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final Gated g = new Gated(worker);
            final Tensor x = bytes(worker, 64, 0);
            final Tensor seen = bytes(worker, 64, 0);

            worker.run((orch, ignored) ->
            {
                g.fill(orch, writeTag, x, 1, HELD);
                g.fill(orch, writeTag, x, 2, FREE);
                g.copy(orch, x, seen, FREE);
                g.raise(orch);
            }, null);

            assertBytes(x, 0, 64, 2, "x after the run");
            assertBytes(seen, 0, 64, 2, "what the reader saw");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void readOfElements64To191WaitsForTheWriteOfElements0To127(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final Gated g = new Gated(worker);
            final Tensor buffer = bytes(worker, 256 * Long.BYTES, 0xFF);
            final Tensor seen = bytes(worker, 128 * Long.BYTES, 0);

            worker.run((orch, ignored) ->
            {
                g.ramp(orch, OUTPUT_EXISTING, Tensor.of(buffer.address(), DataType.INT64, 128), 1000, HELD);
                g.copy(orch, Tensor.of(buffer.address() + 512, DataType.INT64, 128), seen, FREE);
                g.raise(orch);
            }, null);

            for (int i = 0; i < 128; i++)
            {
                assertEquals(i < 64 ? 1064L + i : -1L, seen.buffer().getLong(i * Long.BYTES), "element " + (64 + i));
            }
        }
    }

    // ---- Each hazard through views, slices and inner addresses, in both modes.

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void readThroughASliceWaitsForAnOverlappingWriteThroughAView(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final Gated g = new Gated(worker);
            final Tensor x = rows(worker, 0);
            final Tensor seen = bytes(worker, 32, 9);

            worker.run((orch, ignored) ->
            {
                g.fill(orch, OUTPUT_EXISTING, x.view(8, DataType.INT8, 40), 5, HELD);
                g.copy(orch, x.slice(2, 4), seen, FREE);
                g.raise(orch);
            }, null);

            assertBytes(seen, 0, 16, 5, "bytes 32..47 seen");
            assertBytes(seen, 16, 32, 0, "bytes 48..63 seen");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void writeThroughAViewWaitsForAnOverlappingReadThroughASlice(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final Gated g = new Gated(worker);
            final Tensor x = rows(worker, 1);
            final Tensor seen = bytes(worker, 32, 0);

            worker.run((orch, ignored) ->
            {
                g.copy(orch, x.slice(0, 2), seen, HELD);
                g.fill(orch, INOUT, x.view(24, DataType.INT16, 8), 2, FREE);
                g.raise(orch);
            }, null);

            assertBytes(seen, 0, 32, 1, "bytes 0..31 seen");
            assertBytes(x, 0, 24, 1, "x");
            assertBytes(x, 24, 40, 2, "x");
            assertBytes(x, 40, 128, 1, "x");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void writeAtAnInnerAddressWaitsForAnOverlappingWriteThroughASlice(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final Gated g = new Gated(worker);
            final Tensor x = rows(worker, 0);

            worker.run((orch, ignored) ->
            {
                g.fill(orch, OUTPUT_EXISTING, x.slice(1, 3), 1, HELD);
                g.fill(orch, OUTPUT, Tensor.of(x.address() + 40, DataType.UINT8, 16), 2, FREE);
                g.raise(orch);
            }, null);

            assertBytes(x, 0, 16, 0, "x");
            assertBytes(x, 16, 40, 1, "x");
            assertBytes(x, 40, 56, 2, "x");
            assertBytes(x, 56, 128, 0, "x");
        }
    }

    // ---- Waiting or not, over every shape of overlap and every pair of tags: THREAD-mode probes.

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("hazardsOnOverlappingRanges")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void conflictingAccessOfOverlappingBytesWaitsForTheEarlierOne(final Hazard hazard, final Ranges ranges)
    {
        assertTrue(secondStartedAfterFirstFinished(
            (orch, x) -> ranges.first(x, hazard.first),
            (first) -> ranges.second(first, hazard.second)));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("hazardsOnDisjointRanges")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void accessOfDisjointBytesDoesNotWaitForTheEarlierOne(final Hazard hazard, final Ranges ranges)
    {
        assertSecondRunsWhileFirstRuns(
            (orch, x) -> ranges.first(x, hazard.first),
            (first) -> ranges.second(first, hazard.second));
    }

    @ParameterizedTest(name = "{0} then {1}")
    @MethodSource("conflictingTagPairs")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void conflictingTagsOnPartlyOverlappingBytesWait(final TensorArgType first, final TensorArgType second)
    {
        final Ranges ranges = Ranges.SECOND_OVERLAPS_THE_END_OF_THE_FIRST;
        assertTrue(secondStartedAfterFirstFinished(
            (orch, x) -> ranges.first(x, first),
            (firstArgs) -> ranges.second(firstArgs, second)));
    }

    @ParameterizedTest(name = "{0} then {1}")
    @MethodSource("compatibleTagPairs")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void compatibleTagsOnPartlyOverlappingBytesDoNotWait(final TensorArgType first, final TensorArgType second)
    {
        final Ranges ranges = Ranges.SECOND_OVERLAPS_THE_END_OF_THE_FIRST;
        assertSecondRunsWhileFirstRuns(
            (orch, x) -> ranges.first(x, first),
            (firstArgs) -> ranges.second(firstArgs, second));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void allocatedOutputDoesNotWaitForAnything()
    {
        assertSecondRunsWhileFirstRuns(
            (orch, x) -> new TaskArgs().inout(x),
            (first) -> new TaskArgs().output(Tensor.of(0, DataType.INT32, 16)));
    }

    // ---- Several tasks in flight on the bytes one task names: THREAD-mode probes.

    @ParameterizedTest(name = "lower writer finishes first: {0}")
    @ValueSource(booleans = {true, false})
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void readSpanningTwoWritersInFlightWaitsForBoth(final boolean lowerFinishesFirst)
    {
        assertTrue(lastStartedAfterBothHeldFinished(lowerFinishesFirst,
            (x) -> new TaskArgs().outputExisting(x.slice(0, 8)),
            (x) -> new TaskArgs().output(x.view(32, DataType.INT32, 8)),
            (x) -> new TaskArgs().input(Tensor.of(x.address() + 16, DataType.INT32, 8)),
            (x) -> new TaskArgs().input(x.slice(0, 2)),
            (x) -> new TaskArgs().input(x.view(56, DataType.INT32, 2))));
    }

    @ParameterizedTest(name = "lower reader finishes first: {0}")
    @ValueSource(booleans = {true, false})
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void writeOverBytesOfTwoReadersInFlightWaitsForBoth(final boolean lowerFinishesFirst)
    {
        assertTrue(lastStartedAfterBothHeldFinished(lowerFinishesFirst,
            (x) -> new TaskArgs().input(x.slice(0, 8)),
            (x) -> new TaskArgs().input(x.view(32, DataType.INT32, 8)),
            (x) -> new TaskArgs().outputExisting(Tensor.of(x.address() + 16, DataType.INT32, 8)),
            (x) -> new TaskArgs().outputExisting(x.slice(0, 2)),
            (x) -> new TaskArgs().inout(x.view(56, DataType.INT32, 2))));
    }

    // ---- Groups, in both modes.

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void groupMemberReadingBytesAnEarlierTaskWroteWaits(final WorkerMode mode)
    {
        // Three workers: the held writer takes one, and a group that did not wait would take the other two. Member 0,
        // which names other bytes, is held too, so that member 1 is done reading before a worker is free to raise.
        try (Worker worker = start(builder(mode).subWorkers(3)))
        {
            final Gated g = new Gated(worker);
            final Tensor x = bytes(worker, 64, 0);
            final Tensor other = bytes(worker, 16, 3);
            final Tensor seenOther = bytes(worker, 16, 0);
            final Tensor seen = bytes(worker, 32, 9);

            worker.run((orch, ignored) ->
            {
                g.fill(orch, OUTPUT_EXISTING, x.view(0, DataType.UINT8, 32), 5, HELD);
                orch.submitSubGroup(g.copyId, List.of(
                    g.copyArgs(other, seenOther, HELD),
                    g.copyArgs(Tensor.of(x.address() + 16, DataType.UINT8, 32), seen, FREE)));
                g.raise(orch);
            }, null);

            assertBytes(seen, 0, 16, 5, "bytes 16..31 seen by member 1");
            assertBytes(seen, 16, 32, 0, "bytes 32..47 seen by member 1");
            assertBytes(seenOther, 0, 16, 3, "what member 0 saw");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void writerAfterAGroupWaitsForTheMemberThatReadItsBytes(final WorkerMode mode)
    {
        // Two workers, both the group's: once member 1 is done, a writer that did not wait takes its worker first.
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final Gated g = new Gated(worker);
            final Tensor x = bytes(worker, 64, 1);
            final Tensor other = bytes(worker, 16, 3);
            final Tensor seenOther = bytes(worker, 16, 0);
            final Tensor seen = bytes(worker, 32, 0);

            worker.run((orch, ignored) ->
            {
                orch.submitSubGroup(g.copyId, List.of(
                    g.copyArgs(x.slice(0, 32), seen, HELD),
                    g.copyArgs(other, seenOther, FREE)));
                g.fill(orch, OUTPUT_EXISTING, Tensor.of(x.address() + 16, DataType.UINT8, 32), 2, FREE);
                g.raise(orch);
            }, null);

            assertBytes(seen, 0, 32, 1, "what member 0 saw");
            assertBytes(x, 0, 16, 1, "x");
            assertBytes(x, 16, 48, 2, "x");
            assertBytes(x, 48, 64, 1, "x");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void groupWhoseMembersNameOverlappingBytesRunsEachMemberOnce(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final int count = worker.register(Kernels.COUNT_RUN);
            final Tensor counters = worker.sharedTensor(DataType.INT32, 3);
            final Tensor x = worker.sharedTensor(DataType.INT32, 16);
            Kernels.zero(counters);

            worker.run((orch, ignored) ->
            {
                orch.submitSubGroup(count, List.of(
                    new TaskArgs().noDep(counters)
                        .outputExisting(x.slice(0, 8))
                        .input(Tensor.of(x.address() + 40, DataType.INT32, 2))
                        .addScalar(0),
                    new TaskArgs().noDep(counters)
                        .input(Tensor.of(x.address() + 16, DataType.INT32, 8))
                        .inout(x.view(24, DataType.INT8, 16))
                        .addScalar(1)));
                orch.submitSub(count, new TaskArgs().noDep(counters).input(x).addScalar(2));
            }, null);

            assertEquals(1, counters.buffer().getInt(0), "runs of member 0");
            assertEquals(1, counters.buffer().getInt(Integer.BYTES), "runs of member 1");
            assertEquals(1, counters.buffer().getInt(2 * Integer.BYTES), "runs of the reader after the group");
        }
    }

    // ---- Allocated buffers and their views, in both modes.

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void readThroughAViewOfAnAllocatedBufferSeesWhatAWriteThroughAnotherViewWrote(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final Gated g = new Gated(worker);
            final Tensor seen = bytes(worker, 64, 9);

            worker.run((orch, ignored) ->
            {
                final Tensor a = orch.alloc(DataType.UINT8, 256);
                g.fill(orch, INOUT, a, 0, HELD);
                g.fill(orch, INOUT, a.view(0, DataType.UINT8, 96), 7, FREE);
                g.copy(orch, a.slice(64, 128), seen, FREE);
                g.raise(orch);
            }, null);

            assertBytes(seen, 0, 32, 7, "bytes 64..95 seen");
            assertBytes(seen, 32, 64, 0, "bytes 96..127 seen");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void viewOfAnAllocatedBufferNamedAfterItsScopeClosedSeesTheWriteOfATaskStillInFlight(final WorkerMode mode)
    {
        // The writer is still held when the reader is submitted, so the buffer is alive then (SPEC §3 alloc), and
        // the reader keeps it alive until it completed.
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final Gated g = new Gated(worker);
            final Tensor seen = bytes(worker, 64, 9);

            worker.run((orch, ignored) ->
            {
                final Tensor late;
                try (Scope inner = orch.scope())
                {
                    final Tensor a = orch.alloc(DataType.UINT8, 256);
                    g.fill(orch, INOUT, a, 0, HELD);
                    g.fill(orch, INOUT, a.view(0, DataType.UINT8, 96), 7, FREE);
                    late = a.slice(64, 128);
                }
                g.copy(orch, late, seen, FREE);
                g.raise(orch);
            }, null);

            assertBytes(seen, 0, 32, 7, "bytes 64..95 seen");
            assertBytes(seen, 32, 64, 0, "bytes 96..127 seen");
        }
    }

    // ---- Across runs, and many readers, in both modes.

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 120, threadMode = SEPARATE_THREAD)
    void writerOfALaterRunDoesNotHangOnReadersOfEarlierRuns(final WorkerMode mode)
    {
        final TensorArgType[] writeTags = {OUTPUT_EXISTING, INOUT, OUTPUT};
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final Gated g = new Gated(worker);
            final Tensor x = bytes(worker, 64, 0);
            final Tensor seen = bytes(worker, RUNS * 64, 0xEE);

            for (int run = 0; run < RUNS; run++)
            {
                final int value = run + 1;
                final TensorArgType writeTag = writeTags[run % writeTags.length];
                final Tensor seenBefore = seen.view(run * 64L, DataType.UINT8, 32);
                final Tensor seenAfter = seen.view(run * 64L + 32, DataType.UINT8, 32);
                g.lower();

                worker.run((orch, ignored) ->
                {
                    g.copy(orch, Tensor.of(x.address() + 16, DataType.UINT8, 32), seenBefore, HELD);
                    g.fill(orch, writeTag, x.slice(0, 48), value, FREE);
                    g.copy(orch, x.view(32, DataType.UINT8, 32), seenAfter, FREE);
                    g.raise(orch);
                }, null);

                assertBytes(seenBefore, 0, 32, run, "run " + run + ": bytes 16..47 before the write");
                assertBytes(seenAfter, 0, 16, value, "run " + run + ": bytes 32..47 after the write");
                assertBytes(seenAfter, 16, 32, 0, "run " + run + ": bytes 48..63 after the write");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 120, threadMode = SEPARATE_THREAD)
    void writerAfterAThousandReadersWaitsForEveryOneOfThem(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final Gated g = new Gated(worker);
            final Tensor x = bytes(worker, 16 * Integer.BYTES, 1);
            final Tensor seen = bytes(worker, READERS * Integer.BYTES, 0);

            worker.run((orch, ignored) ->
            {
                for (int i = 0; i < READERS; i++)
                {
                    final int first = i % 16;
                    g.copy(orch, x.view(first * Integer.BYTES, DataType.INT32, 16 - first),
                        seen.view((long)i * Integer.BYTES, DataType.INT32, 1), i == 0 ? HELD : FREE);
                }
                g.fill(orch, OUTPUT_EXISTING, x, 2, FREE);
                g.raise(orch);
            }, null);

            for (int i = 0; i < READERS; i++)
            {
                assertEquals(0x01010101, seen.buffer().getInt(i * Integer.BYTES), "what reader " + i + " saw");
            }
            assertBytes(x, 0, 16 * Integer.BYTES, 2, "x after the run");
        }
    }

    // ---- Helpers.

    static Stream<Arguments> modesAndWriteTags()
    {
        return TestWorkers.modes().flatMap((mode) ->
            Stream.of(OUTPUT, OUTPUT_EXISTING, INOUT).map((tag) -> Arguments.of(mode, tag)));
    }

    static Stream<Arguments> hazardsOnOverlappingRanges()
    {
        return hazardsOn(true);
    }

    static Stream<Arguments> hazardsOnDisjointRanges()
    {
        return hazardsOn(false);
    }

    static Stream<Arguments> conflictingTagPairs()
    {
        return tagPairs(true);
    }

    static Stream<Arguments> compatibleTagPairs()
    {
        return tagPairs(false);
    }

    private static Stream<Arguments> hazardsOn(final boolean overlapping)
    {
        return Arrays.stream(Hazard.values()).flatMap((hazard) -> Arrays.stream(Ranges.values())
            .filter((ranges) -> ranges.overlapping == overlapping)
            .map((ranges) -> Arguments.of(hazard, ranges)));
    }

    /** Pairs of tags whose accesses conflict on common bytes (SPEC §3 step 2), or that do not. */
    private static Stream<Arguments> tagPairs(final boolean conflicting)
    {
        final TensorArgType[] tags = TensorArgType.values();
        return Arrays.stream(tags).flatMap((first) -> Arrays.stream(tags)
            .filter((second) -> conflict(first, second) == conflicting)
            .map((second) -> Arguments.of(first, second)));
    }

    private static boolean conflict(final TensorArgType first, final TensorArgType second)
    {
        return first != NO_DEP && second != NO_DEP && (first != INPUT || second != INPUT);
    }

    /**
     * Whether the last of three tasks started only after both earlier ones finished while all three were in flight.
     * Two sub workers, both taken at first by the two held tasks; the last task is submitted behind them, then a
     * follower that conflicts with only the held task to finish first. The orchestration function releases that
     * task, waits until the follower ran (so the engine has seen it complete, and a last task that waited for it
     * alone was released with the follower and submitted before it), and only then releases the other held task.
     *
     * @param lowerFirst      whether the lower held task finishes first.
     * @param lower           the lower held task's arguments, from the 64-byte INT32[16] buffer.
     * @param upper           the upper held task's arguments.
     * @param last            the last task's arguments.
     * @param followerOfLower the follower's arguments when the lower task finishes first.
     * @param followerOfUpper the follower's arguments when the upper task finishes first.
     * @return true when the last task saw both held tasks finished.
     */
    private static boolean lastStartedAfterBothHeldFinished(
        final boolean lowerFirst,
        final Function<Tensor, TaskArgs> lower,
        final Function<Tensor, TaskArgs> upper,
        final Function<Tensor, TaskArgs> last,
        final Function<Tensor, TaskArgs> followerOfLower,
        final Function<Tensor, TaskArgs> followerOfUpper)
    {
        final CountDownLatch releaseLower = new CountDownLatch(1);
        final CountDownLatch releaseUpper = new CountDownLatch(1);
        final CountDownLatch followerRan = new CountDownLatch(1);
        final AtomicBoolean lowerFinished = new AtomicBoolean();
        final AtomicBoolean upperFinished = new AtomicBoolean();
        final AtomicBoolean lastSawBothFinished = new AtomicBoolean();
        final AtomicInteger lastRuns = new AtomicInteger();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final int lowerId = worker.register((args) ->
            {
                await(releaseLower);
                lowerFinished.set(true);
            });
            final int upperId = worker.register((args) ->
            {
                await(releaseUpper);
                upperFinished.set(true);
            });
            final int lastId = worker.register((args) ->
            {
                lastRuns.incrementAndGet();
                lastSawBothFinished.set(lowerFinished.get() && upperFinished.get());
            });
            final int followerId = worker.register((args) -> followerRan.countDown());
            final Tensor x = worker.sharedTensor(DataType.INT32, 16);

            worker.run((orch, ignored) ->
            {
                orch.submitSub(lowerId, lower.apply(x));
                orch.submitSub(upperId, upper.apply(x));
                orch.submitSub(lastId, last.apply(x));
                orch.submitSub(followerId, (lowerFirst ? followerOfLower : followerOfUpper).apply(x));
                (lowerFirst ? releaseLower : releaseUpper).countDown();
                await(followerRan);
                (lowerFirst ? releaseUpper : releaseLower).countDown();
            }, null);
        }
        assertEquals(1, lastRuns.get(), "runs of the last task");
        return lastSawBothFinished.get();
    }

    /** A UINT8 shared tensor of {@code n} bytes, each {@code value}. */
    private static Tensor bytes(final Worker worker, final int n, final int value)
    {
        final Tensor t = worker.sharedTensor(DataType.UINT8, n);
        t.buffer().setMemory(0, n, (byte)value);
        return t;
    }

    /** An INT32[8][4] shared tensor (8 rows of 16 bytes), each byte {@code value}. */
    private static Tensor rows(final Worker worker, final int value)
    {
        final Tensor t = worker.sharedTensor(DataType.INT32, 8, 4);
        t.buffer().setMemory(0, (int)t.nbytes(), (byte)value);
        return t;
    }

    private static void assertBytes(final Tensor t, final int from, final int to, final int value, final String what)
    {
        for (int i = from; i < to; i++)
        {
            assertEquals((byte)value, t.buffer().getByte(i), what + ", byte " + i);
        }
    }

    private static void awaitGateIfHeld(final TaskArgsView args)
    {
        if (args.scalar(0) == 0)
        {
            return;
        }
        final UnsafeBuffer gate = args.tensor(0).buffer();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TestWorkers.LATCH_SECONDS);
        while (gate.getIntVolatile(0) == 0)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("the gate was not raised within " + TestWorkers.LATCH_SECONDS + " s");
            }
            Thread.yield();
        }
    }

    /** This class's kernels registered on one engine, and the engine's gate. */
    private static final class Gated
    {
        final int fillId;
        final int copyId;
        final int rampId;
        final int raiseId;
        final Tensor gate;

        Gated(final Worker worker)
        {
            fillId = worker.register(FILL_BYTES);
            copyId = worker.register(COPY_BYTES);
            rampId = worker.register(RAMP);
            raiseId = worker.register(RAISE_GATE);
            gate = worker.sharedTensor(DataType.INT32, 1);
            lower();
        }

        /** Close the gate again, between runs. */
        void lower()
        {
            gate.buffer().putIntVolatile(0, 0);
        }

        void fill(final Orchestrator orch, final TensorArgType tag, final Tensor target, final int value,
            final boolean held)
        {
            orch.submitSub(fillId, new TaskArgs().noDep(gate).add(target, tag)
                .addScalar(held ? 1 : 0).addScalar(value));
        }

        void ramp(final Orchestrator orch, final TensorArgType tag, final Tensor target, final int first,
            final boolean held)
        {
            orch.submitSub(rampId, new TaskArgs().noDep(gate).add(target, tag)
                .addScalar(held ? 1 : 0).addScalar(first));
        }

        void copy(final Orchestrator orch, final Tensor source, final Tensor destination, final boolean held)
        {
            orch.submitSub(copyId, copyArgs(source, destination, held));
        }

        TaskArgs copyArgs(final Tensor source, final Tensor destination, final boolean held)
        {
            return new TaskArgs().noDep(gate).input(source).outputExisting(destination).addScalar(held ? 1 : 0);
        }

        void raise(final Orchestrator orch)
        {
            orch.submitSub(raiseId, new TaskArgs().noDep(gate));
        }
    }
}
