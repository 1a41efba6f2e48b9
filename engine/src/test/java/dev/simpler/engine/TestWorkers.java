package dev.simpler.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.simpler.mailbox.SharedMemoryFile;

/**
 * The one place where the tests build engines, plus the probes they share (latch waits, engine threads, shared
 * memory files). Mode-aware tests take their {@link WorkerMode} from {@link #modes()}: PROCESS joins that list when
 * the engine supports it, and those tests then run in both modes unchanged.
 */
final class TestWorkers
{
    /** Heap ring size used by the tests: small, so that exhaustion and reclamation are cheap to reach. */
    static final long RING_BYTES = 1L << 20;

    /** Back-pressure timeout of the test engines unless a test sets its own. */
    static final Duration ALLOC_TIMEOUT = Duration.ofSeconds(10);

    /** Longest a task or a test waits on a latch or barrier before it gives up and fails. */
    static final long LATCH_SECONDS = 10;

    /** Every engine thread's name starts with this. */
    static final String THREAD_PREFIX = "simpler-";

    /** Where the engine keeps its shared memory files. */
    static final Path SHM = Paths.get("/dev/shm");

    private TestWorkers()
    {
    }

    /**
     * Worker modes the mode-aware tests run in.
     *
     * @return the supported modes.
     */
    static Stream<WorkerMode> modes()
    {
        return Stream.of(WorkerMode.THREAD, WorkerMode.PROCESS);
    }

    /**
     * A builder for a level-3 test engine in the given mode, with small heap rings.
     *
     * @param mode mode of the engine's children.
     * @return the builder, to complete with workers.
     */
    static Worker.Builder builder(final WorkerMode mode)
    {
        return Worker.builder()
            .level(3)
            .mode(mode)
            .heapRingSize(RING_BYTES)
            .allocTimeout(ALLOC_TIMEOUT);
    }

    /**
     * Build and init an engine; close it if init fails.
     *
     * @param builder the configured builder.
     * @return the started engine.
     */
    static Worker start(final Worker.Builder builder)
    {
        final Worker worker = builder.build();
        try
        {
            worker.init();
        }
        catch (final RuntimeException | Error ex)
        {
            worker.close();
            throw ex;
        }
        return worker;
    }

    /**
     * Wait for a latch, failing (with an exception that fails the task it runs in) when it is not released.
     *
     * @param latch the latch.
     * @throws InterruptedException when interrupted.
     */
    static void await(final CountDownLatch latch) throws InterruptedException
    {
        if (!latch.await(LATCH_SECONDS, TimeUnit.SECONDS))
        {
            throw new IllegalStateException("latch not released within " + LATCH_SECONDS + " s: " + latch);
        }
    }

    /**
     * Wait at a barrier, failing when the other parties do not arrive.
     *
     * @param barrier the barrier.
     * @throws InterruptedException   when interrupted.
     * @throws BrokenBarrierException when another party gave up.
     * @throws TimeoutException       when the other parties do not arrive in time.
     */
    static void await(final CyclicBarrier barrier)
        throws InterruptedException, BrokenBarrierException, TimeoutException
    {
        barrier.await(LATCH_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Live threads whose name marks them as engine threads.
     *
     * @return the threads.
     */
    static Set<Thread> liveEngineThreads()
    {
        return Thread.getAllStackTraces().keySet().stream()
            .filter(Thread::isAlive)
            .filter((t) -> t.getName().startsWith(THREAD_PREFIX))
            .collect(Collectors.toSet());
    }

    /**
     * Name prefix of this process's shared memory files.
     *
     * @return {@code simpler-<pid>-}.
     */
    static String shmPrefixOfThisProcess()
    {
        return shmPrefixOf(ProcessHandle.current().pid());
    }

    /**
     * Name prefix of a process's shared memory files.
     *
     * @param pid the process.
     * @return {@code simpler-<pid>-}.
     */
    static String shmPrefixOf(final long pid)
    {
        return THREAD_PREFIX + pid + "-";
    }

    /**
     * Names of the files in /dev/shm that start with a prefix.
     *
     * @param prefix the name prefix.
     * @return sorted file names.
     */
    static Set<String> shmFiles(final String prefix)
    {
        try (Stream<Path> files = Files.list(SHM))
        {
            return files.map((p) -> p.getFileName().toString())
                .filter((n) -> n.startsWith(prefix))
                .collect(Collectors.toCollection(TreeSet::new));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Names of this process's shared memory files in /dev/shm.
     *
     * @return sorted file names.
     */
    static Set<String> shmFilesOfThisProcess()
    {
        return shmFiles(shmPrefixOfThisProcess());
    }

    /**
     * Wait until every PROCESS-mode child of this process's engines announced in its doorbell file that it sleeps
     * until the engine wakes it.
     *
     * @param children how many children to wait for.
     * @throws AssertionError when fewer doorbell files exist, or a child does not sleep within 30 s.
     */
    static void awaitChildrenAsleep(final int children)
    {
        final List<Path> doorbells = shmFilesOfThisProcess().stream().filter((n) -> n.contains("-doorbell-"))
            .map(SHM::resolve).toList();
        if (doorbells.size() != children)
        {
            throw new AssertionError("expected " + children + " doorbell files, found " + doorbells);
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (final Path path : doorbells)
        {
            try (SharedMemoryFile doorbell = SharedMemoryFile.openExisting(path))
            {
                while (doorbell.buffer().getIntVolatile(0) != 1)
                {
                    if (System.nanoTime() > deadline)
                    {
                        throw new AssertionError("the child behind " + path + " never went to sleep");
                    }
                    Thread.yield();
                }
            }
        }
    }

    /**
     * Lines of /proc/self/maps that map one of the given /dev/shm files.
     *
     * @param fileNames names of files in /dev/shm.
     * @return the mapping lines.
     */
    static List<String> mappingsOf(final Set<String> fileNames)
    {
        try
        {
            return Files.readAllLines(Paths.get("/proc/self/maps")).stream()
                .filter((line) -> fileNames.stream().anyMatch((n) -> line.contains(SHM.resolve(n).toString())))
                .collect(Collectors.toList());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Assert that no child process of this JVM is alive and that no shared-memory file of this process is left: what
     * every test that starts PROCESS-mode engines checks after each test.
     */
    static void assertNoChildAndNoFile()
    {
        assertEquals(List.of(), ProcessHandle.current().children()
            .filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList(), "child processes still alive");
        assertEquals(Set.of(), shmFilesOfThisProcess());
    }
}
