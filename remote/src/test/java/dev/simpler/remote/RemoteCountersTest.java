package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;

/**
 * The L4's "remote nodes connected" counter (SPEC §14, §15), read the way a user reads it: with the stat tool in
 * another JVM while the L4 runs.
 */
class RemoteCountersTest
{
    private static final long STAT_TIMEOUT_S = 60;
    private static final long DISCONNECT_TIMEOUT_MS = 10_000;

    @Test
    @Timeout(120)
    void remoteNodesConnectedCountsTheNodesTheLanesHaveSessionsWith() throws Exception
    {
        try (SimplerNode first = RemoteTests.node(WorkerMode.THREAD);
            SimplerNode second = RemoteTests.node(WorkerMode.THREAD);
            RemoteWorker firstLane1 = RemoteTests.lane(first);
            RemoteWorker firstLane2 = RemoteTests.lane(first);
            RemoteWorker secondLane = RemoteTests.lane(second);
            Worker l4 = Worker.builder().level(4).nextLevel(firstLane1).nextLevel(firstLane2).nextLevel(secondLane)
                .build())
        {
            l4.init();
            assertEquals(2, remoteNodesConnected(), "three lanes, two to one node, connected before init()");

            second.close();
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DISCONNECT_TIMEOUT_MS);
            while (secondLane.isConnected() && System.nanoTime() - deadline < 0)
            {
                TimeUnit.MILLISECONDS.sleep(20);
            }
            assertEquals(1, remoteNodesConnected(), "after the second node closed");

            // The first node's lanes still work, and the count follows them.
            final Tensor in = RemoteKernels.ints(l4, 16);
            final Tensor out = RemoteKernels.ints(l4, 16);
            final long scale = RemoteWorker.functionHandle(RemoteKernels.SCALE);
            l4.run((orch, x) -> orch.submitNextLevel(scale, new TaskArgs().input(in).outputExisting(out).addScalar(2),
                RemoteKernels.config()), null);
            assertEquals(1, remoteNodesConnected(), "after a task on the first node");
        }
    }

    /** The counter of this JVM's level-4 Worker, as {@code simpler-stat --once} prints it. */
    private static long remoteNodesConnected() throws IOException, InterruptedException
    {
        final Process stat = new ProcessBuilder(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), "dev.simpler.engine.stat.SimplerStat", "--once"))
            .redirectErrorStream(true).start();
        final String output = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(stat.waitFor(STAT_TIMEOUT_S, TimeUnit.SECONDS), "simpler-stat did not exit: " + output);
        // A Worker's block starts with its header line; take this JVM's level-4 block.
        final Pattern block = Pattern.compile("pid " + ProcessHandle.current().pid()
            + "\\s+Worker \\S+\\s+level 4[^\\n]*\\n((?:\\s+\\d+:[^\\n]*\\n?)+)");
        final Matcher matcher = block.matcher(output);
        assertTrue(matcher.find(), "no level-4 Worker of this JVM in simpler-stat's output:\n" + output);
        final Matcher value = Pattern.compile("([\\d,]+) - remote nodes connected").matcher(matcher.group(1));
        assertTrue(value.find(), "no remote nodes connected counter:\n" + output);
        return Long.parseLong(value.group(1).replace(",", ""));
    }
}
