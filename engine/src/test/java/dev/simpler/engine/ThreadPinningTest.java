package dev.simpler.engine;

import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pinning busy-spinning threads to CPUs (SPEC §5), checked against what the operating system reports for each
 * thread: the CPUs it may run on and the CPU it is running on.
 */
class ThreadPinningTest
{
    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void eachWorkerThreadRunsOnTheCpuItWasGiven()
    {
        final BitSet allowed = CpuAffinity.allowedCpus();
        final int first = allowed.nextSetBit(0);
        final int last = allowed.length() - 1;
        final Map<String, String> seen = new ConcurrentHashMap<>();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(2).pinThreads(first, last)))
        {
            final int probe = worker.register(args ->
                seen.put(Thread.currentThread().getName(), allowedList() + " on " + runningOn()));
            // A group of two runs one member on each sub worker at the same time.
            worker.run((orch, unused) -> orch.submitSubGroup(probe, List.of(new TaskArgs(), new TaskArgs())), null);

            final Map<String, String> bySubWorker = new TreeMap<>();
            seen.forEach((thread, where) -> bySubWorker.put(thread.substring(thread.lastIndexOf('-') + 1), where));
            assertEquals(Map.of("0", first + " on " + first, "1", last + " on " + last), bySubWorker,
                "allowed CPUs and current CPU of each sub worker thread, by sub worker number");
        }
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void moreThreadsThanCpusTakeTheCpusInTurn()
    {
        final int only = CpuAffinity.allowedCpus().nextSetBit(0);
        final Map<String, String> seen = new ConcurrentHashMap<>();
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(2).pinThreads(only)))
        {
            final int probe = worker.register(args -> seen.put(Thread.currentThread().getName(), allowedList()));
            worker.run((orch, unused) -> orch.submitSubGroup(probe, List.of(new TaskArgs(), new TaskArgs())), null);
            assertEquals(2, seen.size(), "both sub workers ran a member: " + seen);
            seen.values().forEach(cpus -> assertEquals(String.valueOf(only), cpus, "CPUs of a sub worker: " + seen));
        }
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void theCallerPinsItsOwnThread() throws InterruptedException
    {
        final int last = CpuAffinity.allowedCpus().length() - 1;
        final AtomicReference<String> where = new AtomicReference<>();
        final Thread caller = new Thread(() ->
        {
            CpuAffinity.pinCurrentThread(last);
            where.set(allowedList() + " on " + runningOn());
        });
        caller.start();
        caller.join();
        assertEquals(last + " on " + last, where.get(), "allowed CPUs and current CPU of the pinned thread");
    }

    @Test
    void aCpuTheProcessMayNotUseIsRefusedByName()
    {
        final int beyond = CpuAffinity.allowedCpus().length();
        final IllegalArgumentException tooHigh = assertThrows(IllegalArgumentException.class,
            () -> Worker.builder().pinThreads(beyond));
        assertTrue(tooHigh.getMessage().contains("CPU " + beyond), tooHigh.getMessage());
        final IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
            () -> Worker.builder().pinThreads(0, -1));
        assertTrue(negative.getMessage().contains("CPU -1"), negative.getMessage());
        final IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
            () -> Worker.builder().pinThreads());
        assertTrue(none.getMessage().contains("at least one CPU"), none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CpuAffinity.pinCurrentThread(beyond));
    }

    @Test
    void processModeRefusesPinningItsChildren()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> builder(WorkerMode.PROCESS).subWorkers(1).pinThreads(0).build());
        assertTrue(ex.getMessage().contains("PROCESS mode"), ex.getMessage());
    }

    /** The calling thread's allowed CPUs, as the kernel lists them. */
    private static String allowedList()
    {
        for (final String line : read("/proc/thread-self/status").split("\n"))
        {
            if (line.startsWith("Cpus_allowed_list:"))
            {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        throw new IllegalStateException("no Cpus_allowed_list in /proc/thread-self/status");
    }

    /** The CPU the calling thread is running on (field 39 of its stat line). */
    private static int runningOn()
    {
        final String stat = read("/proc/thread-self/stat");
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Integer.parseInt(fields[36]);
    }

    private static String read(final String path)
    {
        try
        {
            return new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.US_ASCII);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
