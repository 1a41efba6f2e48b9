package dev.simpler.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SIGKILL of a random child of a PROCESS-mode engine at a random moment — while it runs a task, while it is idle
 * inside a run, or between runs — round after round (SPEC §8): every run ends; a run whose child died before it
 * began does not fail; a run during which a child died fails only naming that child; the run after each kill
 * computes the right bytes; nothing is left behind.
 */
@Timeout(value = 600, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChildChaosTest
{
    private static final int ROUNDS = 100;
    private static final int ELEMENTS = 64;
    private static final int CHAIN = 16;
    private static final int SIDE_TASKS = 8;
    private static final long SLOW_STEP_NS = 2_000_000L;

    /**
     * One step of the chain, INT32 tensor 0 (INOUT): {@code x[i] = 3 x[i] + scalar 0}; writes its pid into INT64
     * tensor 1 (NO_DEP) entry 0 first, and spins for scalar 1 nanoseconds so that a kill can find it running.
     */
    private static final SubCallable STEP = (args) ->
    {
        args.tensor(1).buffer().putLongVolatile(0, ProcessHandle.current().pid());
        final long until = System.nanoTime() + args.scalar(1);
        while (System.nanoTime() < until)
        {
            Thread.onSpinWait();
        }
        final UnsafeBuffer x = args.tensor(0).buffer();
        for (int i = 0; i < ELEMENTS; i++)
        {
            x.putInt(i * Integer.BYTES, 3 * x.getInt(i * Integer.BYTES) + (int)args.scalar(0));
        }
    };

    /** INT32 tensor 0 (NO_DEP): entry scalar 0 becomes scalar 1. */
    private static final SubCallable MARK = (args) ->
        args.tensor(0).buffer().putIntVolatile(Integer.BYTES * (int)args.scalar(0), (int)args.scalar(1));

    /** When the kill of a round happens. */
    private enum Moment
    {
        /** Between runs: the child is dead (and reaped) before the run begins. */
        BEFORE_RUN,
        /** At a random point of the run, whatever the victim is doing. */
        DURING_RUN,
        /** While the victim runs a step of the chain. */
        MID_TASK
    }

    @AfterEach
    void leavesNoChildAndNoFile()
    {
        TestWorkers.assertNoChildAndNoFile();
    }

    @ParameterizedTest
    @EnumSource(WaitStrategy.class)
    void everyRunEndsAndTheRunAfterEachKillIsRight(final WaitStrategy strategy) throws Exception
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(2).waitStrategy(strategy).build())
        {
            final int step = worker.register(STEP);
            final int mark = worker.register(MARK);
            final Tensor data = worker.sharedTensor(DataType.INT32, ELEMENTS);
            final Tensor running = worker.sharedTensor(DataType.INT64, 1);
            final Tensor marks = worker.sharedTensor(DataType.INT32, SIDE_TASKS);
            worker.init();
            final int[] expected = expected();
            final int[] kills = new int[Moment.values().length];
            int failedRuns = 0;
            final OrchFn<Long> graph = (orch, slowNs) ->
            {
                for (int s = 0; s < CHAIN; s++)
                {
                    orch.submitSub(step, new TaskArgs().inout(data).noDep(running).addScalar(s + 1)
                        .addScalar(s % 4 == 0 ? slowNs : 0));
                    if (s < SIDE_TASKS)
                    {
                        orch.submitSub(mark, new TaskArgs().noDep(marks).addScalar(s).addScalar(s + 1));
                    }
                }
            };

            for (int round = 0; round < ROUNDS; round++)
            {
                final String where = strategy + " round " + round + " (seed " + seed + ")";
                final Moment moment = Moment.values()[random.nextInt(Moment.values().length)];
                kills[moment.ordinal()]++;
                reset(data, marks, running);
                final Killer killer;
                if (moment == Moment.BEFORE_RUN)
                {
                    killer = null;
                    final ProcessHandle victim = randomChild(random, where);
                    victim.destroyForcibly();
                    victim.onExit().get(20, TimeUnit.SECONDS);
                    runAndCheck(worker, graph, SLOW_STEP_NS, data, marks, expected, where + ", child "
                        + victim.pid() + " killed before the run");
                }
                else
                {
                    killer = new Killer(moment, random, running, where);
                    try
                    {
                        worker.run((orch, slowNs) ->
                        {
                            killer.go();
                            graph.orchestrate(orch, slowNs);
                        }, SLOW_STEP_NS);
                        check(data, marks, expected, where + " " + moment + ", the run succeeded");
                    }
                    catch (final TaskFailedException ex)
                    {
                        failedRuns++;
                        killer.await();
                        assertTrue(ex.getMessage().contains("child pid " + killer.victim()),
                            where + " " + moment + ": the run failed for another reason than the killed child "
                                + killer.victim() + ": " + ex.getMessage());
                    }
                    killer.await();
                }
                reset(data, marks, running);
                runAndCheck(worker, graph, 0L, data, marks, expected, where + ", the run after the kill");
            }
            System.out.println("chaos " + strategy + ": " + ROUNDS + " rounds (seed " + seed + "), kills "
                + Moment.BEFORE_RUN + " " + kills[0] + ", " + Moment.DURING_RUN + " " + kills[1] + ", "
                + Moment.MID_TASK + " " + kills[2] + "; runs failed by their kill: " + failedRuns);
        }
    }

    private static void runAndCheck(
        final Worker worker,
        final OrchFn<Long> graph,
        final long slowNs,
        final Tensor data,
        final Tensor marks,
        final int[] expected,
        final String where)
    {
        try
        {
            worker.run(graph, slowNs);
        }
        catch (final TaskFailedException ex)
        {
            fail(where + ": the run failed: " + ex.getMessage(), ex);
        }
        check(data, marks, expected, where);
    }

    private static int[] expected()
    {
        final int[] x = new int[ELEMENTS];
        for (int i = 0; i < ELEMENTS; i++)
        {
            x[i] = i;
            for (int s = 0; s < CHAIN; s++)
            {
                x[i] = 3 * x[i] + s + 1;
            }
        }
        return x;
    }

    private static void reset(final Tensor data, final Tensor marks, final Tensor running)
    {
        for (int i = 0; i < ELEMENTS; i++)
        {
            data.buffer().putInt(i * Integer.BYTES, i);
        }
        marks.buffer().setMemory(0, (int)marks.nbytes(), (byte)0);
        running.buffer().putLongVolatile(0, 0);
    }

    private static void check(final Tensor data, final Tensor marks, final int[] expected, final String where)
    {
        for (int i = 0; i < ELEMENTS; i++)
        {
            assertEquals(expected[i], data.buffer().getInt(i * Integer.BYTES), where + ": element " + i);
        }
        for (int i = 0; i < SIDE_TASKS; i++)
        {
            assertEquals(i + 1, marks.buffer().getInt(i * Integer.BYTES), where + ": side task " + i);
        }
    }

    private static ProcessHandle randomChild(final Random random, final String where)
    {
        final List<ProcessHandle> children = ProcessHandle.current().children().filter(ProcessHandle::isAlive)
            .toList();
        if (children.isEmpty())
        {
            fail(where + ": the engine has no live child");
        }
        return children.get(random.nextInt(children.size()));
    }

    /**
     * Kills one child from its own thread once the run has begun: a random child after a random pause, or the child
     * that runs a step of the chain.
     */
    private static final class Killer
    {
        private final CountDownLatch started = new CountDownLatch(1);
        private final AtomicLong victim = new AtomicLong();
        private final AtomicReference<Throwable> error = new AtomicReference<>();
        private final Thread thread;

        Killer(final Moment moment, final Random random, final Tensor running, final String where)
        {
            final long pauseNs = random.nextInt(3_000_000);
            final int pick = random.nextInt(2);
            thread = new Thread(() ->
            {
                try
                {
                    assertTrue(started.await(20, TimeUnit.SECONDS), where + ": the run never began");
                    final ProcessHandle target;
                    if (moment == Moment.MID_TASK)
                    {
                        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                        while (running.buffer().getLongVolatile(0) == 0 && System.nanoTime() < deadline)
                        {
                            Thread.yield();
                        }
                        target = ProcessHandle.of(running.buffer().getLongVolatile(0)).orElse(null);
                    }
                    else
                    {
                        final long until = System.nanoTime() + pauseNs;
                        while (System.nanoTime() < until)
                        {
                            Thread.yield();
                        }
                        final List<ProcessHandle> children = ProcessHandle.current().children()
                            .filter(ProcessHandle::isAlive).toList();
                        target = children.isEmpty() ? null : children.get(pick % children.size());
                    }
                    if (target != null)
                    {
                        victim.set(target.pid());
                        target.destroyForcibly();
                        target.onExit().get(20, TimeUnit.SECONDS);
                    }
                }
                catch (final Throwable ex)
                {
                    error.set(ex);
                }
            }, "chaos-killer");
            thread.setDaemon(true);
            thread.start();
        }

        void go()
        {
            started.countDown();
        }

        long victim()
        {
            return victim.get();
        }

        void await() throws InterruptedException
        {
            started.countDown();
            thread.join(TimeUnit.SECONDS.toMillis(30));
            assertEquals(null, error.get());
        }
    }
}
