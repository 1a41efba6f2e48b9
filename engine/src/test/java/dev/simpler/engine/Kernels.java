package dev.simpler.engine;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Sub callables and next-level workers shared by the mode-aware tests. They capture nothing and talk to the test
 * only through tensor memory, so that they behave the same in this process and in a PROCESS-mode child.
 */
final class Kernels
{
    /** Chip callable handle passed to the next-level test workers; they ignore it. */
    static final long ANY_HANDLE = 7;

    /** FLOAT32 tensor 0 (OUTPUT or INOUT): {@code t[i] = i * scalarFloat(0)}. */
    static final SubCallable FILL_RAMP = (args) ->
    {
        final UnsafeBuffer out = args.tensor(0).buffer();
        final float factor = args.scalarFloat(0);
        final int n = (int)args.tensor(0).elementCount();
        for (int i = 0; i < n; i++)
        {
            out.putFloat(i * Float.BYTES, i * factor);
        }
    };

    /** FLOAT32 tensors a, b (INPUT), out (OUTPUT): {@code out[i] = a[i] + b[i]}. */
    static final SubCallable VECTOR_ADD = Kernels::addVectors;

    /** Tensor 0 (INPUT) copied byte for byte into tensor 1 (OUTPUT/OUTPUT_EXISTING) of the same size. */
    static final SubCallable COPY = (args) ->
    {
        final Tensor in = args.tensor(0);
        args.tensor(1).buffer().putBytes(0, in.buffer(), 0, (int)in.nbytes());
    };

    /**
     * INT32 log, tensor 0 (INOUT): entry 0 counts the entries that follow; appends scalar 0. Not atomic: only
     * correct when no two appends to one log overlap.
     */
    static final SubCallable APPEND_TO_LOG = (args) ->
    {
        final UnsafeBuffer log = args.tensor(0).buffer();
        final int count = log.getInt(0);
        log.putInt(Integer.BYTES * (1 + count), (int)args.scalar(0));
        log.putInt(0, count + 1);
    };

    /**
     * INT32 counters, tensor 0 (NO_DEP): atomically adds 1 to counter {@code scalar(0)}. Further tensors are only
     * there for their dependencies.
     */
    static final SubCallable COUNT_RUN = (args) ->
        args.tensor(0).buffer().getAndAddInt(Integer.BYTES * (int)args.scalar(0), 1);

    /** Throws an exception whose text is {@code planned failure <scalar 0>}. */
    static final SubCallable FAIL = (args) ->
    {
        throw new IllegalStateException("planned failure " + args.scalar(0));
    };

    /** Writes the first and last byte of every tensor: the memory must be mapped and writable. */
    static final SubCallable TOUCH = (args) ->
    {
        for (int i = 0; i < args.tensorCount(); i++)
        {
            final Tensor t = args.tensor(i);
            if (t.nbytes() > 0)
            {
                t.buffer().putByte(0, (byte)1);
                t.buffer().putByte((int)t.nbytes() - 1, (byte)2);
            }
        }
    };

    /** INT64 tensor 0 (OUTPUT_EXISTING): {@code t[i] = scalar(i)} for every scalar. */
    static final SubCallable COPY_SCALARS = (args) ->
    {
        final UnsafeBuffer out = args.tensor(0).buffer();
        for (int i = 0; i < args.scalarCount(); i++)
        {
            out.putLong(i * Long.BYTES, args.scalar(i));
        }
    };

    /** INT32 tensor 0 (OUTPUT/OUTPUT_EXISTING): element 0 becomes {@code scalar(0)}. */
    static final SubCallable PUT_SCALAR = (args) -> args.tensor(0).buffer().putInt(0, (int)args.scalar(0));

    /** Like {@link #APPEND_TO_LOG}, after spinning for {@code scalar(1)} nanoseconds: a task slower than a submit. */
    static final SubCallable SLOW_APPEND_TO_LOG = (args) ->
    {
        final long end = System.nanoTime() + args.scalar(1);
        while (System.nanoTime() - end < 0)
        {
            Thread.onSpinWait();
        }
        APPEND_TO_LOG.call(args);
    };

    /**
     * INT32 tensor 0 (NO_DEP): waits until element 0 is non-zero (at most {@link TestWorkers#LATCH_SECONDS}), then
     * atomically adds 1 to element 1.
     */
    static final SubCallable AWAIT_FLAG_THEN_COUNT = (args) ->
    {
        final UnsafeBuffer flag = args.tensor(0).buffer();
        final long deadline = System.nanoTime() + TestWorkers.LATCH_SECONDS * 1_000_000_000L;
        while (flag.getIntVolatile(0) == 0)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("the flag was never raised");
            }
            Thread.onSpinWait();
        }
        flag.getAndAddInt(Integer.BYTES, 1);
    };

    /**
     * INT32 tensor 0 (NO_DEP): waits until element 0 is non-zero (at most {@link TestWorkers#LATCH_SECONDS}), then
     * copies tensor 1 (INPUT) into tensor 2 (OUTPUT_EXISTING or INOUT) of the same size, or, with only two tensors,
     * appends scalar 0 to the INT32 log in tensor 1 (INOUT) like {@link #APPEND_TO_LOG}.
     */
    static final SubCallable AWAIT_FLAG_THEN_COPY_OR_APPEND = (args) ->
    {
        final UnsafeBuffer flag = args.tensor(0).buffer();
        final long deadline = System.nanoTime() + TestWorkers.LATCH_SECONDS * 1_000_000_000L;
        while (flag.getIntVolatile(0) == 0)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("the flag was never raised");
            }
            Thread.onSpinWait();
        }
        if (args.tensorCount() == 2)
        {
            final UnsafeBuffer log = args.tensor(1).buffer();
            final int count = log.getInt(0);
            log.putInt(Integer.BYTES * (1 + count), (int)args.scalar(0));
            log.putInt(0, count + 1);
        }
        else
        {
            final Tensor in = args.tensor(1);
            args.tensor(2).buffer().putBytes(0, in.buffer(), 0, (int)in.nbytes());
        }
    };

    /** Next-level worker that adds vectors like {@link #VECTOR_ADD}, whatever the callable handle. */
    static final WorkerFactory VECTOR_ADD_WORKER = VectorAddWorker::new;

    /** Next-level worker that counts its runs like {@link #COUNT_RUN}. */
    static final WorkerFactory COUNTING_WORKER = CountingWorker::new;

    /** Next-level worker that always throws {@code chip failure <callable>}. */
    static final WorkerFactory FAILING_WORKER = FailingWorker::new;

    private Kernels()
    {
    }

    static void addVectors(final TaskArgsView args)
    {
        final UnsafeBuffer a = args.tensor(0).buffer();
        final UnsafeBuffer b = args.tensor(1).buffer();
        final UnsafeBuffer out = args.tensor(2).buffer();
        final int n = (int)args.tensor(2).elementCount();
        for (int i = 0; i < n; i++)
        {
            final int offset = i * Float.BYTES;
            out.putFloat(offset, a.getFloat(offset) + b.getFloat(offset));
        }
    }

    /**
     * Fill a FLOAT32 tensor from this process: {@code t[i] = i * factor}.
     *
     * @param t      the tensor.
     * @param factor the ramp's slope.
     */
    static void fillRamp(final Tensor t, final float factor)
    {
        final int n = (int)t.elementCount();
        for (int i = 0; i < n; i++)
        {
            t.buffer().putFloat(i * Float.BYTES, i * factor);
        }
    }

    /**
     * Zero a tensor's bytes from this process.
     *
     * @param t the tensor.
     */
    static void zero(final Tensor t)
    {
        t.buffer().setMemory(0, (int)t.nbytes(), (byte)0);
    }

    static final class VectorAddWorker implements IWorker
    {
        @Override
        public void run(final long callable, final TaskArgsView args, final CallConfig config)
        {
            addVectors(args);
        }
    }

    static final class CountingWorker implements IWorker
    {
        @Override
        public void run(final long callable, final TaskArgsView args, final CallConfig config)
        {
            args.tensor(0).buffer().getAndAddInt(Integer.BYTES * (int)args.scalar(0), 1);
        }
    }

    static final class FailingWorker implements IWorker
    {
        @Override
        public void run(final long callable, final TaskArgsView args, final CallConfig config)
        {
            throw new IllegalStateException("chip failure " + callable);
        }
    }
}
