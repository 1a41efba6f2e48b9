package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;

/**
 * One task on a loopback node: the smallest round trip of SPEC §15.
 */
class OneTaskTest
{
    @Test
    @Timeout(60)
    void scaleTaskOnALoopbackNodeWritesItsOutputIntoTheLevelFourTensor() throws Exception
    {
        try (SimplerNode node = RemoteTests.node(WorkerMode.THREAD);
            RemoteWorker lane = RemoteTests.lane(node);
            Worker l4 = Worker.builder().level(4).nextLevel(lane).build())
        {
            l4.init();
            final Tensor in = RemoteKernels.ints(l4, 64);
            final Tensor out = RemoteKernels.ints(l4, 64);
            RemoteKernels.fill(in, 5);
            final long scale = RemoteWorker.functionHandle(RemoteKernels.SCALE);
            l4.run((orch, x) -> orch.submitNextLevel(scale, new TaskArgs().input(in).outputExisting(out).addScalar(3),
                RemoteKernels.config()), null);
            for (int i = 0; i < 64; i++)
            {
                assertEquals((5 + i * 7) * 3, out.buffer().getInt(i * 4), "element " + i);
            }
        }
    }
}
