package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;

/**
 * One task on a loopback node: the smallest round trip of SPEC §15.
 */
class OneTaskTest
{
    @Test
    @Timeout(60)
    void scaleTaskOnALoopbackNodeWritesItsOutputIntoTheLevelFourTensor() throws Exception
    {
        try (SimplerNode node = RemoteTests.node(WorkerMode.THREAD);
            RemoteWorker lane = RemoteTests.lane(node);
            Worker l4 = Worker.builder().level(4).nextLevel(lane).build())
        {
            l4.init();
            final Tensor in = RemoteKernels.ints(l4, 64);
            final Tensor out = RemoteKernels.ints(l4, 64);
            RemoteKernels.fill(in, 5);
            final long scale = RemoteWorker.functionHandle(RemoteKernels.SCALE);
            l4.run((orch, x) -> orch.submitNextLevel(scale, new TaskArgs().input(in).outputExisting(out).addScalar(3),
                RemoteKernels.config()), null);
            for (int i = 0; i < 64; i++)
            {
                assertEquals((5 + i * 7) * 3, out.buffer().getInt(i * 4), "element " + i);
            }
        }
    }

    @Test
    @Timeout(60)
    void aTraceOfTheLevelFourShowsEachRemoteTaskOnTheLaneNamedAfterItsNode(@TempDir final Path directory)
        throws Exception
    {
        try (SimplerNode node = RemoteTests.node(WorkerMode.THREAD);
            RemoteWorker lane = RemoteTests.lane(node);
            Worker l4 = Worker.builder().level(4).nextLevel(lane).build())
        {
            l4.init();
            final Tensor in = RemoteKernels.ints(l4, 16);
            final Tensor out = RemoteKernels.ints(l4, 16);
            final long scale = RemoteWorker.functionHandle(RemoteKernels.SCALE);
            l4.startTrace();
            for (int i = 0; i < 3; i++)
            {
                l4.run((orch, x) -> orch.submitNextLevel(scale,
                    new TaskArgs().input(in).outputExisting(out).addScalar(2), RemoteKernels.config()), null);
            }
            final Path trace = directory.resolve("l4.json");
            l4.stopTrace(trace);
            final String json = Files.readString(trace);
            final String laneName = "next-0@" + node.listenAddress();
            final Matcher threadName = Pattern.compile("\"thread_name\"[^}]*\"args\":\\{\"name\":\"([^\"]*"
                + Pattern.quote(laneName) + ")\"").matcher(json);
            assertTrue(threadName.find(), "no trace lane named after the node (" + laneName + "): " + json);
            final Matcher tasks = Pattern.compile("\"ph\":\"X\",[^}]*\"worker\":\"next-level worker 0@"
                + Pattern.quote(node.listenAddress()) + "\"").matcher(json);
            int count = 0;
            while (tasks.find())
            {
                count++;
            }
            assertEquals(3, count, "task events on the node's lane: " + json);
        }
    }
}
