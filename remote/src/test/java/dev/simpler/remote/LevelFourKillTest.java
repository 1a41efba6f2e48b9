package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.SubCallable;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;
import dev.simpler.remote.transport.RemoteConfiguration;

/**
 * L4 death (SPEC §15): an L4 JVM killed with SIGKILL while its task runs on a node; the node drops the session
 * after its heartbeat timeout, drops the task's outputs and frees its staging once the run ends, and admits the next
 * L4 within 2 s of that timeout. The node admits one session at a time here, so the next L4 gets in only once the
 * dead one's session is gone.
 */
class LevelFourKillTest
{
    private static final CountDownLatch HOLD_STARTED = new CountDownLatch(1);
    private static final CountDownLatch HOLD_RELEASED = new CountDownLatch(1);

    /** Holds until the test releases it (at most 30 s), then negates-and-adds. */
    private static final SubCallable LATCH_HOLD_KERNEL = (args) ->
    {
        HOLD_STARTED.countDown();
        HOLD_RELEASED.await(30, TimeUnit.SECONDS);
        RemoteKernels.NEGATE_ADD_KERNEL.call(args);
    };

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, threadMode = SEPARATE_THREAD)
    void killedLevelFourLosesItsSessionAndTheNodeAdmitsTheNextWithinTwoSecondsOfTheTimeout() throws Exception
    {
        final Worker l3 = RemoteTests.l3(WorkerMode.THREAD);
        final int hold = l3.register(LATCH_HOLD_KERNEL);
        try (SimplerNode node = RemoteKernels.register(l3, SimplerNode.builder().listen("127.0.0.1:0")
            .secret(RemoteTests.SECRET).worker(l3).maxSessions(1))
            .function("latch-hold", (orch, args) -> orch.submitSub(hold, new TaskArgs().inout(args.tensor(0))
                .addScalar(args.scalar(0))))
            .start();
            ChildJvm l4 = ChildJvm.start("l4", null, List.of(), TestL4Main.class, node.listenAddress(),
                NodeKillTest.secretFile(dir).toString(), "latch-hold", "100000"))
        {
            l4.awaitLine("CONNECTED", 60_000);
            assertTrue(HOLD_STARTED.await(60, TimeUnit.SECONDS), "the L4's task started on the node");
            assertEquals(1, node.sessionCount());
            awaitAtMost(() -> node.host().stagingInUse() > RemoteConfiguration.SLOT_BYTES ? 0 : 1, 0, 5_000,
                "the task's 400 kB block is reserved");

            final long killedAt = System.nanoTime();
            l4.kill();
            final long timeoutMs = RemoteConfiguration.HEARTBEAT_TIMEOUT_MS;
            awaitAtMost(node::sessionCount, 0, timeoutMs + 2_000, "the node dropped the dead L4's session");
            HOLD_RELEASED.countDown();
            awaitAtMost(() -> node.host().stagingInUse(), 0, 2_000, "the session's slot and the task's block are free");

            try (RemoteWorker next = RemoteTests.lane(node);
                Worker nextL4 = Worker.builder().level(4).nextLevel(next).heapRingSize(RemoteTests.RING_BYTES)
                    .build())
            {
                nextL4.init();
                final Tensor t = RemoteKernels.ints(nextL4, 10);
                final long negateAdd = RemoteWorker.functionHandle(RemoteKernels.NEGATE_ADD);
                nextL4.run((orch, ignored) -> orch.submitNextLevel(negateAdd, new TaskArgs().inout(t).addScalar(1),
                    CallConfig.DEFAULT), null);
                final long admittedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                System.out.println("the next L4 ran its task " + admittedAfterMs + " ms after the first was killed");
                assertTrue(admittedAfterMs <= timeoutMs + 2_000, "the next L4 was admitted and ran its task "
                    + admittedAfterMs + " ms after the kill, more than the timeout of " + timeoutMs + " ms + 2 s");
                assertEquals(1, t.buffer().getInt(0));
            }
        }
    }

    /** Wait until a value is reached, at most some milliseconds. */
    static void awaitAtMost(final LongSupplier value, final long expected, final long ms, final String what)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (value.getAsLong() != expected)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("not within " + ms + " ms: " + what + " (value " + value.getAsLong()
                    + ", expected " + expected + ")");
            }
            Thread.sleep(2);
        }
    }
}
