package dev.simpler.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.simpler.engine.trace.ThreadIds;

/**
 * The trace of SPEC §14: {@code startTrace} / {@code stopTrace} write Chrome trace-event JSON (parsed here with
 * Jackson) with one complete event per task on the lane of the process and thread that ran it, flows from producers
 * to consumers, runs as spans, the oldest events dropped and counted when a ring is full, nothing recorded while
 * tracing is off, and a self-contained HTML page beside the JSON.
 */
@Timeout(120)
class TraceTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BRANCHES = 3;
    /** Tasks of one diamond: the source, the branches, the sink. */
    private static final int DIAMOND_TASKS = BRANCHES + 2;
    private static final int RUNS = 2;

    /**
     * Records who ran it in INT64 tensor 0 (NO_DEP): at entry {@code 2 × scalar 0} its pid, at the next its thread's
     * id, the one the trace names lanes with.
     */
    static final SubCallable WHO_RAN = (args) ->
    {
        final int at = 2 * (int)args.scalar(0) * Long.BYTES;
        args.tensor(0).buffer().putLongVolatile(at, ProcessHandle.current().pid());
        args.tensor(0).buffer().putLongVolatile(at + Long.BYTES, ThreadIds.current());
    };

    /** Latches that tasks of the THREAD-mode tests wait for, by the scalar they are given. */
    private static final Map<Long, CountDownLatch> GATES = new ConcurrentHashMap<>();

    @TempDir
    Path dir;

    @AfterEach
    void nothingLeft()
    {
        TestWorkers.assertNoChildAndNoFile();
    }

    static List<WorkerMode> modes()
    {
        return List.of(WorkerMode.THREAD, WorkerMode.PROCESS);
    }

    @ParameterizedTest
    @MethodSource("modes")
    void aDiamondHasOneCompleteEventPerTaskOnTheLaneOfTheThreadThatRanIt(final WorkerMode mode) throws IOException
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(mode).subWorkers(2)))
        {
            final Diamond diamond = new Diamond(worker);
            worker.startTrace();
            for (int run = 0; run < RUNS; run++)
            {
                worker.run(diamond, run);
            }
            final Path json = dir.resolve("diamond.json");
            worker.stopTrace(json);

            final JsonNode trace = JSON.readTree(json.toFile());
            final List<JsonNode> tasks = events(trace, "X", "task");
            assertEquals(RUNS * DIAMOND_TASKS, tasks.size(), "one complete event per task: " + tasks);
            final Map<Long, List<JsonNode>> byClaim = tasks.stream()
                .collect(Collectors.groupingBy((e) -> e.get("args").get("claim").asLong()));
            assertEquals(RUNS * DIAMOND_TASKS, byClaim.size(), "every task's claim once");

            final long enginePid = ProcessHandle.current().pid();
            final Set<Long> childPids = ProcessHandle.current().children().map(ProcessHandle::pid)
                .collect(Collectors.toSet());
            final Map<Integer, List<JsonNode>> byRun = new TreeMap<>(tasks.stream()
                .collect(Collectors.groupingBy((e) -> e.get("args").get("run").asInt())));
            assertEquals(RUNS, byRun.size(), "tasks of " + RUNS + " runs: " + byRun.keySet());
            int run = 0;
            for (final List<JsonNode> ofRun : byRun.values())
            {
                // Claims number the tasks in submit order: source, branches, sink.
                ofRun.sort(Comparator.comparingLong((JsonNode e) -> e.get("args").get("claim").asLong()));
                for (int task = 0; task < DIAMOND_TASKS; task++)
                {
                    final JsonNode event = ofRun.get(task);
                    final int entry = 2 * (run * DIAMOND_TASKS + task);
                    final long pid = diamond.who.buffer().getLong(entry * Long.BYTES);
                    final long tid = diamond.who.buffer().getLong((entry + 1) * Long.BYTES);
                    final String which = "task " + task + " of run " + run + ": " + event;
                    assertEquals(pid, event.get("pid").asLong(), "pid of " + which);
                    assertEquals(tid, event.get("tid").asLong(), "tid of " + which);
                    if (mode == WorkerMode.THREAD)
                    {
                        assertEquals(enginePid, pid, "THREAD mode runs tasks in the engine's process");
                    }
                    else
                    {
                        assertTrue(childPids.contains(pid), "task " + task + " ran in child pid " + pid
                            + ", one of the engine's children " + childPids);
                    }
                    final JsonNode args = event.get("args");
                    assertEquals("sub", args.get("kind").asText());
                    assertEquals(task == 0 ? diamond.source : task == DIAMOND_TASKS - 1 ? diamond.sink
                        : diamond.branch, args.get("callable").asLong());
                    assertTrue(args.get("worker").asText().startsWith("sub worker "), event.toString());
                    assertTrue(args.has("slot"), event.toString());
                    assertTrue(event.get("dur").asDouble() >= 0, event.toString());
                    assertFalse(args.has("clock"), "the task's times are its runner's own: " + event);
                }
                run++;
            }
            assertLanesAreNamed(trace, tasks, mode, worker);
            assertFlowsConnectEveryConsumerToItsProducers(trace, byRun);
            assertRunsAreSpansAroundTheirTasks(trace, byRun);
            assertSubmitAndReadyAreOnTheOrchestratingThreadsLane(trace, tasks);
            assertEquals(0, trace.get("otherData").get("droppedEvents").asLong());
            assertEquals(mode.name(), trace.get("otherData").get("mode").asText());
        }
    }

    @Test
    void thePageBesideTheJsonDrawsTheSameTraceWithoutTheNetwork() throws IOException
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final Diamond diamond = new Diamond(worker);
            worker.startTrace();
            worker.run(diamond, 0);
            final Path json = dir.resolve("page.json");
            worker.stopTrace(json);

            final Path page = dir.resolve("page.html");
            assertTrue(Files.isRegularFile(page), "the page is written beside the JSON, .json replaced by .html");
            final String html = Files.readString(page, StandardCharsets.UTF_8);
            assertFalse(html.contains("http://") || html.contains("https://"), "no address at all in the page");
            assertFalse(html.matches("(?s).*<script[^>]+src.*") || html.contains("<link")
                || html.contains("@import") || html.contains("url("), "no external script, style or resource");
            final String mark = "const TRACE = ";
            final int from = html.indexOf(mark) + mark.length();
            final int to = html.indexOf(";\n", from);
            assertTrue(from > mark.length() && to > from, "the trace is embedded in the page");
            assertEquals(JSON.readTree(json.toFile()), JSON.readTree(html.substring(from, to)),
                "the page embeds the JSON that was written");
            assertTrue(html.contains("<canvas"), "the page draws on a canvas");
        }
    }

    @Test
    void aPathWithoutAnExtensionGetsItsPageBesideItWithHtmlAppended() throws IOException
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(1)))
        {
            worker.startTrace();
            worker.run(new Diamond(worker), 0);
            worker.stopTrace(dir.resolve("trace"));
            assertTrue(Files.isRegularFile(dir.resolve("trace")));
            assertTrue(Files.isRegularFile(dir.resolve("trace.html")));
        }
    }

    @Test
    void aFullRingDropsItsOldestEventsAndSaysHowMany() throws IOException
    {
        final int tasks = 200;
        final int ring = 16;
        try (Worker worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(1)))
        {
            final Tensor who = worker.sharedTensor(DataType.INT64, 2 * tasks);
            final int id = worker.register(WHO_RAN);
            worker.startTrace(ring);
            worker.run((orch, unused) ->
            {
                for (int i = 0; i < tasks; i++)
                {
                    orch.submitSub(id, new TaskArgs().noDep(who).addScalar(i));
                }
            }, null);
            final Path json = dir.resolve("full.json");
            final String stderr = capturingStderr(() -> worker.stopTrace(json));

            final JsonNode trace = JSON.readTree(json.toFile());
            final long dropped = trace.get("otherData").get("droppedEvents").asLong();
            assertEquals(ring, trace.get("otherData").get("eventsPerThread").asInt());
            // The orchestrating thread records a submit per task and the worker thread a run per task: each far more
            // than its ring holds.
            assertTrue(dropped >= 2 * (tasks - ring), "dropped " + dropped);
            assertTrue(stderr.contains("lost its " + dropped + " oldest event(s)"), stderr);
            // The one worker thread runs the tasks in submit order and records each run last: its ring keeps the
            // runs of the newest tasks, claims 1..200 in this fresh engine.
            final List<Long> ran = events(trace, "X", "task").stream().map(TraceTest::claim).sorted().toList();
            assertFalse(ran.isEmpty());
            assertTrue(ran.size() <= ring, "a ring keeps at most its capacity: " + ran.size());
            assertEquals(tasks, ran.get(ran.size() - 1).longValue(), "the newest run is kept: " + ran);
            for (int i = 1; i < ran.size(); i++)
            {
                assertEquals(ran.get(i - 1) + 1, ran.get(i).longValue(), "the kept runs are the last ones, in a row: "
                    + ran);
            }
        }
    }

    @Test
    void nothingIsRecordedWhileTracingIsOff() throws IOException
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final Diamond diamond = new Diamond(worker);
            worker.run(diamond, 0);
            worker.startTrace();
            worker.stopTrace(dir.resolve("before.json"));
            worker.startTrace();
            worker.run(diamond, 1);
            worker.stopTrace(dir.resolve("during.json"));
            worker.run(diamond, 2);
            worker.startTrace();
            worker.stopTrace(dir.resolve("after.json"));

            for (final String name : List.of("before.json", "after.json"))
            {
                final JsonNode trace = JSON.readTree(dir.resolve(name).toFile());
                final List<JsonNode> recorded = new ArrayList<>();
                trace.get("traceEvents").forEach((e) ->
                {
                    if (!"M".equals(e.get("ph").asText()))
                    {
                        recorded.add(e);
                    }
                });
                assertEquals(List.of(), recorded, name + ": runs outside startTrace..stopTrace leave nothing");
            }
            final JsonNode during = JSON.readTree(dir.resolve("during.json").toFile());
            assertEquals(DIAMOND_TASKS, events(during, "X", "task").size());
            assertEquals(Set.of(2), events(during, "X", "task").stream()
                .map((e) -> e.get("args").get("run").asInt()).collect(Collectors.toSet()), "only the traced run");
        }
    }

    @Test
    void stopTraceWaitsForTheRunsInFlight() throws IOException
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(2)
            .maxRunsInFlight(2)))
        {
            final Diamond diamond = new Diamond(worker);
            worker.startTrace();
            final RunHandle first = worker.submit(diamond, 0);
            final RunHandle second = worker.submit(diamond, 1);
            worker.stopTrace(dir.resolve("inflight.json"));
            assertTrue(first.isDone() && second.isDone(), "stopTrace returned after the runs in flight finished");
            first.join();
            second.join();
            final JsonNode trace = JSON.readTree(dir.resolve("inflight.json").toFile());
            assertEquals(2 * DIAMOND_TASKS, events(trace, "X", "task").size());
            assertEquals(2, events(trace, "e", "run").size());
        }
    }

    @Test
    void aTraceStartedWhileARunIsInFlightShowsWhatItsTasksDidAfterwards() throws IOException, InterruptedException
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final Diamond diamond = new Diamond(worker);
            // A traced run first: its slots keep what was copied for that trace, which the next one must not use.
            worker.startTrace();
            worker.run(diamond, 0);
            worker.stopTrace(dir.resolve("first.json"));

            final CountDownLatch started = new CountDownLatch(1);
            final CountDownLatch release = new CountDownLatch(1);
            final int gate = worker.register((args) ->
            {
                GATES.get(args.scalar(0)).countDown();
                TestWorkers.await(GATES.get(args.scalar(0) + 1));
            });
            GATES.put(7L, started);
            GATES.put(8L, release);
            final RunHandle handle = worker.submit((orch, unused) ->
            {
                orch.submitSub(gate, new TaskArgs().outputExisting(diamond.data).addScalar(7));
                diamond.orchestrate(orch, 1);
            }, null);
            TestWorkers.await(started);
            worker.startTrace();
            release.countDown();
            worker.stopTrace(dir.resolve("second.json"));
            handle.join();

            final JsonNode trace = JSON.readTree(dir.resolve("second.json").toFile());
            final List<JsonNode> tasks = events(trace, "X", "task");
            // The gate was running already when the trace started: the diamond behind it ran while tracing.
            assertEquals(DIAMOND_TASKS, tasks.size(), "every task that started while tracing: " + tasks);
            assertEquals(Set.of(2), tasks.stream().map((e) -> e.get("args").get("run").asInt())
                .collect(Collectors.toSet()), "all of the second run");
            assertEquals(DIAMOND_TASKS, tasks.stream().map(TraceTest::claim).distinct().count());
            final Set<Long> earlier = events(JSON.readTree(dir.resolve("first.json").toFile()), "X", "task")
                .stream().map(TraceTest::claim).collect(Collectors.toSet());
            assertTrue(tasks.stream().map(TraceTest::claim).noneMatch(earlier::contains),
                "no claim of the earlier trace's tasks: " + earlier);
            assertEquals(List.of(), events(trace, "i", "submit"), "submitted before the trace started");
            assertEquals(1, events(trace, "e", "run").size(), "the run's end");
            final List<JsonNode> begins = events(trace, "b", "run");
            assertEquals(1, begins.size());
            assertEquals(0.0, begins.get(0).get("ts").asDouble(), "a run that began before the trace is drawn from "
                + "the trace's start");
        }
        finally
        {
            GATES.clear();
        }
    }

    @Test
    void misuseIsRefusedWithAMessageThatNamesIt() throws IOException
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(1)))
        {
            final IllegalStateException without = assertThrows(IllegalStateException.class,
                () -> worker.stopTrace(dir.resolve("none.json")));
            assertTrue(without.getMessage().contains("without startTrace"), without.getMessage());

            worker.startTrace();
            final IllegalStateException twice = assertThrows(IllegalStateException.class, worker::startTrace);
            assertTrue(twice.getMessage().contains("already"), twice.getMessage());

            final Path missing = dir.resolve("no-such-directory").resolve("t.json");
            final IllegalArgumentException unwritable = assertThrows(IllegalArgumentException.class,
                () -> worker.stopTrace(missing));
            assertTrue(unwritable.getMessage().contains(missing.getParent().toString())
                && unwritable.getMessage().contains("does not exist"), unwritable.getMessage());

            worker.run(new Diamond(worker), 0);
            worker.stopTrace(dir.resolve("after-refusal.json"));
            assertEquals(DIAMOND_TASKS, events(JSON.readTree(dir.resolve("after-refusal.json").toFile()), "X",
                "task").size(), "tracing went on after the refused path");

            final IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> worker.startTrace(1));
            assertTrue(range.getMessage().contains("eventsPerThread"), range.getMessage());
            final IllegalStateException inside = assertThrows(IllegalStateException.class, () ->
            {
                worker.startTrace();
                worker.run((orch, unused) -> worker.stopTrace(dir.resolve("inside.json")), null);
            });
            assertTrue(inside.getMessage().contains("inside an orchestration function"), inside.getMessage());
            worker.stopTrace(dir.resolve("closing.json"));
        }
    }

    // ------------------------------------------------------------------------------------------ checks

    private static void assertLanesAreNamed(
        final JsonNode trace, final List<JsonNode> tasks, final WorkerMode mode, final Worker worker)
    {
        final Map<Long, String> processNames = new HashMap<>();
        final Map<List<Long>, String> threadNames = new HashMap<>();
        for (final JsonNode e : trace.get("traceEvents"))
        {
            if ("M".equals(e.get("ph").asText()) && "process_name".equals(e.get("name").asText()))
            {
                processNames.put(e.get("pid").asLong(), e.get("args").get("name").asText());
            }
            if ("M".equals(e.get("ph").asText()) && "thread_name".equals(e.get("name").asText()))
            {
                threadNames.put(List.of(e.get("pid").asLong(), e.get("tid").asLong()),
                    e.get("args").get("name").asText());
            }
        }
        for (final JsonNode task : tasks)
        {
            final long pid = task.get("pid").asLong();
            final String thread = threadNames.get(List.of(pid, task.get("tid").asLong()));
            assertNotNull(processNames.get(pid), "the process of " + task + " is named");
            assertNotNull(thread, "the thread of " + task + " is named");
            if (mode == WorkerMode.THREAD)
            {
                assertTrue(thread.startsWith(TestWorkers.THREAD_PREFIX) && thread.contains("-sub-"),
                    "a sub worker thread: " + thread);
            }
            else
            {
                assertTrue(processNames.get(pid).contains("child pid " + pid), processNames.get(pid));
            }
        }
    }

    private static void assertFlowsConnectEveryConsumerToItsProducers(
        final JsonNode trace, final Map<Integer, List<JsonNode>> byRun)
    {
        final Map<Long, JsonNode> starts = new HashMap<>();
        final Map<Long, JsonNode> ends = new HashMap<>();
        for (final JsonNode e : trace.get("traceEvents"))
        {
            if ("flow".equals(e.path("cat").asText()))
            {
                (e.get("ph").asText().equals("s") ? starts : ends).put(e.get("id").asLong(), e);
            }
        }
        assertEquals(starts.keySet(), ends.keySet(), "every flow has both ends");
        final Map<Long, JsonNode> taskByClaim = new HashMap<>();
        byRun.values().forEach((tasks) -> tasks.forEach((t) -> taskByClaim.put(claim(t), t)));
        final Set<List<Long>> edges = new HashSet<>();
        for (final Map.Entry<Long, JsonNode> flow : starts.entrySet())
        {
            final JsonNode start = flow.getValue();
            final JsonNode end = ends.get(flow.getKey());
            final JsonNode producer = taskByClaim.get(start.get("args").get("producer").asLong());
            final JsonNode consumer = taskByClaim.get(start.get("args").get("consumer").asLong());
            assertNotNull(producer, "flow from a task that ran: " + start);
            assertNotNull(consumer, "flow to a task that ran: " + start);
            assertTrue(edges.add(List.of(producer.get("args").get("claim").asLong(),
                consumer.get("args").get("claim").asLong())), "one flow per edge: " + start);
            // Each end is bound to its task's slice: on its lane, inside its time.
            assertEquals(producer.get("pid"), start.get("pid"));
            assertEquals(producer.get("tid"), start.get("tid"));
            final double producerStart = producer.get("ts").asDouble();
            assertTrue(start.get("ts").asDouble() >= producerStart
                && start.get("ts").asDouble() <= producerStart + producer.get("dur").asDouble(), start.toString());
            assertEquals(consumer.get("pid"), end.get("pid"));
            assertEquals(consumer.get("tid"), end.get("tid"));
            assertEquals(consumer.get("ts").asDouble(), end.get("ts").asDouble(), 1e-9);
            assertEquals("e", end.get("bp").asText());
        }
        final Set<List<Long>> expected = new HashSet<>();
        for (final List<JsonNode> tasks : byRun.values())
        {
            final long source = tasks.get(0).get("args").get("claim").asLong();
            final long sink = tasks.get(DIAMOND_TASKS - 1).get("args").get("claim").asLong();
            for (int b = 1; b <= BRANCHES; b++)
            {
                final long branch = tasks.get(b).get("args").get("claim").asLong();
                expected.add(List.of(source, branch));
                expected.add(List.of(branch, sink));
            }
        }
        assertEquals(expected, edges, "source → each branch → sink, and nothing else");
    }

    private static void assertRunsAreSpansAroundTheirTasks(
        final JsonNode trace, final Map<Integer, List<JsonNode>> byRun)
    {
        final List<JsonNode> begins = events(trace, "b", "run");
        final List<JsonNode> ends = events(trace, "e", "run");
        assertEquals(byRun.keySet(), begins.stream().map((e) -> e.get("id").asInt()).collect(Collectors.toSet()));
        assertEquals(byRun.keySet(), ends.stream().map((e) -> e.get("id").asInt()).collect(Collectors.toSet()));
        for (final JsonNode begin : begins)
        {
            final int run = begin.get("id").asInt();
            final JsonNode end = ends.stream().filter((e) -> e.get("id").asInt() == run).findFirst().orElseThrow();
            assertEquals(begin.get("name"), end.get("name"));
            assertEquals("ok", end.get("args").get("outcome").asText());
            assertEquals(DIAMOND_TASKS, end.get("args").get("tasks").asInt());
            for (final JsonNode task : byRun.get(run))
            {
                assertTrue(task.get("ts").asDouble() >= begin.get("ts").asDouble(), "task after its run began");
                assertTrue(task.get("ts").asDouble() + task.get("dur").asDouble() <= end.get("ts").asDouble() + 1e-3,
                    "task ended before its run finished: " + task + " " + end);
            }
        }
    }

    private static void assertSubmitAndReadyAreOnTheOrchestratingThreadsLane(
        final JsonNode trace, final List<JsonNode> tasks)
    {
        final long main = ThreadIds.current();
        final List<JsonNode> submits = events(trace, "i", "submit");
        final List<JsonNode> readies = events(trace, "i", "ready");
        assertEquals(tasks.size(), submits.size());
        assertEquals(tasks.size(), readies.size());
        for (final JsonNode e : submits)
        {
            assertEquals(main, e.get("tid").asLong(), "submitted on this thread: " + e);
        }
        for (final JsonNode e : readies)
        {
            assertEquals(main, e.get("tid").asLong(), "drawn on the submitting thread's lane: " + e);
        }
        final Map<Long, Double> submitted = submits.stream()
            .collect(Collectors.toMap(TraceTest::claim, (e) -> e.get("ts").asDouble()));
        final Map<Long, Double> ready = readies.stream()
            .collect(Collectors.toMap(TraceTest::claim, (e) -> e.get("ts").asDouble()));
        for (final JsonNode task : tasks)
        {
            final long claim = claim(task);
            assertTrue(submitted.get(claim) <= ready.get(claim) && ready.get(claim) <= task.get("ts").asDouble(),
                "submit " + submitted.get(claim) + " <= ready " + ready.get(claim) + " <= start of " + task);
        }
    }

    private static long claim(final JsonNode task)
    {
        return task.get("args").get("claim").asLong();
    }

    private static List<JsonNode> events(final JsonNode trace, final String phase, final String category)
    {
        final List<JsonNode> found = new ArrayList<>();
        for (final JsonNode e : trace.get("traceEvents"))
        {
            if (phase.equals(e.get("ph").asText()) && category.equals(e.path("cat").asText()))
            {
                found.add(e);
            }
        }
        return found;
    }

    private static String capturingStderr(final Runnable action)
    {
        final PrintStream original = System.err;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try
        {
            action.run();
        }
        finally
        {
            System.setErr(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    /**
     * Source → {@value #BRANCHES} branches → sink over shared tensors, each task recording who ran it: the source
     * writes {@code data}, branch b reads it and writes row b of {@code parts}, the sink reads {@code parts}.
     */
    private static final class Diamond implements OrchFn<Integer>
    {
        final Tensor data;
        final Tensor parts;
        final Tensor who;
        final int source;
        final int branch;
        final int sink;

        Diamond(final Worker worker)
        {
            data = worker.sharedTensor(DataType.INT64, 8);
            parts = worker.sharedTensor(DataType.INT64, BRANCHES, 8);
            who = worker.sharedTensor(DataType.INT64, 2 * DIAMOND_TASKS * 8);
            source = worker.register(WHO_RAN);
            branch = worker.register(WHO_RAN);
            sink = worker.register(WHO_RAN);
        }

        @Override
        public void orchestrate(final Orchestrator orch, final Integer run)
        {
            final int first = run * DIAMOND_TASKS;
            orch.submitSub(source, new TaskArgs().noDep(who).outputExisting(data).addScalar(first));
            for (int b = 0; b < BRANCHES; b++)
            {
                orch.submitSub(branch, new TaskArgs().noDep(who).input(data).outputExisting(parts.slice(b, b + 1))
                    .addScalar(first + 1 + b));
            }
            orch.submitSub(sink, new TaskArgs().noDep(who).input(parts).addScalar(first + DIAMOND_TASKS - 1));
        }
    }
}
