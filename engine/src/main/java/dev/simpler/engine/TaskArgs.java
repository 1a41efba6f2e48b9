package dev.simpler.engine;

import java.util.Arrays;
import java.util.Objects;

/**
 * The arguments of one task as the orchestration function builds them: tagged tensors, then 64-bit scalars.
 * Reusable after a submit ({@link #clear()}); the engine copies what it needs at submit time.
 */
public final class TaskArgs implements TaskArgsView
{
    private static final int INITIAL_CAPACITY = 4;

    private Tensor[] tensors = new Tensor[INITIAL_CAPACITY];
    private TensorArgType[] tags = new TensorArgType[INITIAL_CAPACITY];
    private long[] scalars = new long[INITIAL_CAPACITY];
    private int tensorCount;
    private int scalarCount;

    /**
     * Empty arguments.
     */
    public TaskArgs()
    {
    }

    /**
     * Append a tagged tensor.
     *
     * @param t   the tensor.
     * @param tag how the task uses it.
     * @return this.
     * @throws IllegalStateException if a scalar was already added.
     */
    public TaskArgs add(final Tensor t, final TensorArgType tag)
    {
        Objects.requireNonNull(t, "tensor");
        Objects.requireNonNull(tag, "tag");
        if (scalarCount > 0)
        {
            throw new IllegalStateException("tensors come before scalars: cannot add tensor " + tensorCount
                + " after " + scalarCount + " scalar(s)");
        }
        if (tensorCount == tensors.length)
        {
            tensors = Arrays.copyOf(tensors, tensorCount * 2);
            tags = Arrays.copyOf(tags, tensorCount * 2);
        }
        tensors[tensorCount] = t;
        tags[tensorCount] = tag;
        tensorCount++;
        return this;
    }

    /**
     * Append a tensor the task reads.
     *
     * @param t the tensor.
     * @return this.
     */
    public TaskArgs input(final Tensor t)
    {
        return add(t, TensorArgType.INPUT);
    }

    /**
     * Append a tensor the task writes; address 0 asks the engine to allocate it.
     *
     * @param t the tensor.
     * @return this.
     */
    public TaskArgs output(final Tensor t)
    {
        return add(t, TensorArgType.OUTPUT);
    }

    /**
     * Append a tensor the task reads then writes.
     *
     * @param t the tensor.
     * @return this.
     */
    public TaskArgs inout(final Tensor t)
    {
        return add(t, TensorArgType.INOUT);
    }

    /**
     * Append a caller buffer the task writes (it waits for earlier readers and writers of its bytes).
     *
     * @param t the tensor.
     * @return this.
     */
    public TaskArgs outputExisting(final Tensor t)
    {
        return add(t, TensorArgType.OUTPUT_EXISTING);
    }

    /**
     * Append a tensor passed through without dependency tracking.
     *
     * @param t the tensor.
     * @return this.
     */
    public TaskArgs noDep(final Tensor t)
    {
        return add(t, TensorArgType.NO_DEP);
    }

    /**
     * Append a scalar as raw bits.
     *
     * @param bits the 64 bits.
     * @return this.
     */
    public TaskArgs addScalar(final long bits)
    {
        if (scalarCount == scalars.length)
        {
            scalars = Arrays.copyOf(scalars, scalarCount * 2);
        }
        scalars[scalarCount++] = bits;
        return this;
    }

    /**
     * Append a float scalar: its IEEE bits, zero-extended.
     *
     * @param v the value.
     * @return this.
     */
    public TaskArgs addFloat(final float v)
    {
        return addScalar(Float.floatToRawIntBits(v) & 0xFFFF_FFFFL);
    }

    /**
     * Append a double scalar: its IEEE bits.
     *
     * @param v the value.
     * @return this.
     */
    public TaskArgs addDouble(final double v)
    {
        return addScalar(Double.doubleToRawLongBits(v));
    }

    /**
     * The tag of tensor {@code i}.
     *
     * @param i index.
     * @return the tag.
     */
    @Override
    public TensorArgType tag(final int i)
    {
        checkTensorIndex(i);
        return tags[i];
    }

    /**
     * Replace tensor {@code i}, keeping its tag. The engine uses it to patch allocated OUTPUTs in.
     *
     * @param i index.
     * @param t the new tensor.
     * @return this.
     */
    public TaskArgs setTensor(final int i, final Tensor t)
    {
        checkTensorIndex(i);
        tensors[i] = Objects.requireNonNull(t, "tensor");
        return this;
    }

    /**
     * Remove every tensor and scalar, keeping the storage.
     *
     * @return this.
     */
    public TaskArgs clear()
    {
        Arrays.fill(tensors, 0, tensorCount, null);
        tensorCount = 0;
        scalarCount = 0;
        return this;
    }

    @Override
    public int tensorCount()
    {
        return tensorCount;
    }

    @Override
    public Tensor tensor(final int i)
    {
        checkTensorIndex(i);
        return tensors[i];
    }

    @Override
    public int scalarCount()
    {
        return scalarCount;
    }

    @Override
    public long scalar(final int i)
    {
        if (i < 0 || i >= scalarCount)
        {
            throw new IndexOutOfBoundsException("scalar index out of range: i=" + i + ", scalarCount=" + scalarCount);
        }
        return scalars[i];
    }

    private void checkTensorIndex(final int i)
    {
        if (i < 0 || i >= tensorCount)
        {
            throw new IndexOutOfBoundsException("tensor index out of range: i=" + i + ", tensorCount=" + tensorCount);
        }
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("TaskArgs{");
        for (int i = 0; i < tensorCount; i++)
        {
            sb.append(tags[i]).append(' ').append(tensors[i]).append(", ");
        }
        sb.append("scalars=").append(Arrays.toString(Arrays.copyOf(scalars, scalarCount))).append('}');
        return sb.toString();
    }
}
