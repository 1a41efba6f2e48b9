package dev.simpler.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import dev.simpler.mailbox.MailboxDescriptor;
import dev.simpler.mailbox.SharedMemoryFile;

/**
 * What only PROCESS mode has: child JVMs, shared files, address translation, faults of children. The mode-aware
 * behaviour suite covers the rules of the SPEC in both modes.
 */
@Timeout(120)
class ProcessModeTest
{
    private static final int N = 256;
    private static final long WAIT_NS = 60_000_000_000L;

    /** Writes the child's pid into INT64 tensor 0 (NO_DEP) at index scalar 0. */
    static final SubCallable WRITE_PID = (args) ->
        args.tensor(0).buffer().putLongVolatile(Long.BYTES * (int)args.scalar(0), ProcessHandle.current().pid());

    /** Writes its pid into INT64 tensor 0 entry 0, then spins until entry 1 is non-zero. */
    static final SubCallable WRITE_PID_THEN_HANG = (args) ->
    {
        final UnsafeBuffer cell = args.tensor(0).buffer();
        cell.putLongVolatile(0, ProcessHandle.current().pid());
        final long deadline = System.nanoTime() + WAIT_NS;
        while (cell.getLongVolatile(Long.BYTES) == 0 && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
    };

    /**
     * Group member: writes its pid at index scalar 0 of INT64 tensor 0, counts itself in entry 15 and waits until
     * scalar 1 members have arrived, so the members can only finish if they run at the same time.
     */
    static final SubCallable GROUP_BARRIER = (args) ->
    {
        final UnsafeBuffer cells = args.tensor(0).buffer();
        cells.putLongVolatile(Long.BYTES * (int)args.scalar(0), ProcessHandle.current().pid());
        cells.getAndAddLong(Long.BYTES * 15, 1);
        final long deadline = System.nanoTime() + WAIT_NS;
        while (cells.getLongVolatile(Long.BYTES * 15) < args.scalar(1))
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("the other group members never arrived");
            }
            Thread.onSpinWait();
        }
    };

    /**
     * Kills the child that runs {@link #WRITE_PID_THEN_HANG} on a cell, once it wrote its pid there.
     */
    private static final class ChildKiller
    {
        private final Thread thread;
        private final AtomicReference<Throwable> error = new AtomicReference<>();

        /**
         * Start watching the cell.
         *
         * @param cell       the tensor the hanging task writes its pid into.
         * @param beforeKill what to do once the child runs the task, before it is killed.
         */
        ChildKiller(final Tensor cell, final Executable beforeKill)
        {
            thread = new Thread(() ->
            {
                try
                {
                    final long deadline = System.nanoTime() + WAIT_NS;
                    while (cell.buffer().getLongVolatile(0) == 0 && System.nanoTime() < deadline)
                    {
                        Thread.onSpinWait();
                    }
                    beforeKill.execute();
                    ProcessHandle.of(cell.buffer().getLongVolatile(0)).orElseThrow().destroyForcibly();
                }
                catch (final Throwable ex)
                {
                    error.set(ex);
                }
            });
            thread.start();
        }

        void awaitKill() throws InterruptedException
        {
            thread.join();
            assertEquals(null, error.get());
        }
    }

    @AfterEach
    void leavesNoChildAndNoFile()
    {
        TestWorkers.assertNoChildAndNoFile();
    }

    @Test
    void subCallablesInChildrenComputeOnAllocatedAutoAllocatedAndSharedTensors()
    {
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(2).build())
        {
            final int fill = worker.register(Kernels.FILL_RAMP);
            final int add = worker.register(Kernels.VECTOR_ADD);
            final int copy = worker.register(Kernels.COPY);
            final Tensor result = worker.sharedTensor(DataType.FLOAT32, N);
            worker.init();
            worker.run((orch, unused) ->
            {
                final Tensor a = orch.alloc(DataType.FLOAT32, N);
                orch.submitSub(fill, new TaskArgs().inout(a).addFloat(2f));
                final TaskArgs b = new TaskArgs().output(Tensor.of(0, DataType.FLOAT32, N)).addFloat(3f);
                orch.submitSub(fill, b);
                final TaskArgs sum = new TaskArgs().input(a).input(b.tensor(0))
                    .output(Tensor.of(0, DataType.FLOAT32, N));
                orch.submitSub(add, sum);
                orch.submitSub(copy, new TaskArgs().input(sum.tensor(2)).outputExisting(result));
            }, null);
            for (int i = 0; i < N; i++)
            {
                assertEquals(5f * i, result.buffer().getFloat(i * Float.BYTES), "result[" + i + "]");
            }
        }
    }

    @Test
    void nextLevelWorkerIsBuiltByItsFactoryInsideTheChild()
    {
        final WorkerFactory factory = () -> (callable, args, config) ->
        {
            final UnsafeBuffer out = args.tensor(0).buffer();
            out.putLong(0, ProcessHandle.current().pid());
            out.putLong(Long.BYTES, callable);
            out.putLong(2 * Long.BYTES, config.blockDim());
            out.putLong(3 * Long.BYTES, args.scalar(0));
        };
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).nextLevel(factory).build())
        {
            final Tensor out = worker.sharedTensor(DataType.INT64, 4);
            worker.init();
            worker.run((orch, unused) -> orch.submitNextLevel(42, new TaskArgs().outputExisting(out).addScalar(-5),
                new CallConfig(8, 3, false, false)), null);
            final UnsafeBuffer cells = out.buffer();
            assertNotEquals(ProcessHandle.current().pid(), cells.getLong(0), "ran in a child, not in the engine");
            assertEquals(42, cells.getLong(Long.BYTES));
            assertEquals(8, cells.getLong(2 * Long.BYTES));
            assertEquals(-5, cells.getLong(3 * Long.BYTES));
        }
    }

    @Test
    void callablesAndSharedTensorsAddedAfterInitReachTheChildren()
    {
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(2).build())
        {
            worker.init();
            final int fill = worker.register(Kernels.FILL_RAMP);
            final Tensor late = worker.sharedTensor(DataType.FLOAT32, N);
            worker.run((orch, unused) -> orch.submitSubGroup(fill, List.of(
                new TaskArgs().outputExisting(late).addFloat(1f),
                new TaskArgs().output(Tensor.of(0, DataType.FLOAT32, N)).addFloat(1f))), null);
            assertEquals(7f, late.buffer().getFloat(7 * Float.BYTES));
        }
    }

    @Test
    void groupMembersRunInDistinctChildrenAtTheSameTime()
    {
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(3).build())
        {
            final int barrier = worker.register(GROUP_BARRIER);
            final Tensor cells = worker.sharedTensor(DataType.INT64, 16);
            worker.init();
            worker.run((orch, unused) -> orch.submitSubGroup(barrier, List.of(
                new TaskArgs().noDep(cells).addScalar(0).addScalar(3),
                new TaskArgs().noDep(cells).addScalar(1).addScalar(3),
                new TaskArgs().noDep(cells).addScalar(2).addScalar(3))), null);
            final Set<Long> pids = new HashSet<>();
            for (int i = 0; i < 3; i++)
            {
                pids.add(cells.buffer().getLong(i * Long.BYTES));
            }
            assertEquals(3, pids.size(), "three distinct children: " + pids);
        }
    }

    @Test
    void aChainStaysOnTheChildThatFinishedEachStep()
    {
        // An idle child claims a task only when one is waiting, so the task a completion releases goes to the
        // child that just finished (still awake) instead of to one that sat on a claim meanwhile.
        final int steps = 40;
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(2).build())
        {
            final int writePid = worker.register(WRITE_PID);
            final Tensor pids = worker.sharedTensor(DataType.INT64, steps);
            final Tensor token = worker.sharedTensor(DataType.INT64, 1);
            worker.init();
            worker.run((orch, unused) ->
            {
                for (int i = 0; i < steps; i++)
                {
                    orch.submitSub(writePid, new TaskArgs().noDep(pids).inout(token).addScalar(i));
                }
            }, null);
            final Set<Long> seen = new HashSet<>();
            for (int i = 0; i < steps; i++)
            {
                final long pid = pids.buffer().getLong(i * Long.BYTES);
                assertNotEquals(0L, pid, "step " + i + " ran");
                seen.add(pid);
            }
            assertEquals(1, seen.size(), "every step of the chain ran in one child: " + seen);
        }
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void sleepingChildrenAreWokenForTasksAndForCallablesRegisteredLater()
    {
        // An idle child with the backoff strategy ends up blocked on its standard input with no timeout, so every
        // run below finishes only if the engine rings each sleeping child it sends something to: the group needs
        // both children at once, and the callable registered after init reaches them as an update first.
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(2)
            .waitStrategy(WaitStrategy.BACKOFF).build())
        {
            final int first = worker.register(GROUP_BARRIER);
            final Tensor cells = worker.sharedTensor(DataType.INT64, 16);
            worker.init();
            int barrier = first;
            for (int round = 0; round < 3; round++)
            {
                if (round == 2)
                {
                    barrier = worker.register(GROUP_BARRIER);
                    assertNotEquals(first, barrier);
                }
                TestWorkers.awaitChildrenAsleep(2);
                cells.buffer().setMemory(0, 16 * Long.BYTES, (byte)0);
                final int callable = barrier;
                worker.run((orch, unused) -> orch.submitSubGroup(callable, List.of(
                    new TaskArgs().noDep(cells).addScalar(0).addScalar(2),
                    new TaskArgs().noDep(cells).addScalar(1).addScalar(2))), null);
                final long a = cells.buffer().getLong(0);
                final long b = cells.buffer().getLong(Long.BYTES);
                assertNotEquals(0L, a, "round " + round);
                assertNotEquals(0L, b, "round " + round);
                assertNotEquals(a, b, "round " + round + ": two distinct children");
            }
        }
    }

    @Test
    void aKilledChildFailsItsTaskNamingTheChildAndIsReplaced() throws Exception
    {
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(1).build())
        {
            final int hang = worker.register(WRITE_PID_THEN_HANG);
            final int writePid = worker.register(WRITE_PID);
            final Tensor cell = worker.sharedTensor(DataType.INT64, 2);
            worker.init();
            final ChildKiller killer = new ChildKiller(cell, () -> { });
            final TaskFailedException failure = assertThrows(TaskFailedException.class, () ->
                worker.run((orch, unused) -> orch.submitSub(hang, new TaskArgs().noDep(cell)), null));
            killer.awaitKill();
            final long victim = cell.buffer().getLong(0);
            assertTrue(failure.getMessage().contains("child pid " + victim), failure.getMessage());
            assertTrue(failure.getMessage().contains("exit status 137"), failure.getMessage());

            final Tensor pids = worker.sharedTensor(DataType.INT64, 1);
            worker.run((orch, unused) -> orch.submitSub(writePid, new TaskArgs().noDep(pids).addScalar(0)), null);
            final long replacement = pids.buffer().getLong(0);
            assertNotEquals(0, replacement);
            assertNotEquals(victim, replacement);
        }
    }

    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aDeadWorkerFailsOnlyWhatNoLiveWorkerCanRun() throws Exception
    {
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(2).build())
        {
            final int hang = worker.register(WRITE_PID_THEN_HANG);
            final int writePid = worker.register(WRITE_PID);
            final int barrier = worker.register(GROUP_BARRIER);
            final Tensor cell = worker.sharedTensor(DataType.INT64, 2);
            final Tensor pids = worker.sharedTensor(DataType.INT64, N);
            final Tensor cells = worker.sharedTensor(DataType.INT64, 16);
            final Set<String> before = TestWorkers.shmFilesOfThisProcess();
            worker.sharedTensor(DataType.INT64, 1);
            final Set<String> doomed = new HashSet<>(TestWorkers.shmFilesOfThisProcess());
            doomed.removeAll(before);
            assertEquals(1, doomed.size(), "the last shared tensor's file: " + doomed);
            worker.init();

            // Kill the child running a task after deleting a file every child maps at start: its replacement
            // cannot start, so that worker is dead for good.
            final ChildKiller killer =
                new ChildKiller(cell, () -> Files.delete(TestWorkers.SHM.resolve(doomed.iterator().next())));
            assertThrows(TaskFailedException.class,
                () -> worker.run((orch, unused) -> orch.submitSub(hang, new TaskArgs().noDep(cell)), null));
            killer.awaitKill();

            // A group of two needs the dead worker: once the replacement has failed, the group fails naming it, and
            // its member on the live worker does not run alone (it would wait for its peer).
            final TaskFailedException groupFailure = assertThrows(TaskFailedException.class,
                () -> worker.run((orch, unused) -> orch.submitSubGroup(barrier, List.of(
                    new TaskArgs().noDep(cells).addScalar(0).addScalar(2),
                    new TaskArgs().noDep(cells).addScalar(1).addScalar(2))), null));
            assertTrue(groupFailure.getMessage().contains("which is dead"), groupFailure.getMessage());
            assertEquals(0L, cells.buffer().getLong(15 * Long.BYTES), "no member of the broken group ran");

            // Single tasks all run on the live worker, even while it is busy and tasks wait.
            for (int round = 0; round < 3; round++)
            {
                pids.buffer().setMemory(0, N * Long.BYTES, (byte)0);
                worker.run((orch, unused) ->
                {
                    for (int i = 0; i < N; i++)
                    {
                        orch.submitSub(writePid, new TaskArgs().noDep(pids).addScalar(i));
                    }
                }, null);
                final Set<Long> ranOn = new HashSet<>();
                for (int i = 0; i < N; i++)
                {
                    ranOn.add(pids.buffer().getLong(i * Long.BYTES));
                }
                assertEquals(1, ranOn.size(), "every task ran, on one live child: " + ranOn);
                assertNotEquals(0L, ranOn.iterator().next());
            }
        }
    }

    @Test
    void aCorruptMailboxStateFailsTheTaskInsteadOfHanging() throws IOException
    {
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(1).build())
        {
            final int hang = worker.register(WRITE_PID_THEN_HANG);
            final Tensor cell = worker.sharedTensor(DataType.INT64, 2);
            worker.init();
            final Path mailbox = onlyMailboxFile();
            final Thread corrupter = new Thread(() ->
            {
                final long deadline = System.nanoTime() + WAIT_NS;
                while (cell.buffer().getLongVolatile(0) == 0 && System.nanoTime() < deadline)
                {
                    Thread.onSpinWait();
                }
                try (SharedMemoryFile file = SharedMemoryFile.openExisting(mailbox))
                {
                    file.buffer().putIntVolatile(MailboxDescriptor.STATE_OFFSET, 17);
                }
            });
            corrupter.start();
            final TaskFailedException failure = assertThrows(TaskFailedException.class, () ->
                worker.run((orch, unused) -> orch.submitSub(hang, new TaskArgs().noDep(cell)), null));
            assertTrue(failure.getMessage().contains("corrupt mailbox state"), failure.getMessage());
            assertTrue(failure.getMessage().contains("17"), failure.getMessage());
        }
    }

    @Test
    void aFactoryThatThrowsFailsInitWithItsMessage()
    {
        final WorkerFactory broken = () ->
        {
            throw new IllegalStateException("no chip on this host");
        };
        final Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(1).nextLevel(broken).build();
        try
        {
            final IllegalStateException failure = assertThrows(IllegalStateException.class, worker::init);
            assertTrue(failure.getMessage().contains("no chip on this host"), failure.getMessage());
            assertTrue(failure.getMessage().contains("next-level worker 0"), failure.getMessage());
        }
        finally
        {
            worker.close();
        }
    }

    @Test
    void aChildThatNeverBecomesReadyFailsInitAfterTheStartTimeout()
    {
        final WorkerFactory silent = () ->
        {
            Thread.sleep(Long.MAX_VALUE);
            return null;
        };
        final Worker worker = TestWorkers.builder(WorkerMode.PROCESS).nextLevel(silent)
            .childStartTimeout(Duration.ofSeconds(3)).build();
        try
        {
            final IllegalStateException failure = assertThrows(IllegalStateException.class, worker::init);
            assertTrue(failure.getMessage().contains("did not report ready"), failure.getMessage());
        }
        finally
        {
            worker.close();
        }
    }

    @Test
    void rejectsATaskNamingMemoryThatIsNotShared()
    {
        final long privateMemory = BufferUtil.address(BufferUtil.allocateDirectAligned(64, 64));
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(1).build())
        {
            final int fill = worker.register(Kernels.FILL_RAMP);
            worker.init();
            final IllegalArgumentException failure = assertThrows(IllegalArgumentException.class, () ->
                worker.run((orch, unused) -> orch.submitSub(fill,
                    new TaskArgs().inout(Tensor.of(privateMemory, DataType.FLOAT32, 16))), null));
            assertTrue(failure.getMessage().contains("tensor 0 is not in shared memory"), failure.getMessage());
        }
    }

    @Test
    void rejectsArgsThatDoNotFitTheMailbox()
    {
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(1).build())
        {
            final int fill = worker.register(Kernels.FILL_RAMP);
            worker.init();
            final TaskArgs tooMany = new TaskArgs();
            for (int i = 0; i < 505; i++)
            {
                tooMany.addScalar(i);
            }
            final IllegalArgumentException failure = assertThrows(IllegalArgumentException.class, () ->
                worker.run((orch, unused) -> orch.submitSub(fill, tooMany), null));
            assertTrue(failure.getMessage().contains("does not fit a mailbox"), failure.getMessage());
            assertTrue(failure.getMessage().contains("4032"), failure.getMessage());
        }
    }

    @Test
    void sharedFilesAreOwnerOnlyWhileTheEngineRuns() throws IOException
    {
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(1).build())
        {
            worker.sharedTensor(DataType.INT8, 100);
            worker.init();
            final Set<String> files = TestWorkers.shmFilesOfThisProcess();
            assertTrue(files.stream().anyMatch(name -> name.contains("-mailbox-")), files.toString());
            assertTrue(files.stream().anyMatch(name -> name.contains("-heap0-")), files.toString());
            for (final String name : files)
            {
                assertEquals("rw-------",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(TestWorkers.SHM.resolve(name))), name);
            }
        }
    }

    private static Path onlyMailboxFile()
    {
        final List<String> mailboxes = TestWorkers.shmFilesOfThisProcess().stream()
            .filter(name -> name.contains("-mailbox-")).toList();
        assertEquals(1, mailboxes.size(), mailboxes.toString());
        return TestWorkers.SHM.resolve(mailboxes.get(0));
    }
}
