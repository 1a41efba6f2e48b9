package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.DataType;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;
import dev.simpler.remote.launcher.NodeMain;

/**
 * The node launcher (SPEC §15): the secret file's rules, its options, and the built-in functions on sub workers and
 * on sim chips, each node a JVM of its own.
 */
class NodeMainTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void secretFileThatGroupOrOthersMayReadIsRefused() throws Exception
    {
        final Path secret = NodeKillTest.secretFile(dir);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r-----"));
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> SecretFile.read(secret));
        assertTrue(ex.getMessage().contains("chmod 600"), ex.getMessage());
        try (ChildJvm node = ChildJvm.start("node", null, List.of(), TestNodeMain.class, "--listen", "127.0.0.1:0",
            "--secret-file", secret.toString()))
        {
            assertEquals(2, node.waitFor(30_000), node.printed());
            assertTrue(node.printed().contains("its group or others may use it"), node.printed());
        }
    }

    @Test
    void secretFileShorterThan32BytesIsRefusedAndOneTrailingNewlineIsNotPartOfTheSecret() throws Exception
    {
        final Path file = dir.resolve("short");
        Files.write(file, "0123456789abcdef0123456789abcde\n".getBytes(StandardCharsets.US_ASCII));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> SecretFile.read(file));
        assertTrue(ex.getMessage().contains("31 bytes"), ex.getMessage());

        Files.write(file, "0123456789abcdef0123456789abcdef\r\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("0123456789abcdef0123456789abcdef", new String(SecretFile.read(file), StandardCharsets.US_ASCII));
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void unknownOptionExitsWithStatusTwoAndTheUsage() throws Exception
    {
        final String printed = refusedWithStatusTwo("--cores", "3");
        assertTrue(printed.contains("unknown option --cores") && printed.contains("usage:"), printed);
    }

    @Test
    @Timeout(value = 120, threadMode = SEPARATE_THREAD)
    void builtInFunctionsRunOnSubWorkersAndOnSimChips() throws Exception
    {
        final Path secret = NodeKillTest.secretFile(dir);
        try (ChildJvm subs = ChildJvm.start("node with sub workers", null, List.of(), TestNodeMain.class,
            "--listen", "127.0.0.1:0", "--secret-file", secret.toString(), "--sub-workers", "2");
            ChildJvm chips = ChildJvm.start("node with chips", null, List.of(), TestNodeMain.class,
                "--listen", "127.0.0.1:0", "--secret-file", secret.toString(), "--sub-workers", "0", "--chips", "2"))
        {
            for (final ChildJvm node : List.of(subs, chips))
            {
                final String address = node.awaitLine(NodeMain.LISTENING, 60_000);
                try (RemoteWorker lane = RemoteWorker.connect(address, SecretFile.read(secret),
                    RemoteTests.CONNECT_TIMEOUT);
                    Worker l4 = Worker.builder().level(4).nextLevel(lane).heapRingSize(RemoteTests.RING_BYTES)
                        .build())
                {
                    l4.init();
                    runBuiltIns(l4, node.toString());
                }
            }
        }
    }

    @Test
    @Timeout(value = 120, threadMode = SEPARATE_THREAD)
    void busySpinningNodeRunsTheBuiltInsAndSaysWhenItIsShortOfCores() throws Exception
    {
        final Path secret = NodeKillTest.secretFile(dir);
        try (ChildJvm node = ChildJvm.start("busy-spinning node", null, List.of(), TestNodeMain.class,
            "--listen", "127.0.0.1:0", "--secret-file", secret.toString(), "--sub-workers", "1",
            "--wait-strategy", "BUSY_SPIN"))
        {
            final String address = node.awaitLine(NodeMain.LISTENING, 60_000);
            try (RemoteWorker lane = RemoteWorker.connect(address, SecretFile.read(secret),
                RemoteTests.CONNECT_TIMEOUT);
                Worker l4 = Worker.builder().level(4).nextLevel(lane).heapRingSize(RemoteTests.RING_BYTES).build())
            {
                l4.init();
                runBuiltIns(l4, node.toString());
            }
            // The driver's sender and receiver, the conductor, the runner and the sub worker's thread spin.
            final boolean shortOfCores = Runtime.getRuntime().availableProcessors() < 5;
            assertEquals(shortOfCores, node.printed().contains("--wait-strategy BUSY_SPIN spins 5 threads"),
                node.printed());
        }
    }

    @Test
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void unknownWaitStrategyExitsWithStatusTwoNamingTheChoices() throws Exception
    {
        final String printed = refusedWithStatusTwo("--wait-strategy", "YIELD");
        assertTrue(printed.contains("--wait-strategy must be BACKOFF or BUSY_SPIN: YIELD"), printed);
    }

    /** Start a node with a valid address and secret plus {@code options}; it must exit with status 2. */
    private String refusedWithStatusTwo(final String... options) throws Exception
    {
        final List<String> args = new java.util.ArrayList<>(List.of("--listen", "127.0.0.1:0", "--secret-file",
            NodeKillTest.secretFile(dir).toString()));
        args.addAll(List.of(options));
        try (ChildJvm node = ChildJvm.start("node", null, List.of(), TestNodeMain.class, args.toArray(new String[0])))
        {
            assertEquals(2, node.waitFor(30_000), node.printed());
            return node.printed();
        }
    }

    private static void runBuiltIns(final Worker l4, final String node)
    {
        final int n = 3000;
        final Tensor a = l4.sharedTensor(DataType.FLOAT32, n);
        final Tensor b = l4.sharedTensor(DataType.FLOAT32, n);
        final Tensor sum = l4.sharedTensor(DataType.FLOAT32, n);
        final Tensor scaled = l4.sharedTensor(DataType.FLOAT32, n);
        final Tensor echoed = l4.sharedTensor(DataType.INT32, 7);
        for (int i = 0; i < n; i++)
        {
            a.buffer().putFloat(i * 4, i);
            b.buffer().putFloat(i * 4, 0.5f * i);
        }
        RemoteKernels.fill(echoed, 99);
        final long add = RemoteWorker.functionHandle("vector-add");
        final long scale = RemoteWorker.functionHandle("scale");
        final long echo = RemoteWorker.functionHandle("echo");
        l4.run((orch, ignored) ->
        {
            orch.submitNextLevel(add, new TaskArgs().input(a).input(b).outputExisting(sum), CallConfig.DEFAULT);
            orch.submitNextLevel(scale, new TaskArgs().input(sum).outputExisting(scaled).addFloat(2.0f),
                CallConfig.DEFAULT);
            orch.submitNextLevel(echo, new TaskArgs().inout(echoed), CallConfig.DEFAULT);
        }, null);
        for (int i = 0; i < n; i++)
        {
            assertEquals(1.5f * i, sum.buffer().getFloat(i * 4), node + ": sum " + i);
            assertEquals(3.0f * i, scaled.buffer().getFloat(i * 4), node + ": scaled " + i);
        }
        for (int i = 0; i < 7; i++)
        {
            assertEquals(99 + i * 7, echoed.buffer().getInt(i * 4), node + ": echoed " + i);
        }
    }
}
