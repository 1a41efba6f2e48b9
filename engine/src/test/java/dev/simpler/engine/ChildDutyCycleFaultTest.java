package dev.simpler.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;


import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.simpler.engine.process.ChildMain;

/**
 * An error that escapes a PROCESS-mode child's own duty cycle — a bug in the child, injected here through a
 * test-only system property, never a callable's failure — ends the child with its own exit status; its engine fails
 * the task naming the child and that status, and replaces the child (SPEC §8).
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChildDutyCycleFaultTest
{
    /** Never runs: the duty cycle fails when it is dispatched. Registered first, so its id is 0. */
    private static final SubCallable NEVER_RUNS = (args) ->
    {
        throw new AssertionError("the injected fault did not fire");
    };

    @AfterEach
    void leavesNoChildAndNoFile()
    {
        TestWorkers.assertNoChildAndNoFile();
    }

    @ParameterizedTest
    @EnumSource(WaitStrategy.class)
    void aChildWhoseDutyCycleFailsExitsWithItsOwnStatusAndIsReplaced(final WaitStrategy strategy)
    {
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(1).waitStrategy(strategy)
            .childJvmOptions("-D" + ChildMain.TEST_FAULT_AT_CALLABLE_PROPERTY + "=0").build())
        {
            final int faulty = worker.register(NEVER_RUNS);
            final int writePid = worker.register(ProcessModeTest.WRITE_PID);
            assertEquals(0, faulty);
            final Tensor pids = worker.sharedTensor(DataType.INT64, 2);
            worker.init();
            worker.run((orch, unused) -> orch.submitSub(writePid, new TaskArgs().noDep(pids).addScalar(0)), null);
            final long victim = pids.buffer().getLong(0);
            assertNotEquals(0, victim);

            final TaskFailedException failure = assertThrows(TaskFailedException.class, () ->
                worker.run((orch, unused) -> orch.submitSub(faulty, new TaskArgs()), null));
            assertTrue(failure.getMessage().contains("child pid " + victim), failure.getMessage());
            assertTrue(failure.getMessage().contains("exit status " + ChildMain.EXIT_ENGINE_ERROR),
                failure.getMessage());

            worker.run((orch, unused) -> orch.submitSub(writePid, new TaskArgs().noDep(pids).addScalar(1)), null);
            final long replacement = pids.buffer().getLong(Long.BYTES);
            assertNotEquals(0, replacement);
            assertNotEquals(victim, replacement);
        }
    }
}
