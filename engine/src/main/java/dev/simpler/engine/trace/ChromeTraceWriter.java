package dev.simpler.engine.trace;

import static dev.simpler.engine.trace.TraceDescriptor.CALLABLE;
import static dev.simpler.engine.trace.TraceDescriptor.CLAIM;
import static dev.simpler.engine.trace.TraceDescriptor.END_TIME;
import static dev.simpler.engine.trace.TraceDescriptor.FAILED_TASKS;
import static dev.simpler.engine.trace.TraceDescriptor.FLAG_ABANDONED;
import static dev.simpler.engine.trace.TraceDescriptor.FLAG_ENGINE_CLOCK;
import static dev.simpler.engine.trace.TraceDescriptor.FLAG_FAILED;
import static dev.simpler.engine.trace.TraceDescriptor.HEADER;
import static dev.simpler.engine.trace.TraceDescriptor.PROCESS_THREAD;
import static dev.simpler.engine.trace.TraceDescriptor.PRODUCER_CLAIM;
import static dev.simpler.engine.trace.TraceDescriptor.SKIPPED_TASKS;
import static dev.simpler.engine.trace.TraceDescriptor.SLOT_RUN;
import static dev.simpler.engine.trace.TraceDescriptor.TIME;
import static dev.simpler.engine.trace.TraceDescriptor.WORKER_MEMBERS;
import static dev.simpler.engine.trace.TraceDescriptor.flags;
import static dev.simpler.engine.trace.TraceDescriptor.high;
import static dev.simpler.engine.trace.TraceDescriptor.kind;
import static dev.simpler.engine.trace.TraceDescriptor.low;
import static dev.simpler.engine.trace.TraceDescriptor.member;
import static dev.simpler.engine.trace.TraceDescriptor.type;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.simpler.engine.scheduler.TaskSlot;

/**
 * Writes a stopped recording as Chrome trace-event JSON (the format Perfetto and {@code chrome://tracing} open) and,
 * beside it, a self-contained HTML page that draws the same lanes ({@link TracePage}).
 *
 * <p>What the JSON holds (SPEC §14):
 * <ul>
 *   <li>each run of a task (each member of a group) as one complete event, {@code "ph":"X"}, {@code "cat":"task"},
 *       on the pid and tid of the process and thread that ran it: the engine's pid and the worker thread's Linux
 *       thread id in THREAD mode, the child's pid and its task thread's id in PROCESS mode; its {@code args} hold
 *       {@code slot}, {@code run}, {@code claim} (the task's number among the engine's tasks), {@code callable},
 *       {@code kind}, {@code worker}, {@code member}, {@code queued_us} (from ready to start) when known, and
 *       {@code failed} and {@code clock} when they apply;</li>
 *   <li>the submit and the moment the task became ready as instant events ({@code "ph":"i"}, {@code "cat"}
 *       {@code "submit"} and {@code "ready"}) on the lane of the thread that submitted it;</li>
 *   <li>each producer → consumer edge as a flow ({@code "ph":"s"} on the producer's run, {@code "ph":"f"} with
 *       {@code "bp":"e"} on the consumer's, {@code "cat":"flow"}), between tasks that both ran while tracing;</li>
 *   <li>each run as an async span ({@code "ph":"b"} / {@code "e"}, {@code "cat":"run"}, {@code id} the run's
 *       number) on the engine's process, from its start to its last task's completion;</li>
 *   <li>{@code process_name}, {@code thread_name} and sort-index metadata events naming every lane, and
 *       {@code otherData} with the engine, the mode, the ring size and the {@code droppedEvents}.</li>
 * </ul>
 * Timestamps are microseconds (with nanosecond decimals) of {@link System#nanoTime()} since the trace started;
 * a child's times are its own {@code System.nanoTime()}, the same CLOCK_MONOTONIC on Linux.
 *
 * <p>Not thread-safe: used once, by the thread stopping the trace.
 */
final class ChromeTraceWriter
{
    private static final long ENGINE_SORT = 0;
    private static final long CHILD_SORT = 10;

    private final String engineId;
    private final String mode;
    private final TraceSession session;
    private final long stoppedNs;
    private final List<String> workers;
    private final long enginePid = ProcessHandle.current().pid();
    private final StringBuilder out = new StringBuilder(1 << 16);
    private boolean firstEvent = true;
    private long originNs;

    ChromeTraceWriter(
        final String engineId, final String mode, final TraceSession session, final long stoppedNs,
        final List<String> workers)
    {
        this.engineId = engineId;
        this.mode = mode;
        this.session = session;
        this.stoppedNs = stoppedNs;
        this.workers = workers;
    }

    /**
     * The name of a task kind in traces and JFR events.
     *
     * @param kind one of {@link TaskSlot}'s KIND_ constants.
     * @return "sub", "next-level" or "alloc".
     */
    static String kindName(final int kind)
    {
        switch (kind)
        {
            case TaskSlot.KIND_SUB:
                return "sub";
            case TaskSlot.KIND_NEXT_LEVEL:
                return "next-level";
            default:
                return "alloc";
        }
    }

    /**
     * The page written beside a JSON file: the same name with {@code .html} for {@code .json}, else {@code .html}
     * appended.
     *
     * @param json the JSON file.
     * @return the page's path.
     */
    static Path pageFor(final Path json)
    {
        final String name = json.getFileName().toString();
        final String page = name.endsWith(".json") ? name.substring(0, name.length() - 5) + ".html" : name + ".html";
        return json.resolveSibling(page);
    }

    TraceSummary write(final Path json) throws IOException
    {
        final List<TraceBuffer> buffers = session.buffers();
        final Map<Long, TaskRecords> tasks = new HashMap<>();
        final Map<Integer, RunRecords> runs = new TreeMap<>();
        final Map<Long, Lane> childLanes = new LinkedHashMap<>();
        originNs = session.startNs();
        long dropped = 0;
        for (final TraceBuffer buffer : buffers)
        {
            dropped += buffer.dropped();
            final long[] r = buffer.records();
            for (int i = 0, n = buffer.size(); i < n; i++)
            {
                final int at = buffer.recordAt(i);
                if (type(r[at + HEADER]) != TraceDescriptor.DEPENDENCY)
                {
                    originNs = Math.min(originNs, r[at + TIME]);
                }
                collect(buffer, r, at, tasks, runs, childLanes);
            }
        }

        out.append("{\"traceEvents\":[\n");
        final Map<TraceBuffer, Lane> engineLanes = engineLanes(buffers, tasks);
        writeLaneNames(engineLanes, childLanes);
        int taskEvents = 0;
        for (final TaskRecords task : tasks.values())
        {
            taskEvents += writeTask(task, engineLanes, childLanes);
        }
        writeFlows(buffers, tasks, engineLanes, childLanes);
        writeRuns(runs, engineLanes, tasks);
        out.append("\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{");
        field("engine", engineId).append(',');
        field("mode", mode).append(',');
        field("pid", enginePid).append(',');
        field("eventsPerThread", session.capacity()).append(',');
        field("droppedEvents", dropped).append(',');
        field("clock", "System.nanoTime (CLOCK_MONOTONIC on Linux), in microseconds since the trace started");
        out.append("}}\n");

        final String text = out.toString();
        Files.writeString(json, text, UTF_8);
        final Path html = pageFor(json);
        TracePage.write(html, text, "simpler trace: Worker " + engineId + " (" + mode + ")");
        return new TraceSummary(json, html, taskEvents, dropped);
    }

    // ------------------------------------------------------------------------------------------ collecting

    private void collect(
        final TraceBuffer buffer, final long[] r, final int at, final Map<Long, TaskRecords> tasks,
        final Map<Integer, RunRecords> runs, final Map<Long, Lane> childLanes)
    {
        final long header = r[at + HEADER];
        switch (type(header))
        {
            case TraceDescriptor.SUBMIT:
            {
                final TaskRecords task = task(tasks, r[at + CLAIM]);
                task.submit = buffer;
                task.submitNs = r[at + TIME];
                task.describe(r, at);
                break;
            }
            case TraceDescriptor.READY:
            {
                final TaskRecords task = task(tasks, r[at + CLAIM]);
                task.readyBy = buffer;
                task.readyNs = r[at + TIME];
                task.slotRun = r[at + SLOT_RUN];
                break;
            }
            case TraceDescriptor.DEPENDENCY:
                break;
            case TraceDescriptor.TASK:
            {
                final TaskRecords task = task(tasks, r[at + CLAIM]);
                task.describe(r, at);
                task.runs.add(new Ran(buffer, at));
                final int childPid = low(r[at + PROCESS_THREAD]);
                if (childPid != 0)
                {
                    final int childThread = high(r[at + PROCESS_THREAD]);
                    final int tid = childThread != 0 ? childThread : childPid;
                    childLanes.computeIfAbsent(laneKey(childPid, tid), key -> new Lane(childPid, tid,
                        workerName(low(r[at + WORKER_MEMBERS])) + " (child pid " + childPid + ")",
                        childThread != 0 ? "task thread" : "task thread (id not reported)",
                        CHILD_SORT + low(r[at + WORKER_MEMBERS])));
                }
                break;
            }
            case TraceDescriptor.RUN_BEGIN:
            {
                final RunRecords run = runs.computeIfAbsent(high(r[at + SLOT_RUN]), RunRecords::new);
                run.begin = buffer;
                run.beginNs = r[at + TIME];
                break;
            }
            case TraceDescriptor.RUN_END:
            {
                final RunRecords run = runs.computeIfAbsent(high(r[at + SLOT_RUN]), RunRecords::new);
                run.end = buffer;
                run.endNs = r[at + TIME];
                run.failed = (int)r[at + FAILED_TASKS];
                run.skipped = (int)r[at + SKIPPED_TASKS];
                run.abandoned = (flags(header) & FLAG_ABANDONED) != 0;
                break;
            }
            default:
                throw new IllegalStateException("unknown trace record type " + type(header));
        }
    }

    private static TaskRecords task(final Map<Long, TaskRecords> tasks, final long claim)
    {
        return tasks.computeIfAbsent(claim, TaskRecords::new);
    }

    private Map<TraceBuffer, Lane> engineLanes(final List<TraceBuffer> buffers, final Map<Long, TaskRecords> tasks)
    {
        // Threads that submitted first, then worker threads in worker order, then any other thread.
        final Map<TraceBuffer, Long> order = new HashMap<>();
        for (final TaskRecords task : tasks.values())
        {
            if (task.submit != null)
            {
                order.putIfAbsent(task.submit, 1L);
            }
            for (final Ran ran : task.runs)
            {
                if (low(ran.buffer.records()[ran.at + PROCESS_THREAD]) == 0)
                {
                    order.putIfAbsent(ran.buffer, 10L + low(ran.buffer.records()[ran.at + WORKER_MEMBERS]));
                }
            }
        }
        final Map<TraceBuffer, Lane> lanes = new LinkedHashMap<>();
        for (final TraceBuffer buffer : buffers)
        {
            lanes.put(buffer, new Lane(enginePid, buffer.threadId(), "simpler engine " + engineId + " (" + mode
                + ", pid " + enginePid + ")", buffer.threadName(), order.getOrDefault(buffer, 1000L)));
        }
        return lanes;
    }

    // ------------------------------------------------------------------------------------------ writing

    private void writeLaneNames(final Map<TraceBuffer, Lane> engineLanes, final Map<Long, Lane> childLanes)
    {
        if (!engineLanes.isEmpty())
        {
            final Lane any = engineLanes.values().iterator().next();
            processMetadata(any.pid, any.processName, ENGINE_SORT);
        }
        for (final Lane lane : engineLanes.values())
        {
            threadMetadata(lane);
        }
        final Map<Long, Boolean> named = new HashMap<>();
        for (final Lane lane : childLanes.values())
        {
            if (named.put(lane.pid, Boolean.TRUE) == null)
            {
                processMetadata(lane.pid, lane.processName, lane.sort);
            }
            threadMetadata(lane);
        }
    }

    private void processMetadata(final long pid, final String name, final long sort)
    {
        begin("M", "process_name", null, pid, 0).append(",\"args\":{");
        field("name", name).append("}}");
        begin("M", "process_sort_index", null, pid, 0).append(",\"args\":{");
        field("sort_index", sort).append("}}");
    }

    private void threadMetadata(final Lane lane)
    {
        begin("M", "thread_name", null, lane.pid, lane.tid).append(",\"args\":{");
        field("name", lane.threadName).append("}}");
        begin("M", "thread_sort_index", null, lane.pid, lane.tid).append(",\"args\":{");
        field("sort_index", lane.sort).append("}}");
    }

    private int writeTask(
        final TaskRecords task, final Map<TraceBuffer, Lane> engineLanes, final Map<Long, Lane> childLanes)
    {
        final String name = task.name();
        final Lane submitLane = task.submit != null ? engineLanes.get(task.submit) : null;
        if (submitLane != null)
        {
            begin("i", "submit " + name, "submit", submitLane.pid, submitLane.tid);
            at(task.submitNs).append(",\"s\":\"t\",\"args\":{");
            taskIds(task).append("}}");
        }
        if (task.readyBy != null && task.submit != null)
        {
            // The moment is what the thread that made it ready last recorded: the end of the producer it completed,
            // which can precede the submit by a hair when the producer finished while the consumer was being wired.
            task.readyNs = Math.max(task.readyNs, task.submitNs);
        }
        if (task.readyBy != null)
        {
            // Drawn on the orchestrating thread's lane, whoever made it ready.
            final Lane lane = submitLane != null ? submitLane : engineLanes.get(task.readyBy);
            begin("i", "ready " + name, "ready", lane.pid, lane.tid);
            at(task.readyNs).append(",\"s\":\"t\",\"args\":{");
            taskIds(task).append(',');
            field("by", task.readyBy.threadName()).append("}}");
        }
        for (final Ran ran : task.runs)
        {
            final long[] r = ran.buffer.records();
            final Lane lane = laneOf(ran, engineLanes, childLanes);
            final long header = r[ran.at + HEADER];
            final long start = r[ran.at + TIME];
            final long end = Math.max(start, r[ran.at + END_TIME]);
            begin("X", name, "task", lane.pid, lane.tid);
            at(start).append(",\"dur\":");
            micros(end - start).append(",\"args\":{");
            taskIds(task).append(',');
            field("callable", r[ran.at + CALLABLE]).append(',');
            field("kind", kindName(kind(header))).append(',');
            field("worker", workerName(low(r[ran.at + WORKER_MEMBERS]))).append(',');
            field("member", member(header));
            final int members = high(r[ran.at + WORKER_MEMBERS]);
            if (members > 1)
            {
                out.append(',');
                field("group", members);
            }
            if (task.readyBy != null)
            {
                out.append(",\"queued_us\":");
                micros(Math.max(0, start - task.readyNs));
            }
            if ((flags(header) & FLAG_FAILED) != 0)
            {
                out.append(",\"failed\":true");
            }
            if ((flags(header) & FLAG_ENGINE_CLOCK) != 0)
            {
                out.append(',');
                field("clock", "engine: the child did not report its times");
            }
            out.append("}}");
        }
        return task.runs.size();
    }

    private void writeFlows(
        final List<TraceBuffer> buffers, final Map<Long, TaskRecords> tasks, final Map<TraceBuffer, Lane> engineLanes,
        final Map<Long, Lane> childLanes)
    {
        long flowId = 0;
        for (final TraceBuffer buffer : buffers)
        {
            final long[] r = buffer.records();
            for (int i = 0, n = buffer.size(); i < n; i++)
            {
                final int at = buffer.recordAt(i);
                if (type(r[at + HEADER]) != TraceDescriptor.DEPENDENCY)
                {
                    continue;
                }
                final TaskRecords producer = tasks.get(r[at + PRODUCER_CLAIM]);
                final TaskRecords consumer = tasks.get(r[at + CLAIM]);
                if (producer == null || consumer == null || producer.runs.isEmpty() || consumer.runs.isEmpty())
                {
                    // An allocation, a task that was skipped, or one that ran before the trace started.
                    continue;
                }
                // From the member that finished last (the producer completed then) to every member of the consumer.
                Ran from = producer.runs.get(0);
                for (final Ran ran : producer.runs)
                {
                    if (ran.end() > from.end())
                    {
                        from = ran;
                    }
                }
                final Lane fromLane = laneOf(from, engineLanes, childLanes);
                final long fromNs = from.end() > from.start() ? from.end() - 1 : from.start();
                for (final Ran to : consumer.runs)
                {
                    flowId++;
                    final Lane toLane = laneOf(to, engineLanes, childLanes);
                    begin("s", "dependency", "flow", fromLane.pid, fromLane.tid);
                    at(fromNs).append(",\"id\":").append(flowId).append(",\"args\":{");
                    field("producer", producer.claim).append(',');
                    field("consumer", consumer.claim).append("}}");
                    begin("f", "dependency", "flow", toLane.pid, toLane.tid);
                    at(to.start()).append(",\"id\":").append(flowId).append(",\"bp\":\"e\"}");
                }
            }
        }
    }

    private void writeRuns(
        final Map<Integer, RunRecords> runs, final Map<TraceBuffer, Lane> engineLanes,
        final Map<Long, TaskRecords> tasks)
    {
        final Map<Integer, Integer> tasksOfRun = new HashMap<>();
        for (final TaskRecords task : tasks.values())
        {
            if (task.submit != null)
            {
                tasksOfRun.merge(high(task.slotRun), 1, Integer::sum);
            }
        }
        for (final RunRecords run : runs.values())
        {
            final TraceBuffer laneBuffer = run.begin != null ? run.begin : run.end;
            final Lane lane = engineLanes.get(laneBuffer);
            final String name = "run " + run.run;
            begin("b", name, "run", lane.pid, lane.tid);
            at(run.begin != null ? run.beginNs : originNs).append(",\"id\":").append(run.run).append(",\"args\":{");
            field("run", run.run).append("}}");
            begin("e", name, "run", lane.pid, lane.tid);
            at(run.end != null ? run.endNs : stoppedNs).append(",\"id\":").append(run.run).append(",\"args\":{");
            field("run", run.run).append(',');
            field("tasks", tasksOfRun.getOrDefault(run.run, 0)).append(',');
            field("failed", run.failed).append(',');
            field("skipped", run.skipped).append(',');
            field("outcome", run.end == null ? "in flight when the trace stopped"
                : run.abandoned ? "abandoned" : run.failed > 0 ? "failed" : "ok").append("}}");
        }
    }

    private Lane laneOf(final Ran ran, final Map<TraceBuffer, Lane> engineLanes, final Map<Long, Lane> childLanes)
    {
        final long processThread = ran.buffer.records()[ran.at + PROCESS_THREAD];
        final int childPid = low(processThread);
        if (childPid == 0)
        {
            return engineLanes.get(ran.buffer);
        }
        final int childThread = high(processThread);
        return childLanes.get(laneKey(childPid, childThread != 0 ? childThread : childPid));
    }

    private String workerName(final int worker)
    {
        return worker >= 0 && worker < workers.size() ? workers.get(worker) : "worker " + worker;
    }

    private StringBuilder taskIds(final TaskRecords task)
    {
        field("slot", low(task.slotRun)).append(',');
        field("run", high(task.slotRun)).append(',');
        return field("claim", task.claim);
    }

    private StringBuilder begin(final String phase, final String name, final String category, final long pid,
        final long tid)
    {
        out.append(firstEvent ? "" : ",\n");
        firstEvent = false;
        out.append('{');
        field("ph", phase).append(',');
        field("name", name).append(',');
        if (category != null)
        {
            field("cat", category).append(',');
        }
        field("pid", pid).append(',');
        return field("tid", tid);
    }

    private StringBuilder at(final long ns)
    {
        out.append(",\"ts\":");
        return micros(ns - originNs);
    }

    private StringBuilder micros(final long ns)
    {
        final long whole = ns / 1000;
        final long fraction = ns % 1000;
        out.append(whole).append('.');
        if (fraction < 100)
        {
            out.append(fraction < 10 ? "00" : "0");
        }
        return out.append(fraction);
    }

    private StringBuilder field(final String name, final long value)
    {
        out.append('"').append(name).append("\":");
        return out.append(value);
    }

    private StringBuilder field(final String name, final String value)
    {
        out.append('"').append(name).append("\":");
        return string(value);
    }

    private StringBuilder string(final String value)
    {
        out.append('"');
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            switch (c)
            {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\r':
                    out.append("\\r");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        out.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        out.append(c);
                    }
            }
        }
        return out.append('"');
    }

    private static long laneKey(final int pid, final int tid)
    {
        return TraceDescriptor.pair(pid, tid);
    }

    /** What the trace holds about one task, by its claim number. */
    private static final class TaskRecords
    {
        final long claim;
        final List<Ran> runs = new ArrayList<>(1);
        TraceBuffer submit;
        long submitNs;
        TraceBuffer readyBy;
        long readyNs;
        long slotRun;
        int kind;
        long callable;
        boolean described;

        TaskRecords(final long claim)
        {
            this.claim = claim;
        }

        void describe(final long[] r, final int at)
        {
            slotRun = r[at + SLOT_RUN];
            kind = kind(r[at + HEADER]);
            callable = r[at + CALLABLE];
            described = true;
        }

        String name()
        {
            if (!described)
            {
                return "task " + claim;
            }
            return kind == TaskSlot.KIND_SUB ? "sub " + callable : kindName(kind) + " 0x" + Long.toHexString(callable);
        }
    }

    /** One TASK record: where it is. */
    private record Ran(TraceBuffer buffer, int at)
    {
        long start()
        {
            return buffer.records()[at + TIME];
        }

        long end()
        {
            return Math.max(start(), buffer.records()[at + END_TIME]);
        }
    }

    /** What the trace holds about one run. */
    private static final class RunRecords
    {
        final int run;
        TraceBuffer begin;
        long beginNs;
        TraceBuffer end;
        long endNs;
        int failed;
        int skipped;
        boolean abandoned;

        RunRecords(final int run)
        {
            this.run = run;
        }
    }

    /** One lane: a thread of a process, with the names its metadata events give. */
    private record Lane(long pid, long tid, String processName, String threadName, long sort)
    {
    }
}
