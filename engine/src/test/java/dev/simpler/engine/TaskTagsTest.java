package dev.simpler.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tags reach the workers the engine calls in its own process, and not a PROCESS-mode child (SPEC §2.3, §7).
 */
@Timeout(60)
class TaskTagsTest
{
    /** INT32 tensor 0 (NO_DEP): entry i becomes the code of tensor i's tag, or -1 when the tag cannot be read. */
    static final SubCallable RECORD_TAGS = (args) ->
    {
        for (int i = 0; i < args.tensorCount(); i++)
        {
            int code;
            try
            {
                code = args.tag(i).code();
            }
            catch (final UnsupportedOperationException ex)
            {
                code = -1;
            }
            args.tensor(0).buffer().putIntVolatile(i * Integer.BYTES, code);
        }
    };

    @Test
    void aWorkerThreadReadsTheTagEachTensorWasSubmittedWith()
    {
        assertEquals("4 0 2 3 1", recordTags(WorkerMode.THREAD));
    }

    @Test
    void aProcessModeChildCannotReadTags()
    {
        assertEquals("-1 -1 -1 -1 -1", recordTags(WorkerMode.PROCESS));
    }

    private static String recordTags(final WorkerMode mode)
    {
        try (Worker worker = TestWorkers.builder(mode).subWorkers(1).build())
        {
            final int record = worker.register(RECORD_TAGS);
            final Tensor codes = worker.sharedTensor(DataType.INT32, 5);
            final Tensor a = worker.sharedTensor(DataType.INT32, 4);
            final Tensor b = worker.sharedTensor(DataType.INT32, 4);
            final Tensor c = worker.sharedTensor(DataType.INT32, 4);
            worker.init();
            worker.run((orch, unused) -> orch.submitSub(record, new TaskArgs().noDep(codes).input(a).inout(b)
                .outputExisting(c).output(Tensor.of(0, DataType.INT32, 4))), null);
            final StringBuilder out = new StringBuilder();
            for (int i = 0; i < 5; i++)
            {
                out.append(i == 0 ? "" : " ").append(codes.buffer().getInt(i * Integer.BYTES));
            }
            return out.toString();
        }
    }
}
