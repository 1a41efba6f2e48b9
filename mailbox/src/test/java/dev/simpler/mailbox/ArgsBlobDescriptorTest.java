package dev.simpler.mailbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ArgsBlobDescriptorTest
{
    @Test
    void layoutMatchesTheSpec()
    {
        assertEquals(0, ArgsBlobDescriptor.TENSOR_COUNT_OFFSET);
        assertEquals(4, ArgsBlobDescriptor.SCALAR_COUNT_OFFSET);
        assertEquals(8, ArgsBlobDescriptor.HEADER_LENGTH);
    }

    @Test
    void encodedLengthIsHeaderPlusFortyPerTensorPlusEightPerScalar()
    {
        assertEquals(8, ArgsBlobDescriptor.encodedLength(0, 0));
        assertEquals(8 + 40 * 3 + 8 * 5, ArgsBlobDescriptor.encodedLength(3, 5));
    }

    @Test
    void tensorRecordsFollowTheHeader()
    {
        assertEquals(8, ArgsBlobDescriptor.tensorOffset(0));
        assertEquals(8 + 40 * 2, ArgsBlobDescriptor.tensorOffset(2));
    }

    @Test
    void scalarsFollowTheTensorRecords()
    {
        assertEquals(8 + 40 * 3, ArgsBlobDescriptor.scalarOffset(3, 0));
        assertEquals(8 + 40 * 3 + 8 * 4, ArgsBlobDescriptor.scalarOffset(3, 4));
    }

    @Test
    void encodedLengthRejectsANegativeCount()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> ArgsBlobDescriptor.encodedLength(-1, 2));

        assertEquals("args blob counts must be non-negative: tensorCount=-1, scalarCount=2", ex.getMessage());
    }

    @Test
    void encodedLengthRejectsALengthBeyondAnInt()
    {
        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> ArgsBlobDescriptor.encodedLength(Integer.MAX_VALUE, 0));

        assertEquals("args blob length must fit an int: tensorCount=2147483647, scalarCount=0, " +
            "encodedLength=85899345888", ex.getMessage());
    }

    @Test
    void fitsAcceptsABlobExactlyAtCapacity()
    {
        assertTrue(ArgsBlobDescriptor.fits(100, 3, 4032));
        assertFalse(ArgsBlobDescriptor.fits(100, 4, 4032));
    }

    @Test
    void fitsRejectsNegativeCounts()
    {
        assertFalse(ArgsBlobDescriptor.fits(-1, 0, 4032));
        assertFalse(ArgsBlobDescriptor.fits(0, -1, 4032));
    }

    @Test
    void checkFitsNamesTheCountsTheLengthAndTheCapacity()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> ArgsBlobDescriptor.checkFits(100, 4, 4032));

        assertEquals("args blob exceeds capacity, pass fewer tensors or scalars: tensorCount=100, scalarCount=4, " +
            "encodedLength=4040, capacity=4032", ex.getMessage());
    }
}
