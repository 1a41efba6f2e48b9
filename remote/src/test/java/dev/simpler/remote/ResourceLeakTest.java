package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.simpler.engine.WorkerMode;
import dev.simpler.remote.transport.Transport;

/**
 * SPEC §11: no leaked thread or file. A node and lanes to it, used and closed, leave no thread they started and no
 * media driver directory behind (nothing else of the module runs in this JVM between the test classes).
 */
class ResourceLeakTest
{
    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void closedNodeAndLanesLeaveNoThreadAndNoDriverDirectory() throws Exception
    {
        final Set<Thread> before = Thread.getAllStackTraces().keySet();
        final SimplerNode node = RemoteTests.node(WorkerMode.THREAD);
        final RemoteWorker first = RemoteTests.lane(node);
        final RemoteWorker second = RemoteTests.lane(node);
        assertEquals(1, driverDirectories().size(), "one media driver for the whole process");
        second.close();
        first.close();
        node.close();

        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<Thread> left = leftOver(before);
        while (!left.isEmpty() && System.nanoTime() - deadline < 0)
        {
            left.get(0).join(100);
            left = leftOver(before);
        }
        assertTrue(left.isEmpty(), "threads left: " + left);
        assertTrue(driverDirectories().isEmpty(), "driver directories left: " + driverDirectories());
    }

    private static List<Thread> leftOver(final Set<Thread> before)
    {
        return Thread.getAllStackTraces().keySet().stream()
            .filter((thread) -> !before.contains(thread) && thread.isAlive())
            .filter((thread) -> !thread.getName().startsWith("junit") && !thread.getName().startsWith("process "))
            .collect(Collectors.toList());
    }

    private static List<Path> driverDirectories() throws IOException
    {
        final String mine = Transport.DIRECTORY_PREFIX + ProcessHandle.current().pid() + "-";
        try (Stream<Path> entries = Files.list(Transport.parentDirectory()))
        {
            return entries.filter((p) -> p.getFileName().toString().startsWith(mine)).collect(Collectors.toList());
        }
    }
}
