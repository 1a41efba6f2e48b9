package dev.simpler.engine;

import static dev.simpler.engine.TestWorkers.SHM;
import static dev.simpler.engine.TestWorkers.THREAD_PREFIX;
import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.liveEngineThreads;
import static dev.simpler.engine.TestWorkers.mappingsOf;
import static dev.simpler.engine.TestWorkers.shmFiles;
import static dev.simpler.engine.TestWorkers.shmFilesOfThisProcess;
import static dev.simpler.engine.TestWorkers.shmPrefixOf;
import static dev.simpler.engine.TestWorkers.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import dev.simpler.mailbox.SharedMemoryFile;

/**
 * Worker lifecycle and what it leaves behind: threads, shared memory files and mappings (SPEC §4, §10, §11).
 */
class LifecycleTest
{
    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void noEngineThreadOutlivesClose(final WorkerMode mode)
    {
        final Set<Thread> before = liveEngineThreads();
        final Worker worker = start(builder(mode).subWorkers(2).nextLevel(Kernels.COUNTING_WORKER));
        exercise(worker);
        final Set<Thread> started = new HashSet<>(liveEngineThreads());
        started.removeAll(before);
        assertFalse(started.isEmpty(), "a started engine has threads named " + THREAD_PREFIX + "*");

        worker.close();

        final List<String> survivors = new ArrayList<>();
        for (final Thread t : started)
        {
            if (t.isAlive())
            {
                survivors.add(t.getName());
            }
        }
        assertEquals(List.of(), survivors, "engine threads alive after close()");
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void noSharedMemoryFileOrMappingOutlivesClose(final WorkerMode mode)
    {
        final Set<String> before = shmFilesOfThisProcess();
        final Worker worker = start(builder(mode).subWorkers(2).nextLevel(Kernels.COUNTING_WORKER));
        exercise(worker);
        worker.sharedTensor(DataType.FLOAT32, 1000);
        final Set<String> created = new TreeSet<>(shmFilesOfThisProcess());
        created.removeAll(before);
        assertFalse(created.isEmpty(), "a started engine keeps its heap rings in /dev/shm/simpler-<pid>-*");
        assertFalse(mappingsOf(created).isEmpty(), "the heap ring files are mapped");

        worker.close();

        final Set<String> left = new TreeSet<>(shmFilesOfThisProcess());
        left.retainAll(created);
        assertEquals(Set.of(), left, "shared memory files left after close()");
        assertEquals(List.of(), mappingsOf(created), "mappings left after close()");
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void closeAfterFailedRunLeavesNothingBehind(final WorkerMode mode)
    {
        final Set<String> filesBefore = shmFilesOfThisProcess();
        final Set<Thread> threadsBefore = liveEngineThreads();
        final Worker worker = start(builder(mode).subWorkers(1));
        final int fail = worker.register(Kernels.FAIL);
        assertThrows(TaskFailedException.class,
            () -> worker.run((orch, ignored) -> orch.submitSub(fail, new TaskArgs()), null));

        worker.close();

        final Set<Thread> threads = new HashSet<>(liveEngineThreads());
        threads.removeAll(threadsBefore);
        assertEquals(Set.of(), threads, "engine threads alive after close()");
        final Set<String> files = new TreeSet<>(shmFilesOfThisProcess());
        files.removeAll(filesBefore);
        assertEquals(Set.of(), files, "shared memory files left after close()");
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void closeWithoutInitLeavesNothingBehind(final WorkerMode mode)
    {
        final Set<String> filesBefore = shmFilesOfThisProcess();
        final Set<Thread> threadsBefore = liveEngineThreads();
        final Worker worker = builder(mode).subWorkers(2).build();

        worker.close();

        final Set<Thread> threads = new HashSet<>(liveEngineThreads());
        threads.removeAll(threadsBefore);
        assertEquals(Set.of(), threads, "engine threads alive after close()");
        final Set<String> files = new TreeSet<>(shmFilesOfThisProcess());
        files.removeAll(filesBefore);
        assertEquals(Set.of(), files, "shared memory files left after close()");
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void sharedMemoryFilesAreOwnerOnly(final WorkerMode mode) throws IOException
    {
        final Set<String> before = shmFilesOfThisProcess();
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            worker.sharedTensor(DataType.INT32, 64);
            final Set<String> created = new TreeSet<>(shmFilesOfThisProcess());
            created.removeAll(before);
            assertFalse(created.isEmpty());
            for (final String name : created)
            {
                assertEquals(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                    Files.getPosixFilePermissions(SHM.resolve(name)), "permissions of " + name);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void closeIsIdempotent(final WorkerMode mode)
    {
        final Worker worker = start(builder(mode).subWorkers(1));
        exercise(worker);
        worker.close();
        worker.close();
        worker.close();
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void registerAfterCloseThrowsIllegalStateException(final WorkerMode mode)
    {
        final Worker worker = start(builder(mode).subWorkers(1));
        worker.close();
        assertThrows(IllegalStateException.class, () -> worker.register(Kernels.TOUCH));
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void runAfterCloseThrowsIllegalStateException(final WorkerMode mode)
    {
        final Worker worker = start(builder(mode).subWorkers(1));
        final int touch = worker.register(Kernels.TOUCH);
        worker.close();
        assertThrows(IllegalStateException.class,
            () -> worker.run((orch, ignored) -> orch.submitSub(touch, new TaskArgs()), null));
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void runBeforeInitThrowsIllegalStateException(final WorkerMode mode)
    {
        try (Worker worker = builder(mode).subWorkers(1).build())
        {
            final int touch = worker.register(Kernels.TOUCH);
            assertThrows(IllegalStateException.class,
                () -> worker.run((orch, ignored) -> orch.submitSub(touch, new TaskArgs()), null));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void initTwiceThrowsIllegalStateException(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            assertThrows(IllegalStateException.class, worker::init);
            exercise(worker);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void callablesRegisteredBeforeAndAfterInitBothRun(final WorkerMode mode)
    {
        try (Worker worker = builder(mode).subWorkers(1).build())
        {
            final int before = worker.register(Kernels.COUNT_RUN);
            worker.init();
            final int after = worker.register(Kernels.PUT_SCALAR);
            final Tensor counters = worker.sharedTensor(DataType.INT32, 1);
            final Tensor out = worker.sharedTensor(DataType.INT32, 1);
            Kernels.zero(counters);
            Kernels.zero(out);

            worker.run((orch, ignored) ->
            {
                orch.submitSub(before, new TaskArgs().noDep(counters).addScalar(0));
                orch.submitSub(after, new TaskArgs().outputExisting(out).addScalar(77));
            }, null);

            assertEquals(1, counters.buffer().getInt(0));
            assertEquals(77, out.buffer().getInt(0));
        }
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void tasksRunOnThreadsNamedWithSimplerPrefix()
    {
        final Set<String> names = ConcurrentHashMap.newKeySet();
        final IWorker chip = (callable, args, config) -> names.add(Thread.currentThread().getName());
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(2).nextLevel(chip)))
        {
            final int record = worker.register((args) -> names.add(Thread.currentThread().getName()));
            worker.run((orch, ignored) ->
            {
                orch.submitSub(record, new TaskArgs());
                orch.submitNextLevel(Kernels.ANY_HANDLE, new TaskArgs(), CallConfig.DEFAULT);
            }, null);
        }
        assertFalse(names.isEmpty());
        names.forEach((n) -> assertTrue(n.startsWith(THREAD_PREFIX), "thread name " + n));
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void filesOfEngineKilledWithSigkillAreRemovedByNextEngineStart() throws Exception
    {
        final List<String> reported = new ArrayList<>();
        final Process child = startChildEngine(reported);
        try
        {
            final Set<String> childFiles = shmFiles(shmPrefixOf(child.pid()));
            assertFalse(childFiles.isEmpty(), "the child engine keeps files in /dev/shm/simpler-<pid>-*");
            assertEquals(Set.copyOf(reported), childFiles);

            child.destroyForcibly();
            assertTrue(child.waitFor(20, TimeUnit.SECONDS), "child did not die");
            assertEquals(childFiles, shmFiles(shmPrefixOf(child.pid())), "files before the next engine start");

            final Worker next = start(builder(WorkerMode.THREAD).subWorkers(1));
            try
            {
                assertEquals(Set.of(), shmFiles(shmPrefixOf(child.pid())), "files of the killed engine");
            }
            finally
            {
                next.close();
            }
        }
        finally
        {
            kill(child);
        }
    }

    @Test
    @Timeout(value = 90, threadMode = SEPARATE_THREAD)
    void aSleepingChildExitsWhenItsEngineIsKilled() throws Exception
    {
        // A sleeping child blocks on the pipe from its engine with no timeout; the engine's death closes the pipe.
        final List<String> reported = new ArrayList<>();
        final Process engine = startChildEngine(reported, KilledEngineMain.PROCESS_ASLEEP);
        try
        {
            final long childPid = reported.stream().filter((l) -> l.startsWith(KilledEngineMain.CHILD))
                .mapToLong((l) -> Long.parseLong(l.substring(KilledEngineMain.CHILD.length()))).findFirst()
                .orElseThrow();
            final ProcessHandle child = ProcessHandle.of(childPid).orElseThrow();
            engine.destroyForcibly();
            assertTrue(engine.waitFor(20, TimeUnit.SECONDS), "engine did not die");
            child.onExit().get(30, TimeUnit.SECONDS);
            assertFalse(child.isAlive(), "the orphaned child " + childPid + " still runs");
        }
        finally
        {
            kill(engine);
            SharedMemoryFile.sweepStale();
        }
    }

    @ParameterizedTest
    @EnumSource(WaitStrategy.class)
    @Timeout(value = 90, threadMode = SEPARATE_THREAD)
    void aChildRunningATaskExitsWithinTwoSecondsOfItsEngineKilled(final WaitStrategy strategy) throws Exception
    {
        // The child is inside a callable of a minute, so neither its mailbox loop nor its doorbell sees the death.
        final List<String> reported = new ArrayList<>();
        final Process engine = startChildEngine(reported, KilledEngineMain.PROCESS_MID_TASK, strategy.name());
        try
        {
            final long childPid = reported.stream().filter((l) -> l.startsWith(KilledEngineMain.CHILD))
                .mapToLong((l) -> Long.parseLong(l.substring(KilledEngineMain.CHILD.length()))).findFirst()
                .orElseThrow();
            final ProcessHandle child = ProcessHandle.of(childPid).orElseThrow();
            assertTrue(child.isAlive(), "the child runs its task");
            engine.destroyForcibly();
            assertTrue(engine.waitFor(20, TimeUnit.SECONDS), "engine did not die");
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (isRunning(childPid) && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
            }
            if (isRunning(childPid))
            {
                child.destroyForcibly();
                throw new AssertionError("the orphaned child " + childPid + " still runs 2 s after its engine died");
            }
        }
        finally
        {
            kill(engine);
            SharedMemoryFile.sweepStale();
        }
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void filesOfEngineWhoseProcessExitsNormallyAreRemoved() throws Exception
    {
        final List<String> reported = new ArrayList<>();
        final Process child = startChildEngine(reported, KilledEngineMain.EXIT);
        try
        {
            assertTrue(child.waitFor(20, TimeUnit.SECONDS), "child did not exit");
            assertEquals(0, child.exitValue());
            assertFalse(reported.isEmpty(), "the child engine keeps files in /dev/shm/simpler-<pid>-*");
            reported.forEach((name) -> assertTrue(name.startsWith(shmPrefixOf(child.pid())), name));
            final Set<String> left = new TreeSet<>(reported);
            left.retainAll(shmFiles(shmPrefixOf(child.pid())));
            assertEquals(Set.of(), left, "files of an engine whose process exited without close()");
        }
        finally
        {
            kill(child);
        }
    }

    /**
     * Whether a process exists and is not a zombie (an orphan that exited may wait for its new parent to reap it).
     */
    private static boolean isRunning(final long pid) throws IOException
    {
        final java.nio.file.Path stat = Paths.get("/proc", Long.toString(pid), "stat");
        try
        {
            final String line = Files.readString(stat);
            // "pid (command) S ...": the state follows the command, which may itself hold spaces and parentheses.
            return line.charAt(line.lastIndexOf(')') + 2) != 'Z';
        }
        catch (final java.nio.file.NoSuchFileException ex)
        {
            return false;
        }
    }

    /**
     * Kill a child JVM started by a test and wait (bounded) until it is gone.
     */
    private static void kill(final Process child) throws InterruptedException
    {
        child.destroyForcibly();
        child.waitFor(20, TimeUnit.SECONDS);
    }

    /**
     * Start {@link KilledEngineMain} in a child JVM and wait until its engine is ready.
     */
    private static Process startChildEngine(final List<String> files, final String... args) throws IOException
    {
        final String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        final String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final List<String> command = new ArrayList<>(List.of(java));
        command.addAll(JvmFlags.OPTIONS);
        command.addAll(List.of("-cp", classPath, KilledEngineMain.class.getName()));
        command.addAll(List.of(args));
        final Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        final BufferedReader out = new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        final StringBuilder transcript = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null && !line.equals(KilledEngineMain.READY))
        {
            transcript.append(line).append('\n');
            if (line.startsWith(KilledEngineMain.FILE))
            {
                files.add(line.substring(KilledEngineMain.FILE.length()));
            }
            else if (line.startsWith(KilledEngineMain.CHILD))
            {
                files.add(line);
            }
        }
        if (line == null)
        {
            child.destroyForcibly();
            throw new IllegalStateException("child engine did not start:\n" + transcript);
        }
        return child;
    }

    private static void exercise(final Worker worker)
    {
        final int touch = worker.register(Kernels.TOUCH);
        worker.run((orch, ignored) ->
        {
            final Tensor t = orch.alloc(DataType.FLOAT32, 256);
            orch.submitSub(touch, new TaskArgs().inout(t));
            orch.submitSub(touch, new TaskArgs().output(Tensor.of(0, DataType.INT8, 100)));
        }, null);
    }
}
