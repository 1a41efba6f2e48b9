package dev.simpler.mailbox;

import static dev.simpler.mailbox.ArgsBlobDescriptor.HEADER_LENGTH;
import static dev.simpler.mailbox.ArgsBlobDescriptor.SCALAR_COUNT_OFFSET;
import static dev.simpler.mailbox.ArgsBlobDescriptor.TENSOR_COUNT_OFFSET;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over an args blob laid out by {@link ArgsBlobDescriptor}, within a region of fixed capacity such as the
 * mailbox args area.
 * <p>
 * Writing: {@link #reset(int, int)} with the counts, then every tensor record ({@link #putTensor} or
 * {@link #tensor(int)}) and every scalar ({@link #scalar(int, long)}); records and scalars not written keep whatever
 * the region held before. Reading: {@link #tensorCount()}, {@link #scalarCount()}, {@link #tensor(int)} and
 * {@link #scalar(int)}; the counts are validated against the capacity on every read so a corrupt blob is reported
 * with {@link IllegalStateException} instead of reading out of bounds.
 * <p>
 * One instance, and the one {@link TensorFlyweight} it hands out, is reused; nothing allocates except when it throws.
 * Not thread-safe: one thread uses an instance at a time.
 */
public final class ArgsBlobFlyweight
{
    private final TensorFlyweight tensor = new TensorFlyweight();
    private DirectBuffer buffer;
    private MutableDirectBuffer mutableBuffer;
    private int offset;
    private int capacity;

    /**
     * An args blob flyweight that wraps nothing yet: {@link #wrap} gives it a region.
     */
    public ArgsBlobFlyweight()
    {
    }

    /**
     * Wrap a region for reading and writing.
     *
     * @param buffer   holding the region.
     * @param offset   of the blob in the buffer.
     * @param capacity bytes available for the blob, at least {@link ArgsBlobDescriptor#HEADER_LENGTH}.
     * @return this for a fluent API.
     * @throws IllegalArgumentException if the region does not fit the buffer or is too small for the header.
     */
    public ArgsBlobFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int capacity)
    {
        checkBounds(buffer, offset, capacity);
        this.buffer = buffer;
        this.mutableBuffer = buffer;
        this.offset = offset;
        this.capacity = capacity;
        return this;
    }

    /**
     * Wrap a region for reading only.
     *
     * @param buffer   holding the region.
     * @param offset   of the blob in the buffer.
     * @param capacity bytes available for the blob, at least {@link ArgsBlobDescriptor#HEADER_LENGTH}.
     * @return this for a fluent API.
     * @throws IllegalArgumentException if the region does not fit the buffer or is too small for the header.
     */
    public ArgsBlobFlyweight wrap(final DirectBuffer buffer, final int offset, final int capacity)
    {
        checkBounds(buffer, offset, capacity);
        this.buffer = buffer;
        this.mutableBuffer = null;
        this.offset = offset;
        this.capacity = capacity;
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
     * Offset of the blob in its buffer.
     *
     * @return the offset.
     */
    public int offset()
    {
        return offset;
    }

    /**
     * Bytes available for the blob.
     *
     * @return the capacity.
     */
    public int capacity()
    {
        return capacity;
    }

    /**
     * Start writing a blob: store the counts, after checking the blob fits the capacity.
     *
     * @param tensorCount number of tensor records that will follow.
     * @param scalarCount number of scalars that will follow.
     * @return this for a fluent API.
     * @throws IllegalArgumentException naming the counts, the encoded length and the capacity if it does not fit.
     */
    public ArgsBlobFlyweight reset(final int tensorCount, final int scalarCount)
    {
        ArgsBlobDescriptor.checkFits(tensorCount, scalarCount, capacity);
        final MutableDirectBuffer buffer = mutable();
        buffer.putInt(offset + TENSOR_COUNT_OFFSET, tensorCount, LITTLE_ENDIAN);
        buffer.putInt(offset + SCALAR_COUNT_OFFSET, scalarCount, LITTLE_ENDIAN);
        return this;
    }

    /**
     * Number of tensor records.
     *
     * @return the tensor count.
     * @throws IllegalStateException if the stored counts are negative or do not fit the capacity.
     */
    public int tensorCount()
    {
        final int tensorCount = rawTensorCount();
        checkStoredCounts(tensorCount, rawScalarCount());
        return tensorCount;
    }

    /**
     * Number of scalars.
     *
     * @return the scalar count.
     * @throws IllegalStateException if the stored counts are negative or do not fit the capacity.
     */
    public int scalarCount()
    {
        final int scalarCount = rawScalarCount();
        checkStoredCounts(rawTensorCount(), scalarCount);
        return scalarCount;
    }

    /**
     * Length of the blob as given by its stored counts.
     *
     * @return {@code 8 + 40T + 8S} bytes.
     * @throws IllegalStateException if the stored counts are negative or do not fit the capacity.
     */
    public int encodedLength()
    {
        final int tensorCount = rawTensorCount();
        final int scalarCount = rawScalarCount();
        checkStoredCounts(tensorCount, scalarCount);
        return ArgsBlobDescriptor.encodedLength(tensorCount, scalarCount);
    }

    /**
     * Position the reused tensor flyweight at record {@code index}. The returned object is the same on every call,
     * so it is valid only until the next call.
     *
     * @param index record index, 0..tensorCount - 1.
     * @return the reused flyweight, read-only if this blob is wrapped read-only.
     * @throws IndexOutOfBoundsException if {@code index} is out of range.
     * @throws IllegalStateException     if the stored counts are corrupt.
     */
    public TensorFlyweight tensor(final int index)
    {
        final int tensorCount = tensorCount();
        if (index < 0 || index >= tensorCount)
        {
            throw new IndexOutOfBoundsException(
                "tensor index must be in 0..tensorCount-1: index=" + index + ", tensorCount=" + tensorCount);
        }

        final int recordOffset = offset + ArgsBlobDescriptor.tensorOffset(index);
        if (null != mutableBuffer)
        {
            tensor.wrap(mutableBuffer, recordOffset);
        }
        else
        {
            tensor.wrap(buffer, recordOffset);
        }

        return tensor;
    }

    /**
     * Write tensor record {@code index} in full.
     *
     * @param index     record index, 0..tensorCount - 1.
     * @param address   data address, {@link TensorDescriptor#NULL_ADDRESS} for a null tensor.
     * @param dtypeCode 0..{@link TensorDescriptor#MAX_DTYPE_CODE}.
     * @param ndims     1..{@link TensorDescriptor#MAX_DIMS}.
     * @param shape     elements per dimension, at least {@code ndims} non-negative entries.
     * @return this for a fluent API.
     * @throws IndexOutOfBoundsException if {@code index} is out of range.
     * @throws IllegalArgumentException  if a record field is out of range.
     * @see TensorFlyweight#encode(long, int, int, int...)
     */
    public ArgsBlobFlyweight putTensor(
        final int index, final long address, final int dtypeCode, final int ndims, final int... shape)
    {
        tensor(index).encode(address, dtypeCode, ndims, shape);
        return this;
    }

    /**
     * Read scalar {@code index}.
     *
     * @param index scalar index, 0..scalarCount - 1.
     * @return the u64 scalar as a long.
     * @throws IndexOutOfBoundsException if {@code index} is out of range.
     * @throws IllegalStateException     if the stored counts are corrupt.
     */
    public long scalar(final int index)
    {
        return buffer.getLong(scalarFieldOffset(index), LITTLE_ENDIAN);
    }

    /**
     * Write scalar {@code index}. Floats travel as their raw IEEE bits, zero-extended (SPEC §2.4).
     *
     * @param index scalar index, 0..scalarCount - 1.
     * @param value the u64 scalar.
     * @return this for a fluent API.
     * @throws IndexOutOfBoundsException if {@code index} is out of range.
     */
    public ArgsBlobFlyweight scalar(final int index, final long value)
    {
        mutable().putLong(scalarFieldOffset(index), value, LITTLE_ENDIAN);
        return this;
    }

    private int scalarFieldOffset(final int index)
    {
        final int tensorCount = rawTensorCount();
        final int scalarCount = rawScalarCount();
        checkStoredCounts(tensorCount, scalarCount);
        if (index < 0 || index >= scalarCount)
        {
            throw new IndexOutOfBoundsException(
                "scalar index must be in 0..scalarCount-1: index=" + index + ", scalarCount=" + scalarCount);
        }

        return offset + ArgsBlobDescriptor.scalarOffset(tensorCount, index);
    }

    private int rawTensorCount()
    {
        return buffer.getInt(offset + TENSOR_COUNT_OFFSET, LITTLE_ENDIAN);
    }

    private int rawScalarCount()
    {
        return buffer.getInt(offset + SCALAR_COUNT_OFFSET, LITTLE_ENDIAN);
    }

    private void checkStoredCounts(final int tensorCount, final int scalarCount)
    {
        if (!ArgsBlobDescriptor.fits(tensorCount, scalarCount, capacity))
        {
            final String length = tensorCount < 0 || scalarCount < 0 ?
                "n/a" : Long.toString(ArgsBlobDescriptor.requiredLength(tensorCount, scalarCount));
            throw new IllegalStateException("corrupt args blob, counts must be non-negative and fit the capacity: " +
                "tensorCount=" + tensorCount + ", scalarCount=" + scalarCount + ", encodedLength=" + length +
                ", capacity=" + capacity);
        }
    }

    private MutableDirectBuffer mutable()
    {
        if (null == mutableBuffer)
        {
            throw new IllegalStateException("args blob is wrapped read-only: offset=" + offset);
        }

        return mutableBuffer;
    }

    private static void checkBounds(final DirectBuffer buffer, final int offset, final int capacity)
    {
        if (null == buffer)
        {
            throw new IllegalArgumentException("buffer must not be null: offset=" + offset + ", capacity=" + capacity);
        }
        if (capacity < HEADER_LENGTH)
        {
            throw new IllegalArgumentException("args blob capacity must be at least HEADER_LENGTH=" + HEADER_LENGTH +
                ": capacity=" + capacity);
        }

        final int bufferCapacity = buffer.capacity();
        if (offset < 0 || (long)offset + capacity > bufferCapacity)
        {
            throw new IllegalArgumentException("args blob region must fit the buffer: offset=" + offset +
                ", capacity=" + capacity + ", buffer.capacity=" + bufferCapacity);
        }
    }
}
