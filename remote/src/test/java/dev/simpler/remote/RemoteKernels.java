package dev.simpler.remote;

import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.DataType;
import dev.simpler.engine.OrchFn;
import dev.simpler.engine.SubCallable;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.TaskArgsView;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.TensorArgType;
import dev.simpler.engine.Worker;

/**
 * The sub callables and node functions the remote tests run, and the bytes they are expected to compute. All work
 * on INT32 elements so that results are exact.
 */
final class RemoteKernels
{
    /** Function: tensor 1 = tensor 0 × scalar 0 (INPUT, OUTPUT_EXISTING). */
    static final String SCALE = "test-scale";
    /** Function: tensor 1 += tensor 0 (INPUT, INOUT). */
    static final String ACCUMULATE = "test-accumulate";
    /** Function: tensor 0 = −tensor 0 + scalar 0 (INOUT). */
    static final String NEGATE_ADD = "test-negate-add";
    /** Function: fails with the text of scalar 0. */
    static final String FAIL = "test-fail";

    /** out[i] = in[i] * k: (INPUT in, OUTPUT_EXISTING out, scalar k). */
    static final SubCallable SCALE_KERNEL = (args) ->
    {
        final UnsafeBuffer in = args.tensor(0).buffer();
        final UnsafeBuffer out = args.tensor(1).buffer();
        final int k = (int)args.scalar(0);
        for (int i = 0; i < in.capacity(); i += Integer.BYTES)
        {
            out.putInt(i, in.getInt(i) * k);
        }
    };

    /** acc[i] += in[i]: (INPUT in, INOUT acc). */
    static final SubCallable ACCUMULATE_KERNEL = (args) ->
    {
        final UnsafeBuffer in = args.tensor(0).buffer();
        final UnsafeBuffer acc = args.tensor(1).buffer();
        for (int i = 0; i < in.capacity(); i += Integer.BYTES)
        {
            acc.putInt(i, acc.getInt(i) + in.getInt(i));
        }
    };

    /** x[i] = -x[i] + k: (INOUT x, scalar k). */
    static final SubCallable NEGATE_ADD_KERNEL = (args) ->
    {
        final UnsafeBuffer x = args.tensor(0).buffer();
        final int k = (int)args.scalar(0);
        for (int i = 0; i < x.capacity(); i += Integer.BYTES)
        {
            x.putInt(i, -x.getInt(i) + k);
        }
    };

    /** Throws with scalar 0 in its text. */
    static final SubCallable FAIL_KERNEL = (args) ->
    {
        throw new IllegalStateException("planned failure " + args.scalar(0));
    };

    private RemoteKernels()
    {
    }

    /**
     * Register the test kernels on an L3 Worker and the functions that run them on a node.
     *
     * @param l3   the node's Worker (with sub workers).
     * @param node the node's builder.
     * @return the builder.
     */
    static SimplerNode.Builder register(final Worker l3, final SimplerNode.Builder node)
    {
        final int scale = l3.register(SCALE_KERNEL);
        final int accumulate = l3.register(ACCUMULATE_KERNEL);
        final int negateAdd = l3.register(NEGATE_ADD_KERNEL);
        final int fail = l3.register(FAIL_KERNEL);
        return node
            .function(SCALE, split(scale, 2, TensorArgType.OUTPUT_EXISTING))
            .function(ACCUMULATE, split(accumulate, 2, TensorArgType.INOUT))
            .function(NEGATE_ADD, (orch, args) -> orch.submitSub(negateAdd, new TaskArgs()
                .inout(args.tensor(0)).addScalar(args.scalar(0))))
            .function(FAIL, (orch, args) -> orch.submitSub(fail, new TaskArgs().addScalar(args.scalar(0))));
    }

    /**
     * A function that splits its two tensors in two halves of rows and runs the kernel on each half as one sub task:
     * the L3 runs them in parallel on its sub workers.
     */
    private static OrchFn<TaskArgsView> split(final int kernel, final int tensors, final TensorArgType secondTag)
    {
        return (orch, args) ->
        {
            final Tensor first = args.tensor(0);
            final Tensor second = args.tensor(1);
            final int rows = first.shape(0);
            final int half = rows / 2;
            for (int part = 0; part < 2; part++)
            {
                final int start = part == 0 ? 0 : half;
                final int end = part == 0 ? half : rows;
                if (start == end)
                {
                    continue;
                }
                final TaskArgs sub = new TaskArgs()
                    .input(first.slice(start, end))
                    .add(second.slice(start, end), secondTag);
                for (int s = 0; s < args.scalarCount(); s++)
                {
                    sub.addScalar(args.scalar(s));
                }
                orch.submitSub(kernel, sub);
            }
        };
    }

    /**
     * Fill an INT32 tensor with {@code seed + i * 7}.
     *
     * @param t    the tensor.
     * @param seed the first value.
     */
    static void fill(final Tensor t, final int seed)
    {
        final UnsafeBuffer buffer = t.buffer();
        for (int i = 0; i < t.elementCount(); i++)
        {
            buffer.putInt(i * Integer.BYTES, seed + i * 7);
        }
    }

    /**
     * A one-dimensional INT32 tensor of the L4's shared memory.
     *
     * @param l4       the Worker.
     * @param elements its length.
     * @return the tensor.
     */
    static Tensor ints(final Worker l4, final int elements)
    {
        return l4.sharedTensor(DataType.INT32, elements);
    }

    /**
     * The default launch configuration, for brevity.
     *
     * @return {@link CallConfig#DEFAULT}.
     */
    static CallConfig config()
    {
        return CallConfig.DEFAULT;
    }
}
