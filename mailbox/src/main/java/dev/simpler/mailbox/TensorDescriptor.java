package dev.simpler.mailbox;

import java.util.Arrays;

/**
 * Layout of the 40-byte tensor wire record (SPEC §2.2) and the element sizes of the dtype codes (SPEC §2.1).
 * <p>
 * All multi-byte fields are little-endian:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     Data Address (u64)                        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                       Shape[0] (u32)                          |
 *  +---------------------------------------------------------------+
 *  |                           ...                                 |
 *  +---------------------------------------------------------------+
 *  |                       Shape[4] (u32)                          |
 *  +---------------------------------------------------------------+
 *  |                        Ndims (u32)                            |
 *  +---------------+-----------------------------------------------+
 *  |  Dtype (u8)   |             Padding (7 zero bytes)            |
 *  +---------------+                                               |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 * The dtype is an {@code int} code here rather than an enum so that this module does not depend on the engine.
 */
public final class TensorDescriptor
{
    /** Length of one tensor record in bytes. */
    public static final int ENCODED_LENGTH = 40;

    /** Offset of the u64 data address; 0 marks a null tensor. */
    public static final int ADDRESS_OFFSET = 0;

    /** Offset of the u32[{@link #MAX_DIMS}] shape: elements per dimension, unused dimensions 0. */
    public static final int SHAPE_OFFSET = 8;

    /** Length of one shape entry in bytes. */
    public static final int SHAPE_ENTRY_LENGTH = 4;

    /** Maximum number of dimensions a tensor may have. */
    public static final int MAX_DIMS = 5;

    /** Offset of the u32 number of dimensions, 1..{@link #MAX_DIMS}. */
    public static final int NDIMS_OFFSET = 28;

    /** Offset of the u8 dtype code. */
    public static final int DTYPE_OFFSET = 32;

    /** Offset of the padding, which is always zero. */
    public static final int PADDING_OFFSET = 33;

    /** Length of the padding in bytes. */
    public static final int PADDING_LENGTH = ENCODED_LENGTH - PADDING_OFFSET;

    /** Address value of a null tensor. */
    public static final long NULL_ADDRESS = 0L;

    /** Dtype code of a 32-bit IEEE float. */
    public static final int DTYPE_FLOAT32 = 0;

    /** Dtype code of a 16-bit IEEE float. */
    public static final int DTYPE_FLOAT16 = 1;

    /** Dtype code of a 32-bit signed integer. */
    public static final int DTYPE_INT32 = 2;

    /** Dtype code of a 16-bit signed integer. */
    public static final int DTYPE_INT16 = 3;

    /** Dtype code of an 8-bit signed integer. */
    public static final int DTYPE_INT8 = 4;

    /** Dtype code of an 8-bit unsigned integer. */
    public static final int DTYPE_UINT8 = 5;

    /** Dtype code of a bfloat16. */
    public static final int DTYPE_BFLOAT16 = 6;

    /** Dtype code of a 64-bit signed integer. */
    public static final int DTYPE_INT64 = 7;

    /** Dtype code of a 64-bit unsigned integer. */
    public static final int DTYPE_UINT64 = 8;

    /** Highest known dtype code. */
    public static final int MAX_DTYPE_CODE = DTYPE_UINT64;

    private static final int[] ELEMENT_SIZE_BY_CODE = { 4, 2, 4, 2, 1, 1, 2, 8, 8 };

    private TensorDescriptor()
    {
    }

    /**
     * Offset of one shape entry within the record.
     *
     * @param dim dimension index, 0..{@link #MAX_DIMS} - 1.
     * @return offset of {@code shape[dim]} from the start of the record.
     * @throws IllegalArgumentException if {@code dim} is out of range.
     */
    public static int shapeOffset(final int dim)
    {
        checkDimIndex(dim);
        return SHAPE_OFFSET + dim * SHAPE_ENTRY_LENGTH;
    }

    /**
     * Is the code one of the known dtype codes?
     *
     * @param dtypeCode code to test.
     * @return true for 0..{@link #MAX_DTYPE_CODE}.
     */
    public static boolean isValidDtype(final int dtypeCode)
    {
        return dtypeCode >= 0 && dtypeCode <= MAX_DTYPE_CODE;
    }

    /**
     * Size in bytes of one element of the given dtype.
     *
     * @param dtypeCode dtype code, 0..{@link #MAX_DTYPE_CODE}.
     * @return bytes per element.
     * @throws IllegalArgumentException for an unknown code.
     */
    public static int elementSize(final int dtypeCode)
    {
        checkDtype(dtypeCode);
        return ELEMENT_SIZE_BY_CODE[dtypeCode];
    }

    /**
     * Size in bytes of a tensor: the product of {@code shape[0..ndims)} times the element size.
     *
     * @param dtypeCode dtype code, 0..{@link #MAX_DTYPE_CODE}.
     * @param ndims     number of dimensions, 1..{@link #MAX_DIMS}.
     * @param shape     elements per dimension; at least {@code ndims} entries, each non-negative.
     * @return the size in bytes.
     * @throws IllegalArgumentException if any argument is out of range or the size does not fit a long.
     */
    public static long nbytes(final int dtypeCode, final int ndims, final int[] shape)
    {
        checkDtype(dtypeCode);
        checkShape(ndims, shape);

        long bytes = ELEMENT_SIZE_BY_CODE[dtypeCode];
        for (int i = 0; i < ndims; i++)
        {
            bytes = multiply(bytes, shape[i], ndims, shape);
        }

        return bytes;
    }

    /**
     * Check a dtype code is known.
     *
     * @param dtypeCode code to check.
     * @throws IllegalArgumentException for an unknown code.
     */
    public static void checkDtype(final int dtypeCode)
    {
        if (!isValidDtype(dtypeCode))
        {
            throw new IllegalArgumentException(
                "dtype code must be in 0.." + MAX_DTYPE_CODE + ": dtypeCode=" + dtypeCode);
        }
    }

    /**
     * Check a number of dimensions is in range.
     *
     * @param ndims number of dimensions.
     * @throws IllegalArgumentException unless 1..{@link #MAX_DIMS}.
     */
    public static void checkNdims(final int ndims)
    {
        if (ndims < 1 || ndims > MAX_DIMS)
        {
            throw new IllegalArgumentException("ndims must be in 1.." + MAX_DIMS + ": ndims=" + ndims);
        }
    }

    /**
     * Check a dimension index is in range.
     *
     * @param dim dimension index.
     * @throws IllegalArgumentException unless 0..{@link #MAX_DIMS} - 1.
     */
    public static void checkDimIndex(final int dim)
    {
        if (dim < 0 || dim >= MAX_DIMS)
        {
            throw new IllegalArgumentException("dim must be in 0.." + (MAX_DIMS - 1) + ": dim=" + dim);
        }
    }

    /**
     * Check one dimension's extent is non-negative.
     *
     * @param dim    dimension index.
     * @param extent elements in that dimension.
     * @throws IllegalArgumentException if {@code extent} is negative.
     */
    public static void checkExtent(final int dim, final int extent)
    {
        if (extent < 0)
        {
            throw new IllegalArgumentException(
                "shape[" + dim + "] must be non-negative: shape[" + dim + "]=" + extent);
        }
    }

    /**
     * Check a shape: {@code ndims} in range, enough entries and every used entry non-negative.
     *
     * @param ndims number of dimensions.
     * @param shape elements per dimension; entries at {@code ndims} and beyond are ignored.
     * @throws IllegalArgumentException if any check fails.
     */
    public static void checkShape(final int ndims, final int[] shape)
    {
        checkNdims(ndims);
        if (null == shape)
        {
            throw new IllegalArgumentException("shape must not be null: ndims=" + ndims);
        }
        if (shape.length < ndims)
        {
            throw new IllegalArgumentException(
                "shape must have at least ndims entries: ndims=" + ndims + ", shape.length=" + shape.length);
        }
        for (int i = 0; i < ndims; i++)
        {
            checkExtent(i, shape[i]);
        }
    }

    private static long multiply(final long bytes, final long extent, final int ndims, final int[] shape)
    {
        try
        {
            return Math.multiplyExact(bytes, extent);
        }
        catch (final ArithmeticException ex)
        {
            throw new IllegalArgumentException(
                "tensor size overflows a long: ndims=" + ndims + ", shape=" + Arrays.toString(shape), ex);
        }
    }
}
