package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.simpler.remote.launcher.NodeMain;
import dev.simpler.remote.transport.RemoteConfiguration;

/**
 * The remote L4 on real hosts (SPEC §15): three network namespaces — an L4 and two nodes, each a JVM of its own —
 * linked by veth pairs with addresses of 198.18.0.0/15, made and removed by the test. The pipeline computes the right
 * bytes; a node whose link goes down, and a node killed with SIGKILL, fail their task in flight within 2 s naming
 * the node while the other node's task finishes, and are used again once back; a killed L4 is dropped and the next L4
 * admitted within 2 s of the heartbeat timeout. Where namespaces cannot be made (not root) the test is skipped with
 * that reason; the loopback tests cover the same behaviour. Each JVM's output is in
 * {@code remote/target/child-logs}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetworkNamespaceTest
{
    private static final String L4 = "l4";
    private static final String N1 = "n1";
    private static final String N2 = "n2";
    private static final String N1_ADDRESS = "198.18.1.2:40123";
    private static final String N2_ADDRESS = "198.18.2.2:40123";
    private static final String N1_DEVICE = "rt1b";
    private static final long LINE_TIMEOUT_MS = 120_000;

    @TempDir
    static Path dir;

    private static NetworkNamespaces namespaces;
    private static Path secret;
    private static ChildJvm node1;
    private static ChildJvm node2;
    private static ChildJvm l4;

    @BeforeAll
    static void makeHosts() throws Exception
    {
        namespaces = NetworkNamespaces.create(L4, N1, N2);
        namespaces.link(L4, "rt1a", "198.18.1.1", N1, N1_DEVICE, "198.18.1.2");
        namespaces.link(L4, "rt2a", "198.18.2.1", N2, "rt2b", "198.18.2.2");
        secret = NodeKillTest.secretFile(dir);
        node1 = startNode(N1, N1_ADDRESS, "64");
        node2 = startNode(N2, N2_ADDRESS, "1");
        l4 = ChildJvm.start("L4", namespaces.name(L4), List.of(), TestL4Scenario.class, secret.toString(),
            N1_ADDRESS, N2_ADDRESS);
        l4.awaitLine("READY", LINE_TIMEOUT_MS);
    }

    @AfterAll
    static void removeHosts()
    {
        CloseHelper.quietCloseAll(l4, node1, node2);
        CloseHelper.quietClose(namespaces);
    }

    @Test
    @Order(1)
    @Timeout(value = 300, threadMode = SEPARATE_THREAD)
    void pipelineBetweenThreeHostsComputesTheRightBytes() throws Exception
    {
        for (final int total : new int[]{1, 256, 2 * 16_385, 1 << 20, 1 << 24})
        {
            l4.send("pipeline " + total);
            assertEquals("OK", l4.awaitLine("PIPELINE-", LINE_TIMEOUT_MS), total + " elements");
        }
    }

    @Test
    @Order(2)
    @Timeout(value = 300, threadMode = SEPARATE_THREAD)
    void nodeWhoseLinkGoesDownFailsItsTaskWithinTwoSecondsAndIsUsedOnceItIsBack() throws Exception
    {
        hold(N1, 60_000);
        hold(N2, 0);
        l4.send("hold 5");
        node1.awaitLine(TestNodeFunctions.HOLDING, LINE_TIMEOUT_MS);
        final long downAt = System.nanoTime();
        namespaces.setLink(N1, N1_DEVICE, false);
        final String result = l4.awaitLine("HOLD-", LINE_TIMEOUT_MS);
        final long failedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - downAt);
        System.out.println("link down: the task failed " + failedAfterMs + " ms after the link went down");
        assertTrue(result.startsWith("FAILED 1 ") && result.contains("node " + N1_ADDRESS), result);
        assertTrue(failedAfterMs <= NodeKillTest.FAIL_WITHIN_MS, "failed " + failedAfterMs + " ms after");

        hold(N1, 0);
        namespaces.setLink(N1, N1_DEVICE, true);
        l4.send("pipeline 1000");
        assertEquals("OK", l4.awaitLine("PIPELINE-", LINE_TIMEOUT_MS), "the lane to node 1 reconnected");
    }

    @Test
    @Order(3)
    @Timeout(value = 300, threadMode = SEPARATE_THREAD)
    void killedNodeFailsItsTaskWithinTwoSecondsAndItsRestartIsUsed() throws Exception
    {
        hold(N1, 0);
        hold(N2, 60_000);
        l4.send("hold 6");
        node2.awaitLine(TestNodeFunctions.HOLDING, LINE_TIMEOUT_MS);
        final long killedAt = System.nanoTime();
        node2.kill();
        final String result = l4.awaitLine("HOLD-", LINE_TIMEOUT_MS);
        final long failedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        System.out.println("node killed: the task failed " + failedAfterMs + " ms after the kill");
        assertTrue(result.startsWith("FAILED 1 ") && result.contains("node " + N2_ADDRESS), result);
        assertTrue(failedAfterMs <= NodeKillTest.FAIL_WITHIN_MS, "failed " + failedAfterMs + " ms after");

        hold(N2, 0);
        node2 = startNode(N2, N2_ADDRESS, "1");
        l4.send("pipeline 1000");
        assertEquals("OK", l4.awaitLine("PIPELINE-", LINE_TIMEOUT_MS), "the lane to node 2 reconnected");
    }

    @Test
    @Order(4)
    @Timeout(value = 300, threadMode = SEPARATE_THREAD)
    void killedLevelFourIsDroppedAndTheNextAdmittedWithinTwoSecondsOfTheHeartbeatTimeout() throws Exception
    {
        // Node 2 admits one session, the L4's; a second L4 is refused as full until the first is gone.
        hold(N1, 0);
        hold(N2, 3_000);
        l4.send("hold 7");
        node2.awaitLine(TestNodeFunctions.HOLDING, LINE_TIMEOUT_MS);
        try (ChildJvm next = ChildJvm.start("next L4", namespaces.name(L4), List.of(), TestL4Main.class,
            N2_ADDRESS, secret.toString(), RemoteKernels.NEGATE_ADD, "1000"))
        {
            node2.awaitLine("simpler-remote: node " + N2_ADDRESS + " refused a session", LINE_TIMEOUT_MS);
            final long killedAt = System.nanoTime();
            l4.kill();
            next.awaitLine("CONNECTED", LINE_TIMEOUT_MS);
            next.awaitLine("DONE", LINE_TIMEOUT_MS);
            final long admittedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            System.out.println("L4 killed: the next L4 ran its task " + admittedAfterMs + " ms after the kill");
            assertTrue(admittedAfterMs <= RemoteConfiguration.HEARTBEAT_TIMEOUT_MS + 2_000,
                "the next L4 ran its task " + admittedAfterMs + " ms after the kill");
            assertEquals(0, next.waitFor(LINE_TIMEOUT_MS));
        }
    }

    private static ChildJvm startNode(final String role, final String address, final String maxSessions)
        throws InterruptedException
    {
        final ChildJvm node = ChildJvm.start("node " + address, namespaces.name(role),
            List.of("-Dsimpler.test.hold.file=" + dir.resolve("hold-" + role)), TestNodeMain.class,
            "--listen", address, "--secret-file", secret.toString(), "--sub-workers", "2",
            "--max-sessions", maxSessions);
        node.awaitLine(NodeMain.LISTENING, LINE_TIMEOUT_MS);
        return node;
    }

    private static void hold(final String role, final long ms) throws IOException
    {
        Files.writeString(dir.resolve("hold-" + role), Long.toString(ms));
    }
}
