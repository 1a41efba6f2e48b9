package dev.simpler.demo;

import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.TaskArgsView;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;

/**
 * The demo's sub callables. Every task gets, as its last tensor (tagged NO_DEP), a shared array of finish times
 * and, as its last scalar, its index in it: it stamps when it finished so the demo can measure
 * submit-to-finish latency per task.
 */
final class Kernels
{
    final int fill;
    final int scale;
    final int gather;

    private Kernels(final int fill, final int scale, final int gather)
    {
        this.fill = fill;
        this.scale = scale;
        this.gather = gather;
    }

    static Kernels register(final Worker worker)
    {
        final int fill = worker.register(args ->
        {
            // out[i] = seed + i
            final UnsafeBuffer out = args.tensor(0).buffer();
            final float seed = args.scalarFloat(0);
            for (int i = 0, n = (int)args.tensor(0).elementCount(); i < n; i++)
            {
                out.putFloat(i * Float.BYTES, seed + i);
            }
            finished(args);
        });
        final int scale = worker.register(args ->
        {
            // out[i] = in[offset + i] * factor
            final UnsafeBuffer in = args.tensor(0).buffer();
            final UnsafeBuffer out = args.tensor(1).buffer();
            final int offset = (int)args.scalar(0);
            final float factor = args.scalarFloat(1);
            for (int i = 0, n = (int)args.tensor(1).elementCount(); i < n; i++)
            {
                out.putFloat(i * Float.BYTES, in.getFloat((offset + i) * Float.BYTES) * factor);
            }
            finished(args);
        });
        final int gather = worker.register(args ->
        {
            // concatenate the branch slices into the result
            final int branches = args.tensorCount() - 2;
            final UnsafeBuffer out = args.tensor(branches).buffer();
            int position = 0;
            for (int b = 0; b < branches; b++)
            {
                final Tensor slice = args.tensor(b);
                out.putBytes(position, slice.buffer(), 0, (int)slice.nbytes());
                position += (int)slice.nbytes();
            }
            finished(args);
        });
        return new Kernels(fill, scale, gather);
    }

    private static void finished(final TaskArgsView args)
    {
        final Tensor times = args.tensor(args.tensorCount() - 1);
        final long index = args.scalar(args.scalarCount() - 1);
        times.buffer().putLong((int)index * Long.BYTES, System.nanoTime());
    }
}
