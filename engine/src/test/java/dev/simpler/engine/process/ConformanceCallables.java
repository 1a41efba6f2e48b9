package dev.simpler.engine.process;

import java.util.function.Supplier;

import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.DataType;
import dev.simpler.engine.SubCallable;
import dev.simpler.engine.TaskArgsView;
import dev.simpler.engine.Tensor;

/**
 * The sub callables a foreign parent runs in our child, {@code ChildMain --callables
 * dev.simpler.engine.process.ConformanceCallables}; used by {@code CParentConformanceTest}, whose C parent
 * ({@code src/test/resources/conformance/c_parent.c}) documents the same contract by id:
 * <ol start="0">
 *     <li>add: FLOAT32 tensors 0, 1 (inputs), 2 (output): {@code t2[i] = t0[i] + t1[i]};</li>
 *     <li>scale: FLOAT32 tensors 0 (input), 1 (output): {@code t1[i] = t0[i] * scalarFloat(0)};</li>
 *     <li>throw: throws {@code IllegalStateException("java child: callable 2 failed on purpose")};</li>
 *     <li>describe: INT64 tensor 0 receives the tensor and scalar counts, the scalars, and for every other tensor
 *     its ndims, shape[0..4] (0 beyond ndims), dtype code, nbytes and address minus tensor 0's (-1 if null).</li>
 * </ol>
 * Tensor data is in host byte order.
 */
public final class ConformanceCallables implements Supplier<SubCallable[]>
{
    private static final int DESCRIBE_PER_TENSOR = 9;

    /**
     * Created by {@code ChildMain} through reflection.
     */
    public ConformanceCallables()
    {
    }

    @Override
    public SubCallable[] get()
    {
        return new SubCallable[] {
            ConformanceCallables::add,
            ConformanceCallables::scale,
            ConformanceCallables::fail,
            ConformanceCallables::describe
        };
    }

    private static void add(final TaskArgsView args)
    {
        final UnsafeBuffer a = floats(args, 0);
        final UnsafeBuffer b = floats(args, 1);
        final UnsafeBuffer out = floats(args, 2);
        requireSameCount(args, 0, 2);
        requireSameCount(args, 1, 2);
        for (int i = 0; i < out.capacity(); i += Float.BYTES)
        {
            out.putFloat(i, a.getFloat(i) + b.getFloat(i));
        }
    }

    private static void scale(final TaskArgsView args)
    {
        final UnsafeBuffer in = floats(args, 0);
        final UnsafeBuffer out = floats(args, 1);
        requireSameCount(args, 0, 1);
        final float factor = args.scalarFloat(0);
        for (int i = 0; i < out.capacity(); i += Float.BYTES)
        {
            out.putFloat(i, in.getFloat(i) * factor);
        }
    }

    private static void fail(final TaskArgsView args)
    {
        throw new IllegalStateException("java child: callable 2 failed on purpose");
    }

    private static void describe(final TaskArgsView args)
    {
        final Tensor target = args.tensor(0);
        if (target.dtype() != DataType.INT64)
        {
            throw new IllegalArgumentException("describe writes into an INT64 tensor 0: " + target);
        }
        final UnsafeBuffer out = target.buffer();
        int index = 0;
        index = put(out, index, args.tensorCount());
        index = put(out, index, args.scalarCount());
        for (int i = 0; i < args.scalarCount(); i++)
        {
            index = put(out, index, args.scalar(i));
        }
        for (int j = 1; j < args.tensorCount(); j++)
        {
            final Tensor t = args.tensor(j);
            final int first = index;
            index = put(out, index, t.ndims());
            for (int d = 0; d < Tensor.MAX_DIMS; d++)
            {
                index = put(out, index, d < t.ndims() ? t.shape(d) : 0);
            }
            index = put(out, index, t.dtype().code());
            index = put(out, index, t.nbytes());
            index = put(out, index, t.address() == 0 ? -1 : t.address() - target.address());
            assert index - first == DESCRIBE_PER_TENSOR;
        }
    }

    private static int put(final UnsafeBuffer out, final int index, final long value)
    {
        out.putLong(index * Long.BYTES, value);
        return index + 1;
    }

    private static UnsafeBuffer floats(final TaskArgsView args, final int i)
    {
        final Tensor t = args.tensor(i);
        if (t.dtype() != DataType.FLOAT32)
        {
            throw new IllegalArgumentException("tensor " + i + " must be FLOAT32: " + t);
        }
        return t.buffer();
    }

    private static void requireSameCount(final TaskArgsView args, final int i, final int j)
    {
        if (args.tensor(i).elementCount() != args.tensor(j).elementCount())
        {
            throw new IllegalArgumentException("tensors " + i + " and " + j + " differ in element count: "
                + args.tensor(i) + ", " + args.tensor(j));
        }
    }
}
