package dev.simpler.engine.process;

import dev.simpler.engine.DataType;
import dev.simpler.engine.TaskArgsView;
import dev.simpler.engine.Tensor;
import dev.simpler.mailbox.ArgsBlobFlyweight;
import dev.simpler.mailbox.TensorFlyweight;

/**
 * A task's arguments as the child sees them: decoded from the mailbox's args blob, with every tensor address
 * translated into the child's own mapping of the shared files.
 */
final class ChildArgs implements TaskArgsView
{
    private Tensor[] tensors = new Tensor[8];
    private long[] scalars = new long[8];
    private final int[] shape = new int[Tensor.MAX_DIMS];
    private int tensorCount;
    private int scalarCount;

    /**
     * Decode a blob.
     *
     * @param blob    the mailbox's args blob.
     * @param regions the child's mappings.
     * @return null on success, or why a tensor could not be reached.
     */
    String decode(final ArgsBlobFlyweight blob, final ChildRegions regions)
    {
        final int tensorTotal = blob.tensorCount();
        final int scalarTotal = blob.scalarCount();
        if (tensorTotal > tensors.length)
        {
            tensors = new Tensor[tensorTotal];
        }
        if (scalarTotal > scalars.length)
        {
            scalars = new long[scalarTotal];
        }
        for (int i = 0; i < tensorTotal; i++)
        {
            final TensorFlyweight record = blob.tensor(i);
            final int ndims = record.ndims();
            final int[] dims = ndims == shape.length ? shape : new int[ndims];
            for (int d = 0; d < ndims; d++)
            {
                dims[d] = record.shape(d);
            }
            final Tensor onWire = Tensor.of(record.address(), DataType.fromCode(record.dtypeCode()), dims);
            final long local = regions.translate(onWire.address(), onWire.nbytes());
            if (local < 0)
            {
                tensorCount = 0;
                return "tensor " + i + " is not in shared memory mapped by this child: address=0x"
                    + Long.toHexString(onWire.address()) + ", nbytes=" + onWire.nbytes();
            }
            tensors[i] = onWire.withAddress(local);
        }
        for (int i = 0; i < scalarTotal; i++)
        {
            scalars[i] = blob.scalar(i);
        }
        tensorCount = tensorTotal;
        scalarCount = scalarTotal;
        return null;
    }

    @Override
    public int tensorCount()
    {
        return tensorCount;
    }

    @Override
    public Tensor tensor(final int i)
    {
        if (i < 0 || i >= tensorCount)
        {
            throw new IndexOutOfBoundsException("tensor index out of range: i=" + i + ", tensorCount=" + tensorCount);
        }
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
}
