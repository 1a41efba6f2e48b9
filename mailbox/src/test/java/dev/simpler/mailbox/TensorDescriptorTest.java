package dev.simpler.mailbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TensorDescriptorTest
{
    @Test
    void layoutMatchesTheSpecTable()
    {
        assertEquals(40, TensorDescriptor.ENCODED_LENGTH);
        assertEquals(0, TensorDescriptor.ADDRESS_OFFSET);
        assertEquals(8, TensorDescriptor.SHAPE_OFFSET);
        assertEquals(5, TensorDescriptor.MAX_DIMS);
        assertEquals(28, TensorDescriptor.NDIMS_OFFSET);
        assertEquals(32, TensorDescriptor.DTYPE_OFFSET);
        assertEquals(33, TensorDescriptor.PADDING_OFFSET);
        assertEquals(7, TensorDescriptor.PADDING_LENGTH);
    }

    @Test
    void shapeEntriesFollowEachOtherFourBytesApart()
    {
        assertEquals(8, TensorDescriptor.shapeOffset(0));
        assertEquals(24, TensorDescriptor.shapeOffset(4));
    }

    @ParameterizedTest
    @CsvSource({ "0,4", "1,2", "2,4", "3,2", "4,1", "5,1", "6,2", "7,8", "8,8" })
    void elementSizeMatchesTheDtypeTable(final int dtypeCode, final int expectedSize)
    {
        assertEquals(expectedSize, TensorDescriptor.elementSize(dtypeCode));
    }

    @ParameterizedTest
    @ValueSource(ints = { -1, 9, 255, Integer.MIN_VALUE })
    void elementSizeRejectsUnknownDtypeCode(final int dtypeCode)
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> TensorDescriptor.elementSize(dtypeCode));

        assertEquals("dtype code must be in 0..8: dtypeCode=" + dtypeCode, ex.getMessage());
    }

    @Test
    void isValidDtypeAcceptsOnlyKnownCodes()
    {
        assertTrue(TensorDescriptor.isValidDtype(0));
        assertTrue(TensorDescriptor.isValidDtype(8));
        assertFalse(TensorDescriptor.isValidDtype(9));
        assertFalse(TensorDescriptor.isValidDtype(-1));
    }

    @Test
    void nbytesIsTheProductOfUsedDimsTimesElementSize()
    {
        final int[] shape = { 2, 3, 4, 99, 99 };

        assertEquals(2L * 3 * 4 * 8, TensorDescriptor.nbytes(TensorDescriptor.DTYPE_INT64, 3, shape));
    }

    @Test
    void nbytesOfAZeroExtentIsZero()
    {
        assertEquals(0L, TensorDescriptor.nbytes(TensorDescriptor.DTYPE_FLOAT32, 2, new int[] { 7, 0 }));
    }

    @Test
    void nbytesComputesSizesBeyondTwoGigabytes()
    {
        final int[] shape = { Integer.MAX_VALUE, 4 };

        assertEquals(Integer.MAX_VALUE * 4L * 2, TensorDescriptor.nbytes(TensorDescriptor.DTYPE_FLOAT16, 2, shape));
    }

    @Test
    void nbytesRejectsASizeThatOverflowsALong()
    {
        final int[] shape = { Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE };

        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> TensorDescriptor.nbytes(TensorDescriptor.DTYPE_UINT64, 3, shape));

        assertTrue(ex.getMessage().startsWith("tensor size overflows a long: ndims=3"), ex.getMessage());
    }

    @Test
    void rejectsSixDimensions()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> TensorDescriptor.checkNdims(6));

        assertEquals("ndims must be in 1..5: ndims=6", ex.getMessage());
    }

    @Test
    void rejectsZeroDimensions()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> TensorDescriptor.checkNdims(0));

        assertEquals("ndims must be in 1..5: ndims=0", ex.getMessage());
    }

    @Test
    void rejectsANegativeExtent()
    {
        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> TensorDescriptor.checkShape(3, new int[] { 1, -2, 3 }));

        assertEquals("shape[1] must be non-negative: shape[1]=-2", ex.getMessage());
    }

    @Test
    void rejectsAShapeShorterThanNdims()
    {
        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> TensorDescriptor.checkShape(3, new int[] { 1, 2 }));

        assertEquals("shape must have at least ndims entries: ndims=3, shape.length=2", ex.getMessage());
    }

    @Test
    void rejectsADimensionIndexPastTheLast()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> TensorDescriptor.shapeOffset(5));

        assertEquals("dim must be in 0..4: dim=5", ex.getMessage());
    }
}
