package dev.simpler.engine;

import static dev.simpler.engine.AllocAndHeapRingTest.assertExhaustionMessage;
import static dev.simpler.engine.TestWorkers.await;
import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Scopes: nesting limit, misuse, the ring of each depth, and scopes left open (SPEC §3 Scopes, §4, §11).
 */
@SuppressWarnings("try") // scopes are opened in try-with-resources for their extent, as SPEC §3 shows
class ScopeTest
{
    private static final int KIB = 1024;
    private static final int MAX_USER_DEPTH = 64;
    private static final Duration SHORT_ALLOC_TIMEOUT = Duration.ofSeconds(2);

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void innerScopeRingReclaimsIndependentlyOfOuterScope(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(2).allocTimeout(SHORT_ALLOC_TIMEOUT)))
        {
            final int touch = worker.register(Kernels.TOUCH);
            worker.run((orch, ignored) ->
            {
                // Held by the run's outermost scope until the run ends: ring 0 has no room for the loop below.
                final Tensor longLived = orch.alloc(DataType.UINT8, 800 * KIB);
                orch.submitSub(touch, new TaskArgs().inout(longLived));
                for (int i = 0; i < 20; i++)
                {
                    try (Scope scope = orch.scope())
                    {
                        final Tensor shortLived = orch.alloc(DataType.UINT8, 400 * KIB);
                        orch.submitSub(touch, new TaskArgs().inout(shortLived));
                    }
                }
            }, null);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void eachOfTheFirstFourScopeDepthsHasItsOwnRing(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(1).allocTimeout(SHORT_ALLOC_TIMEOUT)))
        {
            final int touch = worker.register(Kernels.TOUCH);
            worker.run((orch, ignored) ->
            {
                final Deque<Scope> open = new ArrayDeque<>();
                for (int depth = 0; depth < 4; depth++)
                {
                    if (depth > 0)
                    {
                        open.push(orch.scope());
                    }
                    final Tensor big = orch.alloc(DataType.UINT8, 800 * KIB);
                    orch.submitSub(touch, new TaskArgs().inout(big));
                }
                while (!open.isEmpty())
                {
                    open.pop().close();
                }
            }, null);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void scopesDeeperThanThreeShareRingThree(final WorkerMode mode)
    {
        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try (Worker worker = start(builder(mode).subWorkers(1).allocTimeout(Duration.ofMillis(200))))
        {
            worker.run((orch, ignored) ->
            {
                try (Scope one = orch.scope();
                    Scope two = orch.scope();
                    Scope three = orch.scope())
                {
                    orch.alloc(DataType.UINT8, 800 * KIB);
                    try (Scope four = orch.scope())
                    {
                        failure.set(assertThrows(RuntimeException.class, () -> orch.alloc(DataType.UINT8, 400 * KIB)));
                    }
                }
            }, null);
        }
        assertExhaustionMessage(failure.get(), 3, 400 * KIB);
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void sixtyFourNestedScopesWorkAndTheSixtyFifthFails(final WorkerMode mode)
    {
        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            final int count = worker.register(Kernels.COUNT_RUN);
            final Tensor counters = worker.sharedTensor(DataType.INT32, 1);
            Kernels.zero(counters);

            worker.run((orch, ignored) ->
            {
                final Deque<Scope> open = new ArrayDeque<>();
                for (int i = 0; i < MAX_USER_DEPTH; i++)
                {
                    open.push(orch.scope());
                }
                final Tensor deep = orch.alloc(DataType.INT32, 16);
                orch.submitSub(count, new TaskArgs().noDep(counters).inout(deep).addScalar(0));
                failure.set(assertThrows(RuntimeException.class, orch::scope));
                while (!open.isEmpty())
                {
                    open.pop().close();
                }
            }, null);

            assertEquals(1, counters.buffer().getInt(0), "runs of the task submitted at depth 64");
        }
        assertNotNull(failure.get());
        assertTrue(String.valueOf(failure.get().getMessage()).contains("64"),
            "message names the limit: " + failure.get().getMessage());
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void closingScopeTwiceThrowsIllegalStateException(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            worker.run((orch, ignored) ->
            {
                final Scope scope = orch.scope();
                scope.close();
                assertThrows(IllegalStateException.class, scope::close);
            }, null);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void closingOuterScopeBeforeInnerThrowsIllegalStateException(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            worker.run((orch, ignored) ->
            {
                final Scope outer = orch.scope();
                final Scope inner = orch.scope();
                assertThrows(IllegalStateException.class, outer::close);
                inner.close();
                outer.close();
            }, null);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 60, threadMode = SEPARATE_THREAD)
    void scopesLeftOpenByOrchestrationFunctionAreClosedByRun(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(1).allocTimeout(SHORT_ALLOC_TIMEOUT)))
        {
            final int touch = worker.register(Kernels.TOUCH);
            for (int run = 0; run < 5; run++)
            {
                worker.run((orch, ignored) ->
                {
                    orch.scope();
                    final Tensor big = orch.alloc(DataType.UINT8, 600 * KIB);
                    orch.submitSub(touch, new TaskArgs().inout(big));
                    orch.scope();
                }, null);
            }
            worker.run((orch, ignored) ->
            {
                for (int i = 0; i < MAX_USER_DEPTH; i++)
                {
                    orch.scope();
                }
            }, null);
            worker.run((orch, ignored) ->
            {
                final Deque<Scope> open = new ArrayDeque<>();
                for (int i = 0; i < MAX_USER_DEPTH; i++)
                {
                    open.push(orch.scope());
                }
                while (!open.isEmpty())
                {
                    open.pop().close();
                }
            }, null);
        }
    }

    @Test
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void closingScopeDoesNotWaitForItsTasks()
    {
        final CountDownLatch scopeClosed = new CountDownLatch(1);
        final AtomicBoolean taskFinished = new AtomicBoolean();
        final AtomicBoolean taskFinishedWhenCloseReturned = new AtomicBoolean(true);
        try (Worker worker = start(builder(WorkerMode.THREAD).subWorkers(1)))
        {
            final int task = worker.register((args) ->
            {
                await(scopeClosed);
                taskFinished.set(true);
            });
            worker.run((orch, ignored) ->
            {
                try (Scope scope = orch.scope())
                {
                    orch.submitSub(task, new TaskArgs().inout(orch.alloc(DataType.INT32, 8)));
                }
                taskFinishedWhenCloseReturned.set(taskFinished.get());
                scopeClosed.countDown();
            }, null);
        }
        assertFalse(taskFinishedWhenCloseReturned.get());
        assertTrue(taskFinished.get(), "run returned before its task finished");
    }
}
