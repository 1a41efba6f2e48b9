import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.DataType;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;

public final class Hello
{
    public static void main(final String[] args)
    {
        try (Worker worker = Worker.builder().subWorkers(2).build())   // two worker threads
        {
            // Sub callables run on the worker threads; a task reaches its tensors and scalars through its args.
            final int fill = worker.register(task ->
            {
                final UnsafeBuffer out = task.tensor(0).buffer();
                for (int i = 0; i < 4; i++)
                {
                    out.putFloat(i * Float.BYTES, task.scalarFloat(0));
                }
            });
            final int add = worker.register(task ->
            {
                final UnsafeBuffer a = task.tensor(0).buffer(), b = task.tensor(1).buffer();
                final UnsafeBuffer c = task.tensor(2).buffer();
                for (int i = 0; i < 4; i++)
                {
                    c.putFloat(i * Float.BYTES, a.getFloat(i * Float.BYTES) + b.getFloat(i * Float.BYTES));
                }
            });
            final Tensor sum = worker.sharedTensor(DataType.FLOAT32, 4);   // outlives the run
            worker.init();

            // One run: the orchestration function submits tasks; the engine orders them by the tensors they share.
            worker.run((orch, unused) ->
            {
                final Tensor x = orch.alloc(DataType.FLOAT32, 4);          // freed after its last consumer
                final Tensor y = orch.alloc(DataType.FLOAT32, 4);
                orch.submitSub(fill, new TaskArgs().inout(x).addFloat(1f));   // these two run in parallel
                orch.submitSub(fill, new TaskArgs().inout(y).addFloat(2f));
                orch.submitSub(add, new TaskArgs().input(x).input(y).outputExisting(sum));   // after both
            }, null);
            System.out.println("sum[0] = " + sum.buffer().getFloat(0));   // 3.0
        }
    }
}
