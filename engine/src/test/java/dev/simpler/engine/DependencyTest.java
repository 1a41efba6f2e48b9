package dev.simpler.engine;

import static dev.simpler.engine.TestWorkers.await;
import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static dev.simpler.engine.TwoTaskProbe.assertSecondRunsWhileFirstRuns;
import static dev.simpler.engine.TwoTaskProbe.secondStartedAfterFirstFinished;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dependency inference from addresses and tags (SPEC §2.3, §3 steps 2–4), on tensors that name the same bytes:
 * a read waits for the previous writer, a write for the previous writer and for earlier readers. Partly overlapping
 * byte ranges are in {@link ByteRangeDependencyTest}.
 */
class DependencyTest
{
    private static final int CHAIN_LENGTH = 200;

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void inputWaitsForPreviousWriterOfSameAddress()
    {
        assertTrue(secondStartedAfterFirstFinished(
            (orch, x) -> new TaskArgs().output(x),
            (first) -> new TaskArgs().input(first.tensor(0))));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void inoutWaitsForPreviousWriterOfSameAddress()
    {
        assertTrue(secondStartedAfterFirstFinished(
            (orch, x) -> new TaskArgs().output(x),
            (first) -> new TaskArgs().inout(first.tensor(0))));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void inputWaitsForPreviousInoutWriter()
    {
        assertTrue(secondStartedAfterFirstFinished(
            (orch, x) -> new TaskArgs().inout(x),
            (first) -> new TaskArgs().input(first.tensor(0))));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void inputWaitsForPreviousOutputExistingWriter()
    {
        assertTrue(secondStartedAfterFirstFinished(
            (orch, x) -> new TaskArgs().outputExisting(x),
            (first) -> new TaskArgs().input(first.tensor(0))));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void inputWaitsForWriterNamedAmongOtherTensors()
    {
        assertTrue(secondStartedAfterFirstFinished(
            (orch, x) -> new TaskArgs()
                .input(orch.alloc(DataType.INT32, 4))
                .output(x)
                .addScalar(1),
            (first) -> new TaskArgs()
                .noDep(first.tensor(0))
                .input(first.tensor(0))
                .input(first.tensor(1))));
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void inoutChainRunsStrictlyInSubmissionOrderOnSeveralWorkers(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(4)))
        {
            final int append = worker.register(Kernels.APPEND_TO_LOG);
            final Tensor log = worker.sharedTensor(DataType.INT32, 1 + CHAIN_LENGTH);
            Kernels.zero(log);

            worker.run((orch, ignored) ->
            {
                for (int i = 0; i < CHAIN_LENGTH; i++)
                {
                    orch.submitSub(append, new TaskArgs().inout(log).addScalar(i));
                }
            }, null);

            assertEquals(CHAIN_LENGTH, log.buffer().getInt(0), "entries in the log");
            for (int i = 0; i < CHAIN_LENGTH; i++)
            {
                assertEquals(i, log.buffer().getInt(Integer.BYTES * (1 + i)), "log entry " + i);
            }
        }
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void outputExistingWaitsForPreviousWriterOfSameAddress()
    {
        assertTrue(secondStartedAfterFirstFinished(
            (orch, x) -> new TaskArgs().output(x),
            (first) -> new TaskArgs().outputExisting(first.tensor(0))));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void noDepNeverWaitsForPreviousWriter()
    {
        assertSecondRunsWhileFirstRuns(
            (orch, x) -> new TaskArgs().output(x),
            (first) -> new TaskArgs().noDep(first.tensor(0)));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void noDepIsNeverRecordedAsWriter()
    {
        assertSecondRunsWhileFirstRuns(
            (orch, x) -> new TaskArgs().noDep(x),
            (first) -> new TaskArgs().input(first.tensor(0)));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void outputAtNonZeroAddressWaitsForPreviousWriterOfSameAddress()
    {
        assertTrue(secondStartedAfterFirstFinished(
            (orch, x) -> new TaskArgs().output(x),
            (first) -> new TaskArgs().output(first.tensor(0))));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void readersOfSameAddressDoNotWaitForEachOther()
    {
        assertSecondRunsWhileFirstRuns(
            (orch, x) -> new TaskArgs().input(x),
            (first) -> new TaskArgs().input(first.tensor(0)));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void inoutWaitsForEarlierReaderOfSameAddress()
    {
        assertTrue(secondStartedAfterFirstFinished(
            (orch, x) -> new TaskArgs().input(x),
            (first) -> new TaskArgs().inout(first.tensor(0))));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void outputExistingWaitsForEarlierReaderOfSameAddress()
    {
        assertTrue(secondStartedAfterFirstFinished(
            (orch, x) -> new TaskArgs().input(x),
            (first) -> new TaskArgs().outputExisting(first.tensor(0))));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void producerNamedTwiceIsWaitedForOnce()
    {
        assertTrue(secondStartedAfterFirstFinished(
            (orch, x) -> new TaskArgs().output(x),
            (first) -> new TaskArgs().input(first.tensor(0)).input(first.tensor(0))));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void producerNamedAsInputAndInoutIsWaitedForOnce()
    {
        assertTrue(secondStartedAfterFirstFinished(
            (orch, x) -> new TaskArgs().output(x),
            (first) -> new TaskArgs().input(first.tensor(0)).inout(first.tensor(0))));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void producerOfTwoBuffersNamedByOneConsumerIsWaitedForOnce()
    {
        final AtomicInteger consumerRuns = new AtomicInteger();
        final AtomicBoolean consumerSawProducerFinished = new AtomicBoolean();
        final AtomicBoolean producerFinished = new AtomicBoolean();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final int producer = worker.register((args) -> producerFinished.set(true));
            final int consumer = worker.register((args) ->
            {
                consumerRuns.incrementAndGet();
                consumerSawProducerFinished.set(producerFinished.get());
            });
            final Tensor x = worker.sharedTensor(DataType.INT32, 16);
            final Tensor y = worker.sharedTensor(DataType.INT32, 16);

            worker.run((orch, ignored) ->
            {
                orch.submitSub(producer, new TaskArgs().output(x).output(y));
                orch.submitSub(consumer, new TaskArgs().input(x).input(y));
            }, null);
        }
        assertEquals(1, consumerRuns.get());
        assertTrue(consumerSawProducerFinished.get());
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void taskNamingOneBufferAsOutputThenInputDoesNotDependOnItself(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            final int count = worker.register(Kernels.COUNT_RUN);
            final Tensor counters = worker.sharedTensor(DataType.INT32, 1);
            final Tensor x = worker.sharedTensor(DataType.INT32, 16);
            Kernels.zero(counters);

            worker.run((orch, ignored) ->
                orch.submitSub(count, new TaskArgs().noDep(counters).output(x).input(x).inout(x).addScalar(0)), null);

            assertEquals(1, counters.buffer().getInt(0), "runs of the task");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void groupNamingOneBufferInTwoMembersDoesNotDependOnItself(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final int count = worker.register(Kernels.COUNT_RUN);
            final Tensor counters = worker.sharedTensor(DataType.INT32, 2);
            final Tensor x = worker.sharedTensor(DataType.INT32, 16);
            Kernels.zero(counters);

            worker.run((orch, ignored) -> orch.submitSubGroup(count, List.of(
                new TaskArgs().noDep(counters).output(x).addScalar(0),
                new TaskArgs().noDep(counters).input(x).inout(x).addScalar(1))), null);

            assertEquals(1, counters.buffer().getInt(0), "runs of member 0");
            assertEquals(1, counters.buffer().getInt(Integer.BYTES), "runs of member 1");
        }
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void taskWaitsForEveryProducer()
    {
        final CountDownLatch probeRan = new CountDownLatch(1);
        final AtomicInteger producersFinished = new AtomicInteger();
        final AtomicInteger consumerSawFinished = new AtomicInteger(-1);
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(3)))
        {
            final int producer = worker.register((args) ->
            {
                await(probeRan);
                producersFinished.incrementAndGet();
            });
            final int consumer = worker.register((args) -> consumerSawFinished.set(producersFinished.get()));
            final int probe = worker.register((args) -> probeRan.countDown());
            final Tensor x = worker.sharedTensor(DataType.INT32, 16);
            final Tensor y = worker.sharedTensor(DataType.INT32, 16);

            worker.run((orch, ignored) ->
            {
                orch.submitSub(producer, new TaskArgs().output(x));
                orch.submitSub(producer, new TaskArgs().output(y));
                orch.submitSub(consumer, new TaskArgs().input(x).input(y));
                orch.submitSub(probe, new TaskArgs());
            }, null);
        }
        assertEquals(2, consumerSawFinished.get(), "producers finished when the consumer started");
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void consumerOfGroupWaitsForTheMemberThatWroteItsInput()
    {
        final CountDownLatch probeRan = new CountDownLatch(1);
        final AtomicBoolean slowMemberFinished = new AtomicBoolean();
        final AtomicBoolean consumerSawSlowMemberFinished = new AtomicBoolean();
        final AtomicInteger consumerRuns = new AtomicInteger();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(3)))
        {
            // Both members hold their workers until the probe ran, so the probe and a consumer that did not wait
            // share the one free worker, and the consumer comes first in submission order.
            final int member = worker.register((args) ->
            {
                await(probeRan);
                if (args.scalar(0) == 1)
                {
                    slowMemberFinished.set(true);
                }
            });
            final int consumer = worker.register((args) ->
            {
                consumerRuns.incrementAndGet();
                consumerSawSlowMemberFinished.set(slowMemberFinished.get());
            });
            final int probe = worker.register((args) -> probeRan.countDown());
            final Tensor x = worker.sharedTensor(DataType.INT32, 16);
            final Tensor y = worker.sharedTensor(DataType.INT32, 16);

            worker.run((orch, ignored) ->
            {
                orch.submitSubGroup(member, List.of(
                    new TaskArgs().output(x).addScalar(0),
                    new TaskArgs().output(y).addScalar(1)));
                orch.submitSub(consumer, new TaskArgs().input(y));
                orch.submitSub(probe, new TaskArgs());
            }, null);
        }
        assertEquals(1, consumerRuns.get());
        assertTrue(consumerSawSlowMemberFinished.get(), "the consumer started before the member writing its input");
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void nextLevelConsumerWaitsForSubProducer()
    {
        final CountDownLatch probeRan = new CountDownLatch(1);
        final AtomicBoolean producerFinished = new AtomicBoolean();
        final AtomicBoolean consumerSawProducerFinished = new AtomicBoolean();
        final AtomicInteger nextLevelRuns = new AtomicInteger();
        final IWorker chip = (callable, args, config) ->
        {
            nextLevelRuns.incrementAndGet();
            if (callable == 1)
            {
                consumerSawProducerFinished.set(producerFinished.get());
            }
            else
            {
                probeRan.countDown();
            }
        };
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(1).nextLevel(chip)))
        {
            final int producer = worker.register((args) ->
            {
                await(probeRan);
                producerFinished.set(true);
            });
            final Tensor x = worker.sharedTensor(DataType.INT32, 16);

            worker.run((orch, ignored) ->
            {
                orch.submitSub(producer, new TaskArgs().output(x));
                orch.submitNextLevel(1, new TaskArgs().input(x), CallConfig.DEFAULT);
                orch.submitNextLevel(2, new TaskArgs(), CallConfig.DEFAULT);
            }, null);
        }
        assertEquals(2, nextLevelRuns.get());
        assertTrue(consumerSawProducerFinished.get(), "the next-level consumer started before its sub producer");
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void writerOfEarlierRunIsNotWaitedFor()
    {
        final CountDownLatch readerRan = new CountDownLatch(1);
        final AtomicInteger blockerRuns = new AtomicInteger();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final int writer = worker.register((args) ->
            {
            });
            final int blocker = worker.register((args) ->
            {
                await(readerRan);
                blockerRuns.incrementAndGet();
            });
            final int reader = worker.register((args) -> readerRan.countDown());
            final Tensor x = worker.sharedTensor(DataType.INT32, 16);

            worker.run((orch, ignored) -> orch.submitSub(writer, new TaskArgs().output(x)), null);
            worker.run((orch, ignored) ->
            {
                orch.submitSub(blocker, new TaskArgs());
                orch.submitSub(reader, new TaskArgs().input(x));
            }, null);
        }
        assertEquals(1, blockerRuns.get());
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void inputOfAlreadyCompletedWriterRuns()
    {
        final CountDownLatch writerRan = new CountDownLatch(1);
        final AtomicInteger readerRuns = new AtomicInteger();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(1)))
        {
            final int writer = worker.register((args) -> writerRan.countDown());
            final int reader = worker.register((args) -> readerRuns.incrementAndGet());
            final Tensor x = worker.sharedTensor(DataType.INT32, 16);

            worker.run((orch, ignored) ->
            {
                orch.submitSub(writer, new TaskArgs().output(x));
                await(writerRan);
                orch.submitSub(reader, new TaskArgs().input(x));
                orch.submitSub(reader, new TaskArgs().inout(x));
            }, null);
        }
        assertEquals(2, readerRuns.get());
    }
}
