package dev.simpler.perf.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReferenceEngineTest
{
    private static final int[] NONE = ReferenceEngine.NO_PRODUCERS;

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void independentTasksRunExactlyOnce(final int workers)
    {
        final int n = 5_000;
        final AtomicIntegerArray runs = new AtomicIntegerArray(n);
        try (ReferenceEngine engine = new ReferenceEngine(ReferenceMode.THREAD, workers))
        {
            for (int i = 0; i < n; i++)
            {
                final int index = i;
                engine.submit(() -> runs.incrementAndGet(index), NONE);
            }
            engine.drain();
        }
        for (int i = 0; i < n; i++)
        {
            assertEquals(1, runs.get(i), "task " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void chainRunsInOrder(final int workers)
    {
        final int n = 2_000;
        final List<Integer> order = new ArrayList<>();
        try (ReferenceEngine engine = new ReferenceEngine(ReferenceMode.THREAD, workers))
        {
            int previous = -1;
            for (int i = 0; i < n; i++)
            {
                final int index = i;
                final Runnable task = () ->
                {
                    synchronized (order)
                    {
                        order.add(index);
                    }
                };
                previous = previous < 0 ? engine.submit(task, NONE) : engine.submit(task, previous);
            }
            engine.drain();
        }
        synchronized (order)
        {
            assertEquals(n, order.size());
            for (int i = 0; i < n; i++)
            {
                assertEquals(i, order.get(i));
            }
        }
    }

    @Test
    void diamondsNeverRunBeforeTheirProducers()
    {
        final int diamonds = 300;
        final int width = 8;
        final int perDiamond = width + 2;
        final AtomicIntegerArray done = new AtomicIntegerArray(diamonds * perDiamond);
        final AtomicInteger violations = new AtomicInteger();
        try (ReferenceEngine engine = new ReferenceEngine(ReferenceMode.THREAD, 4))
        {
            int sink = -1;
            for (int d = 0; d < diamonds; d++)
            {
                final int base = d * perDiamond;
                final int previousSink = base - 1;
                final Runnable rootTask = () ->
                {
                    if (previousSink >= 0 && done.get(previousSink) != 1)
                    {
                        violations.incrementAndGet();
                    }
                    done.incrementAndGet(base);
                };
                final int root = sink < 0 ? engine.submit(rootTask, NONE) : engine.submit(rootTask, sink);
                final int[] mids = new int[width];
                for (int m = 0; m < width; m++)
                {
                    final int slot = base + 1 + m;
                    mids[m] = engine.submit(() ->
                    {
                        if (done.get(base) != 1)
                        {
                            violations.incrementAndGet();
                        }
                        done.incrementAndGet(slot);
                    }, root, root);
                }
                sink = engine.submit(() ->
                {
                    for (int m = 0; m < width; m++)
                    {
                        if (done.get(base + 1 + m) != 1)
                        {
                            violations.incrementAndGet();
                        }
                    }
                    done.incrementAndGet(base + perDiamond - 1);
                }, mids);
            }
            engine.drain();
        }
        assertEquals(0, violations.get());
        for (int i = 0; i < done.length(); i++)
        {
            assertEquals(1, done.get(i), "task " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void groupMembersStartTogether(final int size)
    {
        final int groups = 200;
        final CyclicBarrier barrier = new CyclicBarrier(size);
        final AtomicIntegerArray memberRuns = new AtomicIntegerArray(groups * size);
        final AtomicInteger singles = new AtomicInteger();
        try (ReferenceEngine engine = new ReferenceEngine(ReferenceMode.THREAD, size))
        {
            int previous = -1;
            for (int g = 0; g < groups; g++)
            {
                final int base = g * size;
                engine.submit(singles::incrementAndGet, NONE);
                previous = engine.submitGroup(size, member ->
                {
                    memberRuns.incrementAndGet(base + member);
                    try
                    {
                        barrier.await(10, TimeUnit.SECONDS);
                    }
                    catch (final Exception ex)
                    {
                        throw new IllegalStateException("members did not start together", ex);
                    }
                }, previous < 0 ? NONE : new int[]{previous});
            }
            engine.drain();
        }
        assertEquals(groups, singles.get());
        for (int i = 0; i < memberRuns.length(); i++)
        {
            assertEquals(1, memberRuns.get(i), "member " + i);
        }
    }

    @Test
    void groupLargerThanThePoolFailsAtSubmit()
    {
        try (ReferenceEngine engine = new ReferenceEngine(ReferenceMode.THREAD, 2))
        {
            assertThrows(IllegalArgumentException.class, () -> engine.submitGroup(3, member -> { }, NONE));
            assertThrows(IllegalArgumentException.class, () -> engine.submit(() -> { }, 7));
            engine.drain();
        }
    }

    @Test
    void drainReturnsAndRetiredProducersAreIgnored()
    {
        final AtomicInteger runs = new AtomicInteger();
        try (ReferenceEngine engine = new ReferenceEngine(ReferenceMode.THREAD, 1))
        {
            engine.drain();
            final int first = engine.submit(runs::incrementAndGet, NONE);
            engine.drain();
            assertEquals(1, runs.get());
            final int second = engine.submit(runs::incrementAndGet, first);
            assertTrue(second > first);
            engine.drain();
            assertEquals(2, runs.get());
        }
    }

    @Test
    void drainReportsATaskFailure()
    {
        try (ReferenceEngine engine = new ReferenceEngine(ReferenceMode.THREAD, 1))
        {
            final int failing = engine.submit(() ->
            {
                throw new IllegalArgumentException("boom");
            }, NONE);
            engine.submit(() -> { }, failing);
            final IllegalStateException ex = assertThrows(IllegalStateException.class, engine::drain);
            assertTrue(ex.getCause() instanceof IllegalArgumentException);
            engine.drain();
        }
    }

    @Test
    void closeLeavesNoThread()
    {
        final String prefix;
        try (ReferenceEngine engine = new ReferenceEngine(ReferenceMode.THREAD, 3))
        {
            prefix = engine.threadNamePrefix();
            engine.submit(() -> { }, NONE);
            engine.drain();
            assertTrue(countThreads(prefix) > 0);
        }
        assertEquals(0, countThreads(prefix));
        assertFalse(Thread.getAllStackTraces().keySet().stream()
            .anyMatch(thread -> thread.getName().startsWith(prefix)));
    }

    static long countThreads(final String prefix)
    {
        return Thread.getAllStackTraces().keySet().stream()
            .filter(thread -> thread.getName().startsWith(prefix) && thread.isAlive())
            .count();
    }
}
