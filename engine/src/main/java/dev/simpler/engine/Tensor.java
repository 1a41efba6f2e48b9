package dev.simpler.engine;

import java.util.Arrays;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * A tensor argument: the address of its first byte in this process, its element type and its shape.
 * Immutable. Address 0 is the null tensor; tagged OUTPUT it asks the engine to allocate the memory.
 */
public final class Tensor
{
    /** Most dimensions a tensor may have. */
    public static final int MAX_DIMS = 5;

    private final long address;
    private final DataType dtype;
    private final int[] shape;
    private final long nbytes;
    // Published with a volatile write: the tensor is handed between threads and the view must never be seen
    // half-built.
    private volatile UnsafeBuffer buffer;

    private Tensor(final long address, final DataType dtype, final int[] shape, final long nbytes)
    {
        this.address = address;
        this.dtype = dtype;
        this.shape = shape;
        this.nbytes = nbytes;
    }

    /**
     * A tensor at an address.
     *
     * @param address first byte in this process, or 0 for the null tensor.
     * @param dtype   element type.
     * @param shape   1 to 5 non-negative dimensions.
     * @return the tensor.
     * @throws IllegalArgumentException for a bad shape or a null dtype.
     */
    public static Tensor of(final long address, final DataType dtype, final int... shape)
    {
        if (dtype == null)
        {
            throw new IllegalArgumentException("dtype must not be null");
        }
        if (shape == null || shape.length < 1 || shape.length > MAX_DIMS)
        {
            throw new IllegalArgumentException(
                "a tensor has 1.." + MAX_DIMS + " dimensions: ndims=" + (shape == null ? 0 : shape.length));
        }
        long elements = 1;
        for (int i = 0; i < shape.length; i++)
        {
            if (shape[i] < 0)
            {
                throw new IllegalArgumentException(
                    "tensor dimensions must be >= 0: shape=" + Arrays.toString(shape) + ", dim " + i + "=" + shape[i]);
            }
            elements = Math.multiplyExact(elements, shape[i]);
        }
        return new Tensor(address, dtype, shape.clone(), Math.multiplyExact(elements, dtype.elementSize()));
    }

    /**
     * A view of this tensor's bytes (SPEC §2.6): {@code shape} elements of {@code dtype} starting {@code byteOffset}
     * bytes into this tensor. A view is a tensor like any other: tasks that name it depend on the bytes it covers,
     * and a view of an {@code alloc}'d tensor keeps its memory alive like the tensor itself.
     *
     * @param byteOffset where the view starts, in bytes from this tensor's address.
     * @param dtype      the view's element type.
     * @param shape      the view's 1 to 5 dimensions.
     * @return the view.
     * @throws IndexOutOfBoundsException when the view does not lie inside this tensor, naming the offset, the view's
     *                                   size and this tensor's size.
     * @throws IllegalArgumentException  for the null tensor, which has no bytes, or a bad shape.
     */
    public Tensor view(final long byteOffset, final DataType dtype, final int... shape)
    {
        if (address == 0)
        {
            throw new IllegalArgumentException("the null tensor has no bytes to view: " + this);
        }
        final Tensor shaped = of(0, dtype, shape);
        if (byteOffset < 0 || byteOffset > nbytes || shaped.nbytes > nbytes - byteOffset)
        {
            throw new IndexOutOfBoundsException("a view of " + shaped.nbytes + " bytes at byte offset " + byteOffset
                + " does not lie inside the tensor of " + nbytes + " bytes: " + this);
        }
        return new Tensor(address + byteOffset, dtype, shaped.shape, shaped.nbytes);
    }

    /**
     * The rows {@code [start, end)} of dimension 0, as a view of this tensor (SPEC §2.6).
     *
     * @param start first row, 0 to {@code shape(0)}.
     * @param end   row after the last, {@code start} to {@code shape(0)}.
     * @return the view, of {@code end - start} rows.
     * @throws IndexOutOfBoundsException when the rows are not within dimension 0, naming both and its size.
     * @throws IllegalArgumentException  for the null tensor, which has no bytes.
     */
    public Tensor slice(final int start, final int end)
    {
        if (address == 0)
        {
            throw new IllegalArgumentException("the null tensor has no rows to slice: " + this);
        }
        final int rows = shape[0];
        if (start < 0 || end < start || end > rows)
        {
            throw new IndexOutOfBoundsException("rows [" + start + ", " + end + ") are not within dimension 0 of "
                + rows + " rows: " + this);
        }
        long rowBytes = dtype.elementSize();
        for (int i = 1; i < shape.length; i++)
        {
            rowBytes *= shape[i];
        }
        final int[] sliced = shape.clone();
        sliced[0] = end - start;
        return new Tensor(address + start * rowBytes, dtype, sliced, (end - start) * rowBytes);
    }

    /**
     * The same element type and shape at another address.
     *
     * @param newAddress the other address.
     * @return the moved tensor.
     */
    public Tensor withAddress(final long newAddress)
    {
        return new Tensor(newAddress, dtype, shape, nbytes);
    }

    /**
     * Address of the first byte in this process.
     *
     * @return the address, 0 for the null tensor.
     */
    public long address()
    {
        return address;
    }

    /**
     * Element type.
     *
     * @return the dtype.
     */
    public DataType dtype()
    {
        return dtype;
    }

    /**
     * Number of dimensions.
     *
     * @return 1..5.
     */
    public int ndims()
    {
        return shape.length;
    }

    /**
     * Elements along one dimension.
     *
     * @param dim 0..4; dimensions at or past {@link #ndims()} are 0.
     * @return the extent.
     */
    public int shape(final int dim)
    {
        if (dim < 0 || dim >= MAX_DIMS)
        {
            throw new IndexOutOfBoundsException("dim must be in 0.." + (MAX_DIMS - 1) + ": dim=" + dim);
        }
        return dim < shape.length ? shape[dim] : 0;
    }

    /**
     * Number of elements: the product of the dimensions.
     *
     * @return element count.
     */
    public long elementCount()
    {
        return nbytes / dtype.elementSize();
    }

    /**
     * Size of the data.
     *
     * @return product of the shape times the element size.
     */
    public long nbytes()
    {
        return nbytes;
    }

    /**
     * This process's view of the tensor's bytes.
     *
     * @return a buffer over {@code [address, address + nbytes)}.
     * @throws IllegalStateException for the null tensor, a tensor of 2 GiB or more, or a JVM without the flags
     *                               Agrona needs ({@link JvmFlags}).
     */
    public UnsafeBuffer buffer()
    {
        UnsafeBuffer view = buffer;
        if (view == null)
        {
            JvmFlags.check();
            if (address == 0)
            {
                throw new IllegalStateException("the null tensor has no memory: " + this);
            }
            if (nbytes > Integer.MAX_VALUE)
            {
                throw new IllegalStateException("a buffer view is limited to 2 GiB: nbytes=" + nbytes);
            }
            view = new UnsafeBuffer(address, (int)nbytes);
            buffer = view;
        }
        return view;
    }

    @Override
    public boolean equals(final Object o)
    {
        if (this == o)
        {
            return true;
        }
        if (!(o instanceof Tensor))
        {
            return false;
        }
        final Tensor other = (Tensor)o;
        return address == other.address && dtype == other.dtype && Arrays.equals(shape, other.shape);
    }

    @Override
    public int hashCode()
    {
        return (Long.hashCode(address) * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString()
    {
        return "Tensor{address=0x" + Long.toHexString(address) + ", dtype=" + dtype + ", shape="
            + Arrays.toString(shape) + '}';
    }
}
