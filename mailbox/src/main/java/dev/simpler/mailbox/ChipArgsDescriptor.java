package dev.simpler.mailbox;

/**
 * Layout of the fixed chip-args record a chip runtime's {@code run_runtime} receives (SPEC §9), little-endian:
 * <pre>
 *   0     16 tensor records of {@link TensorDescriptor#ENCODED_LENGTH} bytes (unused ones zero)
 *   640   128 u64 scalars
 *   1664  i32 tensor count
 *   1668  i32 scalar count
 *   1672  end
 * </pre>
 */
public final class ChipArgsDescriptor
{
    /** Most tensors a chip task takes. */
    public static final int MAX_TENSORS = 16;
    /** Most scalars a chip task takes. */
    public static final int MAX_SCALARS = 128;
    /** Offset of tensor record 0. */
    public static final int TENSORS_OFFSET = 0;
    /** Offset of scalar 0. */
    public static final int SCALARS_OFFSET = TENSORS_OFFSET + MAX_TENSORS * TensorDescriptor.ENCODED_LENGTH;
    /** Offset of the i32 tensor count. */
    public static final int TENSOR_COUNT_OFFSET = SCALARS_OFFSET + MAX_SCALARS * Long.BYTES;
    /** Offset of the i32 scalar count. */
    public static final int SCALAR_COUNT_OFFSET = TENSOR_COUNT_OFFSET + Integer.BYTES;
    /** Length of the whole record: 1672 bytes. */
    public static final int ENCODED_LENGTH = SCALAR_COUNT_OFFSET + Integer.BYTES;

    private ChipArgsDescriptor()
    {
    }

    /**
     * Offset of tensor record {@code i}.
     *
     * @param i 0..15.
     * @return the offset.
     */
    public static int tensorOffset(final int i)
    {
        return TENSORS_OFFSET + i * TensorDescriptor.ENCODED_LENGTH;
    }

    /**
     * Offset of scalar {@code i}.
     *
     * @param i 0..127.
     * @return the offset.
     */
    public static int scalarOffset(final int i)
    {
        return SCALARS_OFFSET + i * Long.BYTES;
    }

    /**
     * Check that a chip task fits the record.
     *
     * @param tensorCount tensors of the task.
     * @param scalarCount scalars of the task.
     * @throws IllegalArgumentException naming the counts and the limits.
     */
    public static void checkFits(final int tensorCount, final int scalarCount)
    {
        if (tensorCount > MAX_TENSORS || scalarCount > MAX_SCALARS || tensorCount < 0 || scalarCount < 0)
        {
            throw new IllegalArgumentException("a chip task takes at most " + MAX_TENSORS + " tensors and "
                + MAX_SCALARS + " scalars: tensorCount=" + tensorCount + ", scalarCount=" + scalarCount);
        }
    }
}
