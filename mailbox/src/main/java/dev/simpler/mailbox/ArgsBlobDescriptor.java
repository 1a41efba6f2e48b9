package dev.simpler.mailbox;

/**
 * Layout of the args blob (SPEC §2.5), the wire form of a task's arguments inside a mailbox, tags stripped.
 * <p>
 * All fields are little-endian; offsets are relative to the start of the blob:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                      Tensor Count T (i32)                     |
 *  +---------------------------------------------------------------+
 *  |                      Scalar Count S (i32)                     |
 *  +---------------------------------------------------------------+
 *  |            T tensor records of 40 bytes each                 ...
 * ...                   (see TensorDescriptor)                     |
 *  +---------------------------------------------------------------+
 *  |                S scalars of 8 bytes each (u64)               ...
 * ...                                                              |
 *  +---------------------------------------------------------------+
 * </pre>
 * A blob with T tensors and S scalars is {@code 8 + 40T + 8S} bytes.
 */
public final class ArgsBlobDescriptor
{
    /** Offset of the i32 number of tensor records. */
    public static final int TENSOR_COUNT_OFFSET = 0;

    /** Offset of the i32 number of scalars. */
    public static final int SCALAR_COUNT_OFFSET = 4;

    /** Length of the header holding the two counts; the first tensor record starts here. */
    public static final int HEADER_LENGTH = 8;

    /** Length of one tensor record. */
    public static final int TENSOR_LENGTH = TensorDescriptor.ENCODED_LENGTH;

    /** Length of one u64 scalar. */
    public static final int SCALAR_LENGTH = 8;

    private ArgsBlobDescriptor()
    {
    }

    /**
     * Length in bytes of a blob with the given counts, as a long so that it never overflows.
     *
     * @param tensorCount number of tensor records, non-negative.
     * @param scalarCount number of scalars, non-negative.
     * @return {@code 8 + 40 * tensorCount + 8 * scalarCount}.
     * @throws IllegalArgumentException if a count is negative.
     */
    public static long requiredLength(final int tensorCount, final int scalarCount)
    {
        checkCountsNonNegative(tensorCount, scalarCount);
        return HEADER_LENGTH + (long)tensorCount * TENSOR_LENGTH + (long)scalarCount * SCALAR_LENGTH;
    }

    /**
     * Length in bytes of a blob with the given counts.
     *
     * @param tensorCount number of tensor records, non-negative.
     * @param scalarCount number of scalars, non-negative.
     * @return {@code 8 + 40 * tensorCount + 8 * scalarCount}.
     * @throws IllegalArgumentException if a count is negative or the length does not fit an int.
     */
    public static int encodedLength(final int tensorCount, final int scalarCount)
    {
        final long length = requiredLength(tensorCount, scalarCount);
        if (length > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("args blob length must fit an int: tensorCount=" + tensorCount +
                ", scalarCount=" + scalarCount + ", encodedLength=" + length);
        }

        return (int)length;
    }

    /**
     * Does a blob with the given counts fit the capacity?
     *
     * @param tensorCount number of tensor records.
     * @param scalarCount number of scalars.
     * @param capacity    bytes available for the blob.
     * @return true if both counts are non-negative and the encoded length is at most {@code capacity}.
     */
    public static boolean fits(final int tensorCount, final int scalarCount, final int capacity)
    {
        return tensorCount >= 0 && scalarCount >= 0 &&
            HEADER_LENGTH + (long)tensorCount * TENSOR_LENGTH + (long)scalarCount * SCALAR_LENGTH <= capacity;
    }

    /**
     * Check that a blob with the given counts fits the capacity, e.g. at submit time so a task that cannot be
     * delivered is rejected before it is accepted.
     *
     * @param tensorCount number of tensor records.
     * @param scalarCount number of scalars.
     * @param capacity    bytes available for the blob.
     * @throws IllegalArgumentException naming the counts, the encoded length and the capacity if it does not fit.
     */
    public static void checkFits(final int tensorCount, final int scalarCount, final int capacity)
    {
        final long length = requiredLength(tensorCount, scalarCount);
        if (length > capacity)
        {
            throw new IllegalArgumentException("args blob exceeds capacity, pass fewer tensors or scalars: " +
                "tensorCount=" + tensorCount + ", scalarCount=" + scalarCount + ", encodedLength=" + length +
                ", capacity=" + capacity);
        }
    }

    /**
     * Offset of tensor record {@code index} from the start of the blob.
     *
     * @param index record index, non-negative.
     * @return {@code 8 + 40 * index}.
     */
    public static int tensorOffset(final int index)
    {
        return HEADER_LENGTH + index * TENSOR_LENGTH;
    }

    /**
     * Offset of scalar {@code index} from the start of the blob.
     *
     * @param tensorCount number of tensor records before the scalars.
     * @param index       scalar index, non-negative.
     * @return {@code 8 + 40 * tensorCount + 8 * index}.
     */
    public static int scalarOffset(final int tensorCount, final int index)
    {
        return HEADER_LENGTH + tensorCount * TENSOR_LENGTH + index * SCALAR_LENGTH;
    }

    private static void checkCountsNonNegative(final int tensorCount, final int scalarCount)
    {
        if (tensorCount < 0 || scalarCount < 0)
        {
            throw new IllegalArgumentException("args blob counts must be non-negative: tensorCount=" + tensorCount +
                ", scalarCount=" + scalarCount);
        }
    }
}
