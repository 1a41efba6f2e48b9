package dev.simpler.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

import dev.simpler.engine.trace.RunEvent;
import dev.simpler.engine.trace.TaskEvent;

/**
 * The JDK Flight Recorder events of SPEC §14: a recording that enables {@code dev.simpler.Task} and
 * {@code dev.simpler.Run} gets one task event per task, on the worker thread that ran it in THREAD mode and naming
 * the child in PROCESS mode, and one run event per run; a recording with the JDK's settings gets none.
 */
@Timeout(120)
class JfrEventsTest
{
    private static final int TASKS = 6;

    @TempDir
    Path dir;

    @AfterEach
    void nothingLeft()
    {
        TestWorkers.assertNoChildAndNoFile();
    }

    @ParameterizedTest
    @EnumSource(WorkerMode.class)
    void aRecordingThatEnablesTheEventsGetsOneTaskEventPerTaskAndOneRunEvent(final WorkerMode mode)
        throws IOException
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(mode).subWorkers(2));
            Recording recording = new Recording())
        {
            final int id = worker.register(TraceTest.WHO_RAN);
            final Tensor who = worker.sharedTensor(DataType.INT64, 2 * TASKS);
            final Tensor chain = worker.sharedTensor(DataType.INT64, 4);
            worker.run(chainOf(id, who, chain), null);
            recording.enable(TaskEvent.NAME);
            recording.enable(RunEvent.NAME);
            recording.start();
            worker.run(chainOf(id, who, chain), null);
            recording.stop();
            worker.run(chainOf(id, who, chain), null);
            final Path file = dir.resolve("events.jfr");
            recording.dump(file);

            final List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            final List<RecordedEvent> tasks = named(events, TaskEvent.NAME);
            final List<RecordedEvent> runs = named(events, RunEvent.NAME);
            assertEquals(TASKS, tasks.size(), "one task event per task of the recorded run: " + tasks);
            assertEquals(1, runs.size(), "one run event: " + runs);
            final int run = runs.get(0).getInt("run");
            assertEquals(2, run, "the second run of the Worker");
            assertEquals(TASKS, runs.get(0).getInt("tasks"));
            assertEquals("ok", runs.get(0).getString("outcome"));
            assertEquals(Set.of(run), tasks.stream().map((e) -> e.getInt("run")).collect(Collectors.toSet()));
            assertEquals(TASKS, tasks.stream().map((e) -> e.getLong("claim")).distinct().count());
            final Set<Long> childPids = ProcessHandle.current().children().map(ProcessHandle::pid)
                .collect(Collectors.toSet());
            for (final RecordedEvent task : tasks)
            {
                assertEquals("sub", task.getString("kind"));
                assertEquals(id, task.getLong("callable"));
                assertTrue(task.getString("worker").startsWith("sub worker "), task.toString());
                assertTrue(!task.getEndTime().isBefore(task.getStartTime()), task.toString());
                final String thread = task.getThread().getJavaName();
                if (mode == WorkerMode.THREAD)
                {
                    assertTrue(thread.startsWith(TestWorkers.THREAD_PREFIX) && thread.contains("-sub-"),
                        "committed on the worker thread that ran it: " + thread);
                    assertEquals(0, task.getLong("childPid"));
                }
                else
                {
                    assertTrue(childPids.contains(task.getLong("childPid")), "names the child that ran it: "
                        + task.getLong("childPid") + " of " + childPids);
                    assertTrue(task.getDuration("childTime").toNanos() > 0, "the child's own time: " + task);
                    assertTrue(task.getDuration("childTime").compareTo(task.getDuration()) <= 0,
                        "the child's time is part of the round trip: " + task);
                }
            }
        }
    }

    @Test
    void theEventsAreDisabledByDefault() throws IOException, ParseException
    {
        try (Worker worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(1));
            Recording recording = new Recording(Configuration.getConfiguration("default")))
        {
            final int id = worker.register(TraceTest.WHO_RAN);
            final Tensor who = worker.sharedTensor(DataType.INT64, 2 * TASKS);
            final Tensor chain = worker.sharedTensor(DataType.INT64, 4);
            recording.start();
            worker.run(chainOf(id, who, chain), null);
            recording.stop();
            final Path file = dir.resolve("default.jfr");
            recording.dump(file);
            final List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            assertTrue(!events.isEmpty(), "the JDK's own events were recorded");
            assertEquals(List.of(), named(events, TaskEvent.NAME));
            assertEquals(List.of(), named(events, RunEvent.NAME));
        }
    }

    private static OrchFn<Void> chainOf(final int id, final Tensor who, final Tensor chain)
    {
        return (orch, unused) ->
        {
            for (int i = 0; i < TASKS; i++)
            {
                orch.submitSub(id, new TaskArgs().noDep(who).inout(chain).addScalar(i));
            }
        };
    }

    private static List<RecordedEvent> named(final List<RecordedEvent> events, final String name)
    {
        return events.stream().filter((e) -> e.getEventType().getName().equals(name)).toList();
    }
}
