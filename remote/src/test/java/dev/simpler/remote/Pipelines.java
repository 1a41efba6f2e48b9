package dev.simpler.remote;

import java.util.ArrayList;
import java.util.List;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;

/**
 * The pipeline the remote tests run on an L4 (SPEC §15: tensors both ways): three stages — y = 3x (INPUT,
 * OUTPUT_EXISTING), acc += y (INPUT, INOUT), acc = −acc + 10 (INOUT) — each a group whose members take equal parts of
 * the tensors and run on distinct lanes at once, so every stage uses every lane.
 */
final class Pipelines
{
    private Pipelines()
    {
    }

    /**
     * Run the pipeline over {@code total} INT32 elements and check every byte that came back.
     *
     * @param l4      the L4 Worker.
     * @param total   elements of each tensor.
     * @param members members of each group (at most the L4's lanes); 1 when {@code total} is smaller.
     * @return null when every element is right, else what is wrong.
     */
    static String run(final Worker l4, final int total, final int members)
    {
        final int parts = total >= members ? members : 1;
        final int part = total / parts;
        final Tensor x = RemoteKernels.ints(l4, total);
        final Tensor y = RemoteKernels.ints(l4, total);
        final Tensor acc = RemoteKernels.ints(l4, total);
        RemoteKernels.fill(x, 11);
        RemoteKernels.fill(acc, -5);
        final long scale = RemoteWorker.functionHandle(RemoteKernels.SCALE);
        final long accumulate = RemoteWorker.functionHandle(RemoteKernels.ACCUMULATE);
        final long negateAdd = RemoteWorker.functionHandle(RemoteKernels.NEGATE_ADD);
        l4.run((orch, ignored) ->
        {
            final List<TaskArgs> scales = new ArrayList<>();
            final List<TaskArgs> accumulates = new ArrayList<>();
            final List<TaskArgs> negates = new ArrayList<>();
            for (int c = 0; c < parts; c++)
            {
                final int end = c == parts - 1 ? total : (c + 1) * part;
                final Tensor xc = x.slice(c * part, end);
                final Tensor yc = y.slice(c * part, end);
                final Tensor accc = acc.slice(c * part, end);
                scales.add(new TaskArgs().input(xc).outputExisting(yc).addScalar(3));
                accumulates.add(new TaskArgs().input(yc).inout(accc));
                negates.add(new TaskArgs().inout(accc).addScalar(10));
            }
            orch.submitNextLevelGroup(scale, scales, CallConfig.DEFAULT);
            orch.submitNextLevelGroup(accumulate, accumulates, CallConfig.DEFAULT);
            orch.submitNextLevelGroup(negateAdd, negates, CallConfig.DEFAULT);
        }, null);
        for (int i = 0; i < total; i++)
        {
            final int xi = 11 + i * 7;
            final int acc0 = -5 + i * 7;
            if (y.buffer().getInt(i * 4) != xi * 3)
            {
                return "y, element " + i + ": " + y.buffer().getInt(i * 4) + " instead of " + xi * 3;
            }
            if (acc.buffer().getInt(i * 4) != -(acc0 + xi * 3) + 10)
            {
                return "acc, element " + i + ": " + acc.buffer().getInt(i * 4) + " instead of "
                    + (-(acc0 + xi * 3) + 10);
            }
        }
        return null;
    }
}
