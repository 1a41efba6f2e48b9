package dev.simpler.engine;

import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static dev.simpler.engine.counters.EngineCounters.CHILDREN_ALIVE_TYPE_ID;
import static dev.simpler.engine.counters.EngineCounters.CHILDREN_REPLACED_TYPE_ID;
import static dev.simpler.engine.counters.EngineCounters.HEAP_RING_BYTES_IN_USE_TYPE_ID;
import static dev.simpler.engine.counters.EngineCounters.READY_QUEUE_DEPTH_TYPE_ID;
import static dev.simpler.engine.counters.EngineCounters.REMOTE_NODES_CONNECTED_TYPE_ID;
import static dev.simpler.engine.counters.EngineCounters.RUNS_FINISHED_TYPE_ID;
import static dev.simpler.engine.counters.EngineCounters.RUNS_STARTED_TYPE_ID;
import static dev.simpler.engine.counters.EngineCounters.TASKS_COMPLETED_TYPE_ID;
import static dev.simpler.engine.counters.EngineCounters.TASKS_FAILED_TYPE_ID;
import static dev.simpler.engine.counters.EngineCounters.TASKS_SKIPPED_TYPE_ID;
import static dev.simpler.engine.counters.EngineCounters.TASKS_SUBMITTED_TYPE_ID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.simpler.engine.counters.CountersFile;
import dev.simpler.engine.counters.CountersFileDescriptor;
import dev.simpler.engine.memory.HeapRing;
import dev.simpler.engine.stat.SimplerStat;
import dev.simpler.engine.worker.NodeGauge;
import dev.simpler.engine.worker.NodeLink;
import dev.simpler.mailbox.SharedMemoryFile;

/**
 * The live counters of SPEC §14: what a Worker publishes after a known graph, where its file lives and when it goes,
 * and what {@code simpler-stat} prints about running and killed engines from another JVM.
 */
class CountersTest
{
    private static final long WAIT_SECONDS = 30;
    private static final SubCallable NOTHING = (args) ->
    {
    };

    @AfterEach
    void leavesNoChildAndNoFile()
    {
        TestWorkers.assertNoChildAndNoFile();
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void countersAfterAKnownGraphAreTheExpectedNumbers(final WorkerMode mode) throws Exception
    {
        try (Worker worker = builder(mode).subWorkers(2).build())
        {
            final int nothing = worker.register(NOTHING);
            final int fail = worker.register(Kernels.FAIL);
            final Tensor shared = worker.sharedTensor(DataType.INT32, 16);
            worker.init();
            final Path file = worker.countersFile();
            final AtomicLong heapInUseMidRun = new AtomicLong(-1);

            // 10 tasks that succeed, 1 that fails, 4 that read or overwrite what it wrote (skipped), and an alloc,
            // which is no task.
            final TaskFailedException failure = assertThrows(TaskFailedException.class, () -> worker.run((orch, u) ->
            {
                final Tensor scratch = orch.alloc(DataType.FLOAT32, 16);
                heapInUseMidRun.set(counter(file, HEAP_RING_BYTES_IN_USE_TYPE_ID, 0));
                for (int i = 0; i < 9; i++)
                {
                    orch.submitSub(nothing, new TaskArgs());
                }
                orch.submitSub(nothing, new TaskArgs().inout(scratch));
                orch.submitSub(fail, new TaskArgs().inout(shared));
                for (int i = 0; i < 3; i++)
                {
                    orch.submitSub(nothing, new TaskArgs().input(shared));
                }
                orch.submitSub(nothing, new TaskArgs().inout(shared));
            }, null));
            assertEquals(4, failure.skippedTasks(), failure.getMessage());

            assertEquals(HeapRing.ALIGNMENT, heapInUseMidRun.get(), "heap ring 0 bytes in use after an alloc");
            try (CountersFile counters = CountersFile.open(file))
            {
                assertEquals(15, counters.value(TASKS_SUBMITTED_TYPE_ID, 0), "tasks submitted");
                assertEquals(10, counters.value(TASKS_COMPLETED_TYPE_ID, 0), "tasks completed");
                assertEquals(1, counters.value(TASKS_FAILED_TYPE_ID, 0), "tasks failed");
                assertEquals(4, counters.value(TASKS_SKIPPED_TYPE_ID, 0), "tasks skipped");
                assertEquals(1, counters.value(RUNS_STARTED_TYPE_ID, 0), "runs started");
                assertEquals(1, counters.value(RUNS_FINISHED_TYPE_ID, 0), "runs finished");
                for (int kind = 0; kind < 2; kind++)
                {
                    assertEquals(0, counters.value(READY_QUEUE_DEPTH_TYPE_ID, kind), "ready queue depth " + kind);
                }
                for (int ring = 0; ring < 4; ring++)
                {
                    assertEquals(0, counters.value(HEAP_RING_BYTES_IN_USE_TYPE_ID, ring), "heap ring " + ring);
                }
                assertEquals(mode == WorkerMode.PROCESS ? 2 : 0, counters.value(CHILDREN_ALIVE_TYPE_ID, 0),
                    "children alive");
                assertEquals(0, counters.value(CHILDREN_REPLACED_TYPE_ID, 0), "children replaced");
                assertEquals(0, counters.value(REMOTE_NODES_CONNECTED_TYPE_ID, 0), "remote nodes connected");
            }

            worker.run((orch, u) -> orch.submitSub(nothing, new TaskArgs()), null);
            assertEquals(16, counter(file, TASKS_SUBMITTED_TYPE_ID, 0), "tasks submitted after a second run");
            assertEquals(11, counter(file, TASKS_COMPLETED_TYPE_ID, 0), "tasks completed after a second run");
            assertEquals(2, counter(file, RUNS_STARTED_TYPE_ID, 0), "runs started after a second run");
            assertEquals(2, counter(file, RUNS_FINISHED_TYPE_ID, 0), "runs finished after a second run");
        }
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void theReadyQueueDepthShowsTasksWaitingForABusyWorkerAndZeroOnceTheRunEnded() throws Exception
    {
        final CountDownLatch release = new CountDownLatch(1);
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(1)))
        {
            final int hold = worker.register((args) -> TestWorkers.await(release));
            final int nothing = worker.register(NOTHING);
            final Path file = worker.countersFile();
            final AtomicReference<Throwable> watcherFailure = new AtomicReference<>();
            // The run waits for its tasks, and samples the depths while it waits; this thread lets the first task
            // go once five tasks are seen waiting behind it.
            final Thread watcher = new Thread(() ->
            {
                try
                {
                    awaitCounter(file, READY_QUEUE_DEPTH_TYPE_ID, 0, (depth) -> depth == 5);
                }
                catch (final Throwable ex)
                {
                    watcherFailure.set(ex);
                }
                finally
                {
                    release.countDown();
                }
            }, "counters-watcher");
            watcher.start();
            worker.run((orch, u) ->
            {
                orch.submitSub(hold, new TaskArgs());
                for (int i = 0; i < 5; i++)
                {
                    orch.submitSub(nothing, new TaskArgs());
                }
            }, null);
            watcher.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            assertNull(watcherFailure.get(), () -> "while the worker was held: " + watcherFailure.get());
            assertEquals(0, counter(file, READY_QUEUE_DEPTH_TYPE_ID, 0), "sub ready queue depth after the run");
            assertEquals(6, counter(file, TASKS_COMPLETED_TYPE_ID, 0), "tasks completed");
        }
    }

    @Test
    @Timeout(value = 120, threadMode = SEPARATE_THREAD)
    void childrenAliveAndReplacedFollowAChildKilledBetweenRuns() throws Exception
    {
        try (Worker worker = builder(WorkerMode.PROCESS).subWorkers(2).build())
        {
            final int nothing = worker.register(NOTHING);
            worker.init();
            final Path file = worker.countersFile();
            assertEquals(2, counter(file, CHILDREN_ALIVE_TYPE_ID, 0), "children alive after init");

            final ProcessHandle victim = ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .findFirst().orElseThrow();
            victim.destroyForcibly();
            victim.onExit().get(WAIT_SECONDS, TimeUnit.SECONDS);
            awaitCounter(file, CHILDREN_REPLACED_TYPE_ID, 0, (replaced) -> replaced == 1);
            // Runs give the replacement work: it counts as alive again once it reported ready.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (counter(file, CHILDREN_ALIVE_TYPE_ID, 0) != 2)
            {
                assertTrue(System.nanoTime() < deadline, "the replacement never counted as alive");
                worker.run((orch, u) ->
                {
                    for (int i = 0; i < 4; i++)
                    {
                        orch.submitSub(nothing, new TaskArgs());
                    }
                }, null);
            }
            assertEquals(1, counter(file, CHILDREN_REPLACED_TYPE_ID, 0), "children replaced");
        }
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void theCountersFileIsOwnerOnlyBesideTheOtherSharedFilesNamesItsWorkerAndGoesAtClose() throws Exception
    {
        final Worker worker = start(builder(WorkerMode.THREAD).level(3).subWorkers(1));
        final Path file;
        try
        {
            file = worker.countersFile();
            assertNotNull(file, "an initialised Worker has a counters file");
            assertEquals(SharedMemoryFile.defaultDirectory(), file.getParent());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            try (CountersFile counters = CountersFile.open(file))
            {
                assertEquals(ProcessHandle.current().pid(), counters.pid());
                assertTrue(worker.toString().startsWith("Worker{" + counters.workerId() + ","),
                    counters.workerId() + " names " + worker);
                assertEquals(3, counters.level());
                assertEquals("THREAD", counters.mode());
                assertTrue(counters.startTimeMs() <= System.currentTimeMillis());
            }
        }
        finally
        {
            worker.close();
        }
        assertFalse(Files.exists(file), "the counters file after close(): " + file);
        assertNull(worker.countersFile());
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void aLevelFourWorkerAndTheWorkerItBuiltEachPublishCountersOfTheirOwn() throws Exception
    {
        final Set<Path> before = new HashSet<>(countersFilesOfThisProcess());
        final WorkerFactory levelThree = () ->
        {
            final Worker host = TestWorkers.builder(WorkerMode.THREAD).subWorkers(1).build();
            final int nothing = host.register(NOTHING);
            host.registerOrchestration("two-tasks", (orch, args) ->
            {
                orch.submitSub(nothing, new TaskArgs());
                orch.submitSub(nothing, new TaskArgs());
            });
            return host;
        };
        final Path levelThreeFile;
        try (Worker cluster = start(builder(WorkerMode.THREAD).level(4).subWorkers(0).nextLevel(levelThree)))
        {
            cluster.run((orch, u) ->
            {
                for (int i = 0; i < 3; i++)
                {
                    orch.submitNextLevel(Worker.orchestrationHandle("two-tasks"), new TaskArgs(), CallConfig.DEFAULT);
                }
            }, null);
            final Set<Path> created = new HashSet<>(countersFilesOfThisProcess());
            created.removeAll(before);
            assertEquals(2, created.size(), "counters files of the level-4 Worker and the one it built: " + created);
            created.remove(cluster.countersFile());
            levelThreeFile = created.iterator().next();
            try (CountersFile four = CountersFile.open(cluster.countersFile());
                CountersFile three = CountersFile.open(levelThreeFile))
            {
                assertEquals(4, four.level());
                assertEquals(3, four.value(TASKS_COMPLETED_TYPE_ID, 0), "tasks of the level-4 run");
                assertEquals(1, four.value(RUNS_FINISHED_TYPE_ID, 0), "runs of the level-4 Worker");
                assertEquals(3, three.level());
                assertFalse(three.workerId().equals(four.workerId()));
                assertEquals(6, three.value(TASKS_COMPLETED_TYPE_ID, 0), "tasks of the level-3 Worker");
                assertEquals(3, three.value(RUNS_FINISHED_TYPE_ID, 0), "runs of the level-3 Worker: one per task");
            }
        }
        assertFalse(Files.exists(levelThreeFile), "the built Worker's counters file after close()");
    }

    @Test
    @Timeout(value = 90, threadMode = SEPARATE_THREAD)
    void simplerStatInAnotherJvmPrintsThisEnginesPidIdAndCounterValues() throws Exception
    {
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final int nothing = worker.register(NOTHING);
            worker.run((orch, u) ->
            {
                for (int i = 0; i < 7; i++)
                {
                    orch.submitSub(nothing, new TaskArgs());
                }
            }, null);
            final String workerId;
            try (CountersFile counters = CountersFile.open(worker.countersFile()))
            {
                workerId = counters.workerId();
            }

            final String output = runSimplerStat("--once");

            final String section = sectionOf(output, ProcessHandle.current().pid(), workerId);
            assertTrue(section.contains("level 3  mode THREAD  up "), section);
            assertEquals(7, valueIn(section, "tasks submitted"), section);
            assertEquals(7, valueIn(section, "tasks completed"), section);
            assertEquals(0, valueIn(section, "tasks failed"), section);
            assertEquals(1, valueIn(section, "runs finished"), section);
            assertEquals(0, valueIn(section, "children alive"), section);
        }
    }

    @Test
    @Timeout(value = 120, threadMode = SEPARATE_THREAD)
    void theFileOfAKilledEngineIsNotListedBySimplerStatAndIsSweptByTheNextEngineStart() throws Exception
    {
        final Process engine = startKilledEngineMain();
        try
        {
            final List<Path> files = CountersFile.list(SharedMemoryFile.defaultDirectory()).stream()
                .filter((p) -> CountersFileDescriptor.pidOfFileName(p.getFileName().toString()) == engine.pid())
                .toList();
            assertEquals(1, files.size(), "the child engine's counters files: " + files);
            assertTrue(runSimplerStat("--once").contains("\npid " + engine.pid() + "  Worker "),
                "simpler-stat lists the running child engine");

            engine.destroyForcibly();
            assertTrue(engine.waitFor(WAIT_SECONDS, TimeUnit.SECONDS), "the child engine did not die");
            assertTrue(Files.exists(files.get(0)), "a SIGKILLed engine cannot remove its counters file");

            final String output = runSimplerStat("--once");
            assertFalse(output.contains("pid " + engine.pid() + " "), output);
            // An engine started meanwhile by another process on this machine sweeps the file itself.
            assertTrue(output.contains("of engines that are no longer running") || !Files.exists(files.get(0)),
                output);

            try (Worker next = start(builder(WorkerMode.THREAD).subWorkers(1)))
            {
                assertFalse(Files.exists(files.get(0)), "the killed engine's counters file after the next start");
                assertNotNull(next.countersFile());
            }
        }
        finally
        {
            engine.destroyForcibly();
            engine.waitFor(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void remoteNodesConnectedCountsDistinctNodesOfTheLanesWhoseSessionIsUp() throws Exception
    {
        // Three lanes: two to node a, one to node b; each reports its session like a RemoteWorker's lane does.
        final FakeLane a1 = new FakeLane("a");
        final FakeLane a2 = new FakeLane("a");
        final FakeLane b = new FakeLane("b");
        a1.up();
        final Path file;
        try (Worker l4 = Worker.builder().level(4).nextLevel(a1).nextLevel(a2).nextLevel(b).build())
        {
            l4.init();
            file = l4.countersFile();
            assertEquals(1, counter(file, REMOTE_NODES_CONNECTED_TYPE_ID, 0), "a lane already up when init() ran");
            a2.up();
            assertEquals(1, counter(file, REMOTE_NODES_CONNECTED_TYPE_ID, 0), "a second lane to the same node");
            b.up();
            assertEquals(2, counter(file, REMOTE_NODES_CONNECTED_TYPE_ID, 0), "a lane to another node");
            a1.down();
            assertEquals(2, counter(file, REMOTE_NODES_CONNECTED_TYPE_ID, 0), "node a still has a lane up");
            a2.down();
            assertEquals(1, counter(file, REMOTE_NODES_CONNECTED_TYPE_ID, 0), "node a has no lane up");
        }
        assertNull(b.gauge, "the Worker takes its gauge back when it closes");
        // The lane outlives its Worker: its session ending now writes nothing into the removed file.
        b.down();
        assertFalse(Files.exists(file), "counters file removed at close");
    }

    /** A next-level worker that is a lane to a node, reporting its session like a RemoteWorker. */
    private static final class FakeLane implements IWorker, NodeLink
    {
        private final String node;
        private NodeGauge gauge;
        private boolean connected;

        FakeLane(final String node)
        {
            this.node = node;
        }

        @Override
        public String node()
        {
            return node + ":1";
        }

        @Override
        public synchronized void nodeGauge(final NodeGauge newGauge)
        {
            if (gauge != null && connected)
            {
                gauge.laneDown(node);
            }
            gauge = newGauge;
            if (newGauge != null && connected)
            {
                newGauge.laneUp(node);
            }
        }

        synchronized void up()
        {
            connected = true;
            if (gauge != null)
            {
                gauge.laneUp(node);
            }
        }

        synchronized void down()
        {
            connected = false;
            if (gauge != null)
            {
                gauge.laneDown(node);
            }
        }

        @Override
        public void run(final long callable, final TaskArgsView args, final CallConfig config)
        {
        }
    }

    private static long counter(final Path file, final int typeId, final int key)
    {
        try (CountersFile counters = CountersFile.open(file))
        {
            return counters.value(typeId, key);
        }
    }

    /**
     * Poll a counter until it satisfies a condition: the engine publishes it on its own schedule, so there is no
     * event to wait for.
     */
    private static void awaitCounter(final Path file, final int typeId, final int key, final LongPredicate condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        try (CountersFile counters = CountersFile.open(file))
        {
            long value;
            while (!condition.test(value = counters.value(typeId, key)))
            {
                if (System.nanoTime() > deadline)
                {
                    throw new AssertionError("counter type " + typeId + " key " + key + " stayed at " + value);
                }
                Thread.yield();
            }
        }
    }

    private static List<Path> countersFilesOfThisProcess()
    {
        return CountersFile.list(SharedMemoryFile.defaultDirectory()).stream()
            .filter((p) -> CountersFileDescriptor.pidOfFileName(p.getFileName().toString())
                == ProcessHandle.current().pid())
            .toList();
    }

    private static List<String> javaCommand(final Class<?> mainClass)
    {
        final String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        final String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final List<String> command = new ArrayList<>(List.of(java));
        command.addAll(JvmFlags.OPTIONS);
        command.addAll(List.of("-cp", classPath, mainClass.getName()));
        return command;
    }

    /**
     * Run simpler-stat in a JVM of its own, as a user would, and return what it printed.
     */
    private static String runSimplerStat(final String... args) throws IOException, InterruptedException
    {
        final List<String> command = javaCommand(SimplerStat.class);
        command.addAll(List.of(args));
        final Process stat = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            final String output = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(stat.waitFor(WAIT_SECONDS, TimeUnit.SECONDS), "simpler-stat did not exit: " + output);
            assertEquals(0, stat.exitValue(), output);
            return output;
        }
        finally
        {
            stat.destroyForcibly();
            stat.waitFor(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /**
     * The lines simpler-stat printed for one Worker: its header line and its counters.
     */
    private static String sectionOf(final String output, final long pid, final String workerId)
    {
        final String header = "pid " + pid + "  Worker " + workerId + "  ";
        final int start = output.indexOf(header);
        assertTrue(start >= 0, "simpler-stat did not list " + header + ":\n" + output);
        final int end = output.indexOf("\n\n", start);
        return output.substring(start, end < 0 ? output.length() : end);
    }

    private static long valueIn(final String section, final String label)
    {
        final Matcher matcher = Pattern.compile("(?m)^\\s*\\d+:\\s+([\\d,.\\u00a0\\u202f ]+) - " + Pattern.quote(label)
            + "$").matcher(section);
        assertTrue(matcher.find(), "no counter \"" + label + "\" in:\n" + section);
        return Long.parseLong(matcher.group(1).replaceAll("[^0-9]", ""));
    }

    /**
     * Start {@link KilledEngineMain} (a THREAD-mode engine) in a child JVM and wait until its engine is ready.
     */
    private static Process startKilledEngineMain() throws IOException
    {
        final Process child = new ProcessBuilder(javaCommand(KilledEngineMain.class)).redirectErrorStream(true)
            .start();
        final BufferedReader out =
            new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        final StringBuilder transcript = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null && !line.equals(KilledEngineMain.READY))
        {
            transcript.append(line).append('\n');
        }
        if (line == null)
        {
            child.destroyForcibly();
            throw new IllegalStateException("child engine did not start:\n" + transcript);
        }
        return child;
    }
}
