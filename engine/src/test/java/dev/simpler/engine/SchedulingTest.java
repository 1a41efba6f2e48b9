package dev.simpler.engine;

import static dev.simpler.engine.TestWorkers.THREAD_PREFIX;
import static dev.simpler.engine.TestWorkers.await;
import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.simpler.engine.scheduler.SlotTable;

/**
 * Ready queues per worker type, dispatch of groups and wait strategies (SPEC §3 Groups, §5, §11).
 */
class SchedulingTest
{
    private static final long GRACE_MILLIS = 1000;

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void saturatedSubPoolDoesNotDelayReadyNextLevelTask()
    {
        final CountDownLatch nextLevelRan = new CountDownLatch(1);
        final AtomicInteger subRuns = new AtomicInteger();
        final IWorker chip = (callable, args, config) -> nextLevelRan.countDown();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(1).nextLevel(chip)))
        {
            final int blockUntilNextLevelRan = worker.register((args) ->
            {
                await(nextLevelRan);
                subRuns.incrementAndGet();
            });
            worker.run((orch, ignored) ->
            {
                orch.submitSub(blockUntilNextLevelRan, new TaskArgs());
                orch.submitSub(blockUntilNextLevelRan, new TaskArgs());
                orch.submitSub(blockUntilNextLevelRan, new TaskArgs());
                orch.submitNextLevel(Kernels.ANY_HANDLE, new TaskArgs(), CallConfig.DEFAULT);
            }, null);
        }
        assertEquals(3, subRuns.get());
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void saturatedNextLevelPoolDoesNotDelayReadySubTask()
    {
        final CountDownLatch subRan = new CountDownLatch(1);
        final AtomicInteger nextLevelRuns = new AtomicInteger();
        final IWorker chip = (callable, args, config) ->
        {
            await(subRan);
            nextLevelRuns.incrementAndGet();
        };
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(1).nextLevel(chip)))
        {
            final int sub = worker.register((args) -> subRan.countDown());
            worker.run((orch, ignored) ->
            {
                orch.submitNextLevel(Kernels.ANY_HANDLE, new TaskArgs(), CallConfig.DEFAULT);
                orch.submitNextLevel(Kernels.ANY_HANDLE, new TaskArgs(), CallConfig.DEFAULT);
                orch.submitNextLevel(Kernels.ANY_HANDLE, new TaskArgs(), CallConfig.DEFAULT);
                orch.submitSub(sub, new TaskArgs());
            }, null);
        }
        assertEquals(3, nextLevelRuns.get());
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void readySingleTasksRunOnEveryIdleWorkerAtTheSameTime()
    {
        final int workers = 4;
        final CyclicBarrier allRunning = new CyclicBarrier(workers);
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(workers)))
        {
            final int meet = worker.register((args) ->
            {
                threads.add(Thread.currentThread().getName());
                await(allRunning);
            });
            worker.run((orch, ignored) ->
            {
                for (int i = 0; i < workers; i++)
                {
                    orch.submitSub(meet, new TaskArgs());
                }
            }, null);
        }
        assertEquals(workers, threads.size(), "distinct worker threads: " + threads);
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void subGroupRunsOnDistinctWorkersAtTheSameTime()
    {
        final int members = 4;
        final CyclicBarrier allMembersRunning = new CyclicBarrier(members);
        final Map<Long, String> threadOfMember = new ConcurrentHashMap<>();
        final AtomicInteger memberRuns = new AtomicInteger();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(members)))
        {
            final int member = worker.register((args) ->
            {
                memberRuns.incrementAndGet();
                threadOfMember.put(args.scalar(0), Thread.currentThread().getName());
                await(allMembersRunning);
            });
            worker.run((orch, ignored) ->
            {
                final List<TaskArgs> lists = new ArrayList<>();
                for (int i = 0; i < members; i++)
                {
                    lists.add(new TaskArgs().addScalar(i));
                }
                orch.submitSubGroup(member, lists);
            }, null);
        }
        assertEquals(members, memberRuns.get());
        assertEquals(Set.of(0L, 1L, 2L, 3L), threadOfMember.keySet(), "member i receives list i");
        assertEquals(members, Set.copyOf(threadOfMember.values()).size(), "distinct threads: " + threadOfMember);
        threadOfMember.values().forEach((name) -> assertTrue(name.startsWith(THREAD_PREFIX), name));
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void groupWaitsUntilEnoughWorkersAreIdleThenStartsOnAllAtOnce()
    {
        final CountDownLatch busyTaskStarted = new CountDownLatch(1);
        final CountDownLatch memberStarted = new CountDownLatch(1);
        final AtomicBoolean memberStartedWhileWorkerBusy = new AtomicBoolean();
        final CyclicBarrier allMembersRunning = new CyclicBarrier(2);
        final Set<String> memberThreads = ConcurrentHashMap.newKeySet();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final int busy = worker.register((args) ->
            {
                busyTaskStarted.countDown();
                // The one wait of the suite that is meant to run out: nothing but time can show that a member did
                // NOT start while this task holds one of the two workers the group needs.
                memberStartedWhileWorkerBusy.set(memberStarted.await(GRACE_MILLIS, TimeUnit.MILLISECONDS));
            });
            final int member = worker.register((args) ->
            {
                memberStarted.countDown();
                memberThreads.add(Thread.currentThread().getName());
                await(allMembersRunning);
            });
            worker.run((orch, ignored) ->
            {
                orch.submitSub(busy, new TaskArgs());
                await(busyTaskStarted);
                orch.submitSubGroup(member, List.of(new TaskArgs(), new TaskArgs()));
            }, null);
        }
        assertFalse(memberStartedWhileWorkerBusy.get(),
            "a member of a group of 2 started while only 1 of the 2 sub workers was idle");
        assertEquals(2, memberThreads.size(), "distinct threads: " + memberThreads);
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void nextLevelGroupRunsOnDistinctWorkersAtTheSameTime()
    {
        final int members = 3;
        final CyclicBarrier allMembersRunning = new CyclicBarrier(members);
        final Map<Long, IWorker> workerOfMember = new ConcurrentHashMap<>();
        final Map<Long, Long> callableOfMember = new ConcurrentHashMap<>();
        final Worker.Builder builder = builder(WorkerMode.THREAD).subWorkers(1);
        for (int i = 0; i < members; i++)
        {
            builder.nextLevel(new IWorker()
            {
                @Override
                public void run(final long callable, final TaskArgsView args, final CallConfig config)
                    throws Exception
                {
                    workerOfMember.put(args.scalar(0), this);
                    callableOfMember.put(args.scalar(0), callable);
                    await(allMembersRunning);
                }
            });
        }
        try (Worker worker = start(builder))
        {
            worker.run((orch, ignored) -> orch.submitNextLevelGroup(Kernels.ANY_HANDLE, List.of(
                new TaskArgs().addScalar(0), new TaskArgs().addScalar(1), new TaskArgs().addScalar(2)),
                CallConfig.DEFAULT), null);
        }
        assertEquals(Set.of(0L, 1L, 2L), workerOfMember.keySet(), "member i receives list i");
        assertEquals(members, Set.copyOf(workerOfMember.values()).size(), "distinct next-level workers");
        callableOfMember.values().forEach((c) -> assertEquals(Kernels.ANY_HANDLE, c));
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void groupMembersEachWriteTheirOwnArgumentList(final WorkerMode mode)
    {
        final int members = 3;
        try (Worker worker = start(builder(mode).subWorkers(members)))
        {
            final int put = worker.register(Kernels.PUT_SCALAR);
            final List<Tensor> outs = new ArrayList<>();
            for (int i = 0; i < members; i++)
            {
                outs.add(worker.sharedTensor(DataType.INT32, 1));
                Kernels.zero(outs.get(i));
            }
            worker.run((orch, ignored) ->
            {
                final List<TaskArgs> lists = new ArrayList<>();
                for (int i = 0; i < members; i++)
                {
                    lists.add(new TaskArgs().outputExisting(outs.get(i)).addScalar(100 + i));
                }
                orch.submitSubGroup(put, lists);
            }, null);
            for (int i = 0; i < members; i++)
            {
                assertEquals(100 + i, outs.get(i).buffer().getInt(0), "output of member " + i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void subGroupLargerThanItsPoolFailsAtSubmit(final WorkerMode mode)
    {
        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try (Worker worker = start(builder(mode).subWorkers(2)))
        {
            final int count = worker.register(Kernels.COUNT_RUN);
            final Tensor counters = worker.sharedTensor(DataType.INT32, 1);
            Kernels.zero(counters);
            worker.run((orch, ignored) ->
            {
                final List<TaskArgs> lists = new ArrayList<>();
                for (int i = 0; i < 5; i++)
                {
                    lists.add(new TaskArgs().noDep(counters).addScalar(0));
                }
                failure.set(assertThrows(RuntimeException.class, () -> orch.submitSubGroup(count, lists)));
            }, null);
            assertEquals(0, counters.buffer().getInt(0), "members run of the rejected group");
        }
        assertMessageNames(failure.get(), "5", "2");
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void nextLevelGroupLargerThanItsPoolFailsAtSubmit(final WorkerMode mode)
    {
        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try (Worker worker = start(builder(mode).subWorkers(1)
            .nextLevel(Kernels.COUNTING_WORKER).nextLevel(Kernels.COUNTING_WORKER)))
        {
            final Tensor counters = worker.sharedTensor(DataType.INT32, 1);
            Kernels.zero(counters);
            worker.run((orch, ignored) ->
            {
                final List<TaskArgs> lists = new ArrayList<>();
                for (int i = 0; i < 3; i++)
                {
                    lists.add(new TaskArgs().noDep(counters).addScalar(0));
                }
                failure.set(assertThrows(RuntimeException.class,
                    () -> orch.submitNextLevelGroup(Kernels.ANY_HANDLE, lists, CallConfig.DEFAULT)));
            }, null);
            assertEquals(0, counters.buffer().getInt(0), "members run of the rejected group");
        }
        assertMessageNames(failure.get(), "3", "2");
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void subTaskWithoutSubWorkersFailsAtSubmit(final WorkerMode mode)
    {
        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try (Worker worker = start(builder(mode).subWorkers(0).nextLevel(Kernels.COUNTING_WORKER)))
        {
            final int count = worker.register(Kernels.COUNT_RUN);
            final Tensor counters = worker.sharedTensor(DataType.INT32, 1);
            Kernels.zero(counters);
            worker.run((orch, ignored) ->
            {
                failure.set(assertThrows(RuntimeException.class,
                    () -> orch.submitSub(count, new TaskArgs().noDep(counters).addScalar(0))));
                orch.submitNextLevel(Kernels.ANY_HANDLE, new TaskArgs().noDep(counters).addScalar(0),
                    CallConfig.DEFAULT);
            }, null);
            assertEquals(1, counters.buffer().getInt(0), "only the next-level task ran");
        }
        assertMessageNames(failure.get());
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void nextLevelTaskWithoutNextLevelWorkersFailsAtSubmit(final WorkerMode mode)
    {
        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            final int count = worker.register(Kernels.COUNT_RUN);
            final Tensor counters = worker.sharedTensor(DataType.INT32, 1);
            Kernels.zero(counters);
            worker.run((orch, ignored) ->
            {
                failure.set(assertThrows(RuntimeException.class, () -> orch.submitNextLevel(
                    Kernels.ANY_HANDLE, new TaskArgs().noDep(counters).addScalar(0), CallConfig.DEFAULT)));
                orch.submitSub(count, new TaskArgs().noDep(counters).addScalar(0));
            }, null);
            assertEquals(1, counters.buffer().getInt(0), "only the sub task ran");
        }
        assertMessageNames(failure.get());
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void busySpinWaitStrategyRunsAChainOfTasks(final WorkerMode mode)
    {
        final int length = 50;
        try (Worker worker = start(builder(mode).subWorkers(1).waitStrategy(WaitStrategy.BUSY_SPIN)))
        {
            final int append = worker.register(Kernels.APPEND_TO_LOG);
            final Tensor log = worker.sharedTensor(DataType.INT32, 1 + length);
            Kernels.zero(log);
            worker.run((orch, ignored) ->
            {
                for (int i = 0; i < length; i++)
                {
                    orch.submitSub(append, new TaskArgs().inout(log).addScalar(i));
                }
            }, null);
            assertEquals(length, log.buffer().getInt(0));
            for (int i = 0; i < length; i++)
            {
                assertEquals(i, log.buffer().getInt(Integer.BYTES * (1 + i)));
            }
        }
    }

    /**
     * When the orchestrating thread runs long user code without calling the engine, a chain must still progress:
     * in PROCESS mode the driver thread takes over the mailboxes the orchestrating thread drives while it waits; in
     * THREAD mode a stream of submits is staged and published in batches, and an idle worker publishes the tasks
     * left staged.
     */
    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void chainProgressesWhileTheOrchestrationFunctionIsBusy(final WorkerMode mode)
    {
        final int length = 300;
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            final int append = worker.register(Kernels.APPEND_TO_LOG);
            final Tensor log = worker.sharedTensor(DataType.INT32, 1 + length);
            Kernels.zero(log);
            worker.run((orch, ignored) ->
            {
                for (int i = 0; i < length; i++)
                {
                    orch.submitSub(append, new TaskArgs().inout(log).addScalar(i));
                }
                // Busy with user work that never calls the engine: only the engine's own threads can finish
                // the chain, whose every step needs the completion of the one before.
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TestWorkers.LATCH_SECONDS);
                while (log.buffer().getIntVolatile(0) < length)
                {
                    assertTrue(System.nanoTime() - deadline < 0, "the chain stalled at "
                        + log.buffer().getIntVolatile(0) + " of " + length + " while the caller was busy");
                    Thread.onSpinWait();
                }
            }, null);
            assertEquals(length, log.buffer().getInt(0));
        }
    }

    /**
     * An orchestration function that submits much faster than its worker runs is paced once the slot table is
     * full, instead of growing it by the size of its lead: every slot number stays within the first chunks, and
     * the chain still runs in submit order.
     */
    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void aRunFarAheadOfItsWorkerReusesABoundedSetOfSlots(final WorkerMode mode)
    {
        final int length = 16 * SlotTable.CHUNK_SIZE;
        final long taskNanos = 5_000;
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            final int slowAppend = worker.register(Kernels.SLOW_APPEND_TO_LOG);
            final Tensor log = worker.sharedTensor(DataType.INT32, 1 + length);
            Kernels.zero(log);
            // One short run first, so that a PROCESS-mode child has loaded the callable: a first call that takes
            // longer than the pacing's patience would let the table grow, as it should.
            worker.run((orch, ignored) ->
                orch.submitSub(slowAppend, new TaskArgs().inout(log).addScalar(0).addScalar(0)), null);
            Kernels.zero(log);
            final int[] highestSlot = {0};
            worker.run((orch, ignored) ->
            {
                for (int i = 0; i < length; i++)
                {
                    final TaskArgs args = new TaskArgs().inout(log).addScalar(i).addScalar(taskNanos);
                    highestSlot[0] = Math.max(highestSlot[0], orch.submitSub(slowAppend, args).taskSlot());
                }
            }, null);
            assertEquals(length, log.buffer().getInt(0));
            for (int i = 0; i < length; i++)
            {
                assertEquals(i, log.buffer().getInt(Integer.BYTES * (1 + i)), "chain step " + i);
            }
            // Pausing the worker (a GC, a compilation) longer than the pacing's patience grows the table once.
            assertTrue(highestSlot[0] < 4 * SlotTable.CHUNK_SIZE, "the orchestration function's lead was bounded: "
                + "highest slot " + highestSlot[0] + " for a chain of " + length);
        }
    }

    /**
     * Pacing never waits for tasks that wait for the orchestration function: with the table full of tasks that
     * only finish once the function raises a flag after its last submit, the table grows instead.
     */
    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void aFullTableOfTasksWaitingForTheOrchestrationFunctionGrows(final WorkerMode mode)
    {
        final int tasks = 3 * SlotTable.CHUNK_SIZE;
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            final int awaitFlag = worker.register(Kernels.AWAIT_FLAG_THEN_COUNT);
            final Tensor flag = worker.sharedTensor(DataType.INT32, 2);
            Kernels.zero(flag);
            worker.run((orch, ignored) ->
            {
                final TaskArgs args = new TaskArgs().noDep(flag);
                for (int i = 0; i < tasks; i++)
                {
                    orch.submitSub(awaitFlag, args);
                }
                flag.buffer().putIntVolatile(0, 1);
            }, null);
            assertEquals(tasks, flag.buffer().getIntVolatile(Integer.BYTES));
        }
    }

    private static void assertMessageNames(final RuntimeException failure, final String... values)
    {
        assertTrue(failure != null, "no exception");
        final String message = failure.getMessage();
        assertTrue(message != null && !message.isBlank(), "the exception explains itself: " + failure);
        for (final String value : values)
        {
            assertTrue(message.contains(value), "message names " + value + ": " + message);
        }
    }
}
