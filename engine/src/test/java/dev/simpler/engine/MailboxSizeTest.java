package dev.simpler.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;


import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code Worker.Builder.mailboxSize} (SPEC §7): a larger mailbox carries tasks with many tensors to a PROCESS-mode
 * child; a task that does not fit is rejected at submit, naming the size it needs and the option.
 */
@Timeout(60)
class MailboxSizeTest
{
    private static final int TENSORS = 256;

    /** Tensor i (one INT32 element each) becomes i + scalar 0: every tensor reached the child. */
    static final SubCallable NUMBER_EACH_TENSOR = (args) ->
    {
        for (int i = 0; i < args.tensorCount(); i++)
        {
            final UnsafeBuffer cell = args.tensor(i).buffer();
            cell.putInt(0, i + (int)args.scalar(0));
        }
    };

    @AfterEach
    void leavesNoChildAndNoFile()
    {
        TestWorkers.assertNoChildAndNoFile();
    }

    @Test
    void aSubTaskOf256TensorsRunsInAChildWithAMailboxOf16384Bytes()
    {
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(1).mailboxSize(16384).build())
        {
            final int number = worker.register(NUMBER_EACH_TENSOR);
            final Tensor cells = worker.sharedTensor(DataType.INT32, TENSORS);
            worker.init();
            worker.run((orch, unused) -> orch.submitSub(number, manyTensors(cells).addScalar(1000)), null);
            for (int i = 0; i < TENSORS; i++)
            {
                assertEquals(1000 + i, cells.buffer().getInt(i * Integer.BYTES), "tensor " + i);
            }
        }
    }

    @Test
    void aTaskTooLargeForTheDefaultMailboxNamesTheSizeItNeedsAndTheOption()
    {
        try (Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(1).build())
        {
            final int number = worker.register(NUMBER_EACH_TENSOR);
            final Tensor cells = worker.sharedTensor(DataType.INT32, TENSORS);
            worker.init();
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () ->
                worker.run((orch, unused) -> orch.submitSub(number, manyTensors(cells).addScalar(0)), null));
            assertTrue(ex.getMessage().contains("mailboxSize(16384)"), ex.getMessage());
            assertTrue(ex.getMessage().contains("10256 bytes"), ex.getMessage());
        }
    }

    @Test
    void rejectsAMailboxSizeThatIsNotAPowerOfTwoFrom4096To65536()
    {
        for (final int bytes : new int[] {2048, 6000, 131072})
        {
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> Worker.builder().mailboxSize(bytes));
            assertTrue(ex.getMessage().contains("bytes=" + bytes), ex.getMessage());
        }
    }

    private static TaskArgs manyTensors(final Tensor cells)
    {
        final TaskArgs args = new TaskArgs();
        for (int i = 0; i < TENSORS; i++)
        {
            args.noDep(cells.slice(i, i + 1));
        }
        return args;
    }
}
