package dev.simpler.engine.process;

import dev.simpler.engine.DataType;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.scheduler.StoredArgs;
import dev.simpler.mailbox.ArgsBlobFlyweight;
import dev.simpler.mailbox.TensorFlyweight;

/**
 * Decodes a task's arguments in a child: from the mailbox's args blob into a {@link StoredArgs}, with every
 * tensor address translated into the child's own mapping of the shared files.
 */
final class ChildArgs
{
    private final StoredArgs args = new StoredArgs();
    private final int[] shape = new int[Tensor.MAX_DIMS];

    /**
     * The decoded arguments.
     *
     * @return the view handed to the callable.
     */
    StoredArgs args()
    {
        return args;
    }

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
        args.reset(tensorTotal, scalarTotal);
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
                args.reset(0, 0);
                return "tensor " + i + " is not in shared memory mapped by this child: address=0x"
                    + Long.toHexString(onWire.address()) + ", nbytes=" + onWire.nbytes();
            }
            args.setTensor(i, onWire.withAddress(local));
        }
        for (int i = 0; i < scalarTotal; i++)
        {
            args.setScalar(i, blob.scalar(i));
        }
        return null;
    }
}
