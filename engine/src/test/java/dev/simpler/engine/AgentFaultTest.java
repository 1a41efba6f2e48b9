package dev.simpler.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.simpler.engine.agent.AgentFaultHook;

/**
 * An error that escapes one of the engine's own agents — a bug in the engine, injected here through a test hook —
 * fails the run in progress with that error within a bounded time, leaves the Worker broken (later calls name the
 * error), and {@code close()} still releases every thread, child and file (SPEC §11).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AgentFaultTest
{
    private static final int TASKS = 64;
    private static final String ASSIST = "the orchestrating thread's assist";

    static Stream<Arguments> agents()
    {
        return Stream.of(
            Arguments.of(WorkerMode.THREAD, "sub worker 0", false),
            Arguments.of(WorkerMode.THREAD, "sub worker 1", true),
            Arguments.of(WorkerMode.THREAD, "next-level worker 0", false),
            Arguments.of(WorkerMode.PROCESS, "the PROCESS-mode driver", false),
            Arguments.of(WorkerMode.PROCESS, "the PROCESS-mode driver", true),
            Arguments.of(WorkerMode.PROCESS, ASSIST, false));
    }

    @AfterEach
    void leavesNoThreadChildOrFile()
    {
        assertEquals(Set.of(), TestWorkers.liveEngineThreads(), "engine threads still alive");
        TestWorkers.assertNoChildAndNoFile();
    }

    @ParameterizedTest(name = "{0}: {1}, an Error: {2}")
    @MethodSource("agents")
    void anErrorEscapingAnAgentFailsTheRunAndBreaksTheWorker(
        final WorkerMode mode, final String role, final boolean anError)
    {
        final AtomicBoolean armed = new AtomicBoolean();
        final CountDownLatch fired = new CountDownLatch(1);
        final Throwable injected = anError
            ? new AssertionError("injected engine error in " + role)
            : new IllegalStateException("injected engine bug in " + role);
        final AtomicBoolean threw = new AtomicBoolean();
        final AgentFaultHook hook = (agentRole) ->
        {
            if (!agentRole.equals(role))
            {
                return;
            }
            if (threw.get())
            {
                // An agent that survives an exception runs its next duty cycle only after the error handler saw it,
                // so the Worker is broken by now.
                fired.countDown();
            }
            if (armed.compareAndSet(true, false))
            {
                threw.set(true);
                if (injected instanceof Error)
                {
                    // An Error ends the agent: there is no next duty cycle to wait for.
                    fired.countDown();
                    throw (Error)injected;
                }
                throw (Exception)injected;
            }
        };
        final Worker.Builder builder = TestWorkers.builder(mode).subWorkers(2).agentFaultHook(hook);
        if (mode == WorkerMode.THREAD)
        {
            builder.nextLevel(Kernels.COUNTING_WORKER);
        }
        try (Worker worker = TestWorkers.start(builder))
        {
            final int touch = worker.register(Kernels.TOUCH);
            final Tensor counts = worker.sharedTensor(DataType.INT32, 1);
            final OrchFn<Void> graph = (orch, unused) ->
            {
                for (int i = 0; i < TASKS; i++)
                {
                    orch.submitSub(touch, new TaskArgs());
                }
                if (mode == WorkerMode.THREAD)
                {
                    orch.submitNextLevel(
                        Kernels.ANY_HANDLE, new TaskArgs().noDep(counts).addScalar(0), CallConfig.DEFAULT);
                }
            };
            worker.run(graph, null);

            final OrchFn<Void> armedGraph = (orch, unused) ->
            {
                armed.set(true);
                graph.orchestrate(orch, unused);
                if (!role.equals(ASSIST))
                {
                    // The agent fails while the run is in progress (the assist fails inside the submits themselves).
                    TestWorkers.await(fired);
                }
            };
            final Throwable failure = assertThrows(Throwable.class, () -> worker.run(armedGraph, null));
            assertFalse(armed.get(), "the agent ran a duty cycle during the run");
            assertTrue(failure == injected || failure.getCause() == injected,
                "the run failed with the injected error: " + failure);
            if (failure != injected)
            {
                assertTrue(failure.getMessage().contains(role), failure.getMessage());
            }

            final IllegalStateException later =
                assertThrows(IllegalStateException.class, () -> worker.run(graph, null));
            assertTrue(later.getMessage().contains("broken"), later.getMessage());
            assertTrue(later.getMessage().contains(role), later.getMessage());
            assertSame(injected, later.getCause());
        }
    }
}
