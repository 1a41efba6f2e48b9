package dev.simpler.mailbox;

import static dev.simpler.mailbox.TensorDescriptor.ADDRESS_OFFSET;
import static dev.simpler.mailbox.TensorDescriptor.DTYPE_OFFSET;
import static dev.simpler.mailbox.TensorDescriptor.ENCODED_LENGTH;
import static dev.simpler.mailbox.TensorDescriptor.MAX_DIMS;
import static dev.simpler.mailbox.TensorDescriptor.MAX_DTYPE_CODE;
import static dev.simpler.mailbox.TensorDescriptor.NDIMS_OFFSET;
import static dev.simpler.mailbox.TensorDescriptor.PADDING_LENGTH;
import static dev.simpler.mailbox.TensorDescriptor.PADDING_OFFSET;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over one 40-byte tensor record laid out by {@link TensorDescriptor}.
 * <p>
 * One instance is reused for any number of records: {@link #wrap(MutableDirectBuffer, int)} positions it, and no
 * method allocates except when it throws. Wrapped over a read-only {@link DirectBuffer} the setters throw
 * {@link IllegalStateException}. Not thread-safe: one thread uses an instance at a time.
 */
public final class TensorFlyweight
{
    private DirectBuffer buffer;
    private MutableDirectBuffer mutableBuffer;
    private int offset;

    /**
     * A tensor record flyweight that wraps nothing yet: {@link #wrap} gives it a record.
     */
    public TensorFlyweight()
    {
    }

    /**
     * Wrap a record for reading and writing.
     *
     * @param buffer holding the record.
     * @param offset of the record in the buffer.
     * @return this for a fluent API.
     * @throws IllegalArgumentException if the record does not fit the buffer.
     */
    public TensorFlyweight wrap(final MutableDirectBuffer buffer, final int offset)
    {
        checkBounds(buffer, offset);
        this.buffer = buffer;
        this.mutableBuffer = buffer;
        this.offset = offset;
        return this;
    }

    /**
     * Wrap a record for reading only.
     *
     * @param buffer holding the record.
     * @param offset of the record in the buffer.
     * @return this for a fluent API.
     * @throws IllegalArgumentException if the record does not fit the buffer.
     */
    public TensorFlyweight wrap(final DirectBuffer buffer, final int offset)
    {
        checkBounds(buffer, offset);
        this.buffer = buffer;
        this.mutableBuffer = null;
        this.offset = offset;
        return this;
    }

    /**
     * The buffer currently wrapped.
     *
     * @return the buffer, or null before the first wrap.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * Offset of the wrapped record in its buffer.
     *
     * @return the offset.
     */
    public int offset()
    {
        return offset;
    }

    /**
     * The data address.
     *
     * @return the u64 address; {@link TensorDescriptor#NULL_ADDRESS} for a null tensor.
     */
    public long address()
    {
        return buffer.getLong(offset + ADDRESS_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Set the data address.
     *
     * @param address u64 address; {@link TensorDescriptor#NULL_ADDRESS} for a null tensor.
     * @return this for a fluent API.
     */
    public TensorFlyweight address(final long address)
    {
        mutable().putLong(offset + ADDRESS_OFFSET, address, LITTLE_ENDIAN);
        return this;
    }

    /**
     * The number of dimensions as stored; a corrupt record may hold a value outside 1..{@link
     * TensorDescriptor#MAX_DIMS}.
     *
     * @return the u32 ndims field as an int.
     */
    public int ndims()
    {
        return buffer.getInt(offset + NDIMS_OFFSET, LITTLE_ENDIAN);
    }

    /**
     * Set the number of dimensions.
     *
     * @param ndims 1..{@link TensorDescriptor#MAX_DIMS}.
     * @return this for a fluent API.
     * @throws IllegalArgumentException if out of range.
     */
    public TensorFlyweight ndims(final int ndims)
    {
        TensorDescriptor.checkNdims(ndims);
        mutable().putInt(offset + NDIMS_OFFSET, ndims, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Elements in one dimension as stored.
     *
     * @param dim dimension index, 0..{@link TensorDescriptor#MAX_DIMS} - 1; unused dimensions read 0.
     * @return the u32 shape entry as an int.
     * @throws IllegalArgumentException if {@code dim} is out of range.
     */
    public int shape(final int dim)
    {
        return buffer.getInt(offset + TensorDescriptor.shapeOffset(dim), LITTLE_ENDIAN);
    }

    /**
     * Set the elements in one dimension.
     *
     * @param dim    dimension index, 0..{@link TensorDescriptor#MAX_DIMS} - 1.
     * @param extent elements in that dimension, non-negative.
     * @return this for a fluent API.
     * @throws IllegalArgumentException if {@code dim} is out of range or {@code extent} negative.
     */
    public TensorFlyweight shape(final int dim, final int extent)
    {
        final int fieldOffset = TensorDescriptor.shapeOffset(dim);
        TensorDescriptor.checkExtent(dim, extent);
        mutable().putInt(offset + fieldOffset, extent, LITTLE_ENDIAN);
        return this;
    }

    /**
     * The dtype code as stored.
     *
     * @return the u8 dtype code, 0..255.
     */
    public int dtypeCode()
    {
        return buffer.getByte(offset + DTYPE_OFFSET) & 0xFF;
    }

    /**
     * Set the dtype code.
     *
     * @param dtypeCode 0..{@link TensorDescriptor#MAX_DTYPE_CODE}.
     * @return this for a fluent API.
     * @throws IllegalArgumentException for an unknown code.
     */
    public TensorFlyweight dtypeCode(final int dtypeCode)
    {
        TensorDescriptor.checkDtype(dtypeCode);
        mutable().putByte(offset + DTYPE_OFFSET, (byte)dtypeCode);
        return this;
    }

    /**
     * Size of the tensor's data: the product of {@code shape[0..ndims)} times the element size.
     *
     * @return the size in bytes.
     * @throws IllegalStateException if the record is corrupt (ndims, dtype or a dimension out of range) or the size
     *                               does not fit a long.
     */
    public long nbytes()
    {
        final int ndims = ndims();
        if (ndims < 1 || ndims > MAX_DIMS)
        {
            throw new IllegalStateException(
                "corrupt tensor record, ndims must be in 1.." + MAX_DIMS + ": ndims=" + ndims + ", offset=" + offset);
        }

        final int dtypeCode = dtypeCode();
        if (!TensorDescriptor.isValidDtype(dtypeCode))
        {
            throw new IllegalStateException("corrupt tensor record, dtype code must be in 0.." + MAX_DTYPE_CODE +
                ": dtypeCode=" + dtypeCode + ", offset=" + offset);
        }

        long bytes = TensorDescriptor.elementSize(dtypeCode);
        for (int dim = 0; dim < ndims; dim++)
        {
            final int extent = shape(dim);
            if (extent < 0)
            {
                throw new IllegalStateException("corrupt tensor record, shape[" + dim +
                    "] must be non-negative: shape[" + dim + "]=" + extent + ", offset=" + offset);
            }

            final long product = bytes * extent;
            if (extent != 0 && product / extent != bytes)
            {
                throw new IllegalStateException("tensor size overflows a long: ndims=" + ndims + ", offset=" + offset);
            }
            bytes = product;
        }

        return bytes;
    }

    /**
     * Write the whole record: address, shape with unused dimensions zeroed, ndims, dtype and zero padding.
     * <p>
     * Every argument is checked before anything is written, so a rejected call leaves the record unchanged. Pass a
     * preallocated array on the hot path; entries of {@code shape} at {@code ndims} and beyond are ignored.
     *
     * @param address   data address, {@link TensorDescriptor#NULL_ADDRESS} for a null tensor.
     * @param dtypeCode 0..{@link TensorDescriptor#MAX_DTYPE_CODE}.
     * @param ndims     1..{@link TensorDescriptor#MAX_DIMS}.
     * @param shape     elements per dimension, at least {@code ndims} non-negative entries.
     * @return this for a fluent API.
     * @throws IllegalArgumentException if any argument is out of range.
     */
    public TensorFlyweight encode(final long address, final int dtypeCode, final int ndims, final int... shape)
    {
        TensorDescriptor.checkDtype(dtypeCode);
        TensorDescriptor.checkShape(ndims, shape);

        final MutableDirectBuffer buffer = mutable();
        buffer.putLong(offset + ADDRESS_OFFSET, address, LITTLE_ENDIAN);
        for (int dim = 0; dim < MAX_DIMS; dim++)
        {
            final int extent = dim < ndims ? shape[dim] : 0;
            buffer.putInt(offset + TensorDescriptor.shapeOffset(dim), extent, LITTLE_ENDIAN);
        }
        buffer.putInt(offset + NDIMS_OFFSET, ndims, LITTLE_ENDIAN);
        buffer.putByte(offset + DTYPE_OFFSET, (byte)dtypeCode);
        buffer.setMemory(offset + PADDING_OFFSET, PADDING_LENGTH, (byte)0);

        return this;
    }

    /**
     * Describe the record for diagnostics; allocates.
     *
     * @return the fields as text.
     */
    @Override
    public String toString()
    {
        if (null == buffer)
        {
            return "TensorFlyweight{unwrapped}";
        }

        final StringBuilder sb = new StringBuilder(96)
            .append("TensorFlyweight{offset=").append(offset)
            .append(", address=0x").append(Long.toHexString(address()))
            .append(", ndims=").append(ndims())
            .append(", dtypeCode=").append(dtypeCode())
            .append(", shape=[");
        for (int dim = 0; dim < MAX_DIMS; dim++)
        {
            if (dim > 0)
            {
                sb.append(", ");
            }
            sb.append(shape(dim));
        }

        return sb.append("]}").toString();
    }

    private MutableDirectBuffer mutable()
    {
        if (null == mutableBuffer)
        {
            throw new IllegalStateException("tensor record is wrapped read-only: offset=" + offset);
        }

        return mutableBuffer;
    }

    private static void checkBounds(final DirectBuffer buffer, final int offset)
    {
        if (null == buffer)
        {
            throw new IllegalArgumentException("buffer must not be null: offset=" + offset);
        }

        final int capacity = buffer.capacity();
        if (offset < 0 || offset > capacity - ENCODED_LENGTH)
        {
            throw new IllegalArgumentException("tensor record must fit the buffer: offset=" + offset +
                ", ENCODED_LENGTH=" + ENCODED_LENGTH + ", capacity=" + capacity);
        }
    }
}
