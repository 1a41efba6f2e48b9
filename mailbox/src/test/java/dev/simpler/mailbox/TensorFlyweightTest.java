package dev.simpler.mailbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class TensorFlyweightTest
{
    private static final int RECORD_OFFSET = 16;

    private final byte[] bytes = new byte[64];
    private final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
    private final ByteBuffer raw = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    private final TensorFlyweight tensor = new TensorFlyweight();

    @Test
    void encodeWritesEveryFieldLittleEndianAtTheSpecOffsets()
    {
        tensor.wrap(buffer, RECORD_OFFSET).encode(0x0102_0304_0506_0708L, TensorDescriptor.DTYPE_BFLOAT16, 3, 7, 8, 9);

        assertEquals(0x0102_0304_0506_0708L, raw.getLong(RECORD_OFFSET));
        assertEquals(0x08, bytes[RECORD_OFFSET]);
        assertEquals(7, raw.getInt(RECORD_OFFSET + 8));
        assertEquals(8, raw.getInt(RECORD_OFFSET + 12));
        assertEquals(9, raw.getInt(RECORD_OFFSET + 16));
        assertEquals(0, raw.getInt(RECORD_OFFSET + 20));
        assertEquals(0, raw.getInt(RECORD_OFFSET + 24));
        assertEquals(3, raw.getInt(RECORD_OFFSET + 28));
        assertEquals(6, bytes[RECORD_OFFSET + 32]);
    }

    @Test
    void encodeZeroesUnusedDimsAndPadding()
    {
        Arrays.fill(bytes, (byte)0xFF);

        tensor.wrap(buffer, RECORD_OFFSET).encode(1L, TensorDescriptor.DTYPE_INT8, 1, 5, 6, 7, 8, 9);

        assertEquals(0, raw.getInt(RECORD_OFFSET + 12));
        assertEquals(0, raw.getInt(RECORD_OFFSET + 24));
        assertArrayEquals(new byte[7], Arrays.copyOfRange(bytes, RECORD_OFFSET + 33, RECORD_OFFSET + 40));
    }

    @Test
    void encodeTouchesNoByteOutsideTheRecord()
    {
        Arrays.fill(bytes, (byte)0x5A);

        tensor.wrap(buffer, RECORD_OFFSET).encode(1L, TensorDescriptor.DTYPE_INT8, 5, 1, 2, 3, 4, 5);

        assertEquals(0x5A, bytes[RECORD_OFFSET - 1]);
        assertEquals(0x5A, bytes[RECORD_OFFSET + 40]);
    }

    @Test
    void gettersReadFieldsWrittenAsRawLittleEndianBytes()
    {
        raw.putLong(RECORD_OFFSET, 0xCAFE_BABE_0000_1000L);
        raw.putInt(RECORD_OFFSET + 8, 11);
        raw.putInt(RECORD_OFFSET + 12, 12);
        raw.putInt(RECORD_OFFSET + 28, 2);
        bytes[RECORD_OFFSET + 32] = 7;

        tensor.wrap(buffer, RECORD_OFFSET);

        assertEquals(0xCAFE_BABE_0000_1000L, tensor.address());
        assertEquals(2, tensor.ndims());
        assertEquals(11, tensor.shape(0));
        assertEquals(12, tensor.shape(1));
        assertEquals(0, tensor.shape(2));
        assertEquals(TensorDescriptor.DTYPE_INT64, tensor.dtypeCode());
        assertEquals(11L * 12 * 8, tensor.nbytes());
    }

    @Test
    void settersWriteOneFieldEach()
    {
        tensor.wrap(buffer, RECORD_OFFSET)
            .address(42L)
            .ndims(2)
            .shape(0, 3)
            .shape(1, 5)
            .dtypeCode(TensorDescriptor.DTYPE_FLOAT16);

        assertEquals(42L, raw.getLong(RECORD_OFFSET));
        assertEquals(2, raw.getInt(RECORD_OFFSET + 28));
        assertEquals(3, raw.getInt(RECORD_OFFSET + 8));
        assertEquals(5, raw.getInt(RECORD_OFFSET + 12));
        assertEquals(1, bytes[RECORD_OFFSET + 32]);
        assertEquals(30L, tensor.nbytes());
    }

    @Test
    void dtypeCodeReadsTheByteAsUnsigned()
    {
        bytes[RECORD_OFFSET + 32] = (byte)0xF0;

        assertEquals(0xF0, tensor.wrap(buffer, RECORD_OFFSET).dtypeCode());
    }

    @Test
    void rejectsSixDimensions()
    {
        tensor.wrap(buffer, RECORD_OFFSET);

        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> tensor.encode(1L, 0, 6, 1, 1, 1, 1, 1, 1));

        assertEquals("ndims must be in 1..5: ndims=6", ex.getMessage());
    }

    @Test
    void rejectsANegativeDimension()
    {
        tensor.wrap(buffer, RECORD_OFFSET);

        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> tensor.encode(1L, 0, 2, 4, -1));

        assertEquals("shape[1] must be non-negative: shape[1]=-1", ex.getMessage());
    }

    @Test
    void rejectsAnUnknownDtypeCode()
    {
        tensor.wrap(buffer, RECORD_OFFSET);

        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> tensor.encode(1L, 9, 1, 4));

        assertEquals("dtype code must be in 0..8: dtypeCode=9", ex.getMessage());
    }

    @Test
    void rejectedEncodeLeavesTheRecordUnchanged()
    {
        tensor.wrap(buffer, RECORD_OFFSET).encode(77L, TensorDescriptor.DTYPE_INT32, 2, 3, 4);
        final byte[] before = bytes.clone();

        assertThrows(IllegalArgumentException.class, () -> tensor.encode(88L, TensorDescriptor.DTYPE_INT32, 2, 3, -4));

        assertArrayEquals(before, bytes);
    }

    @Test
    void setterRejectsANegativeExtent()
    {
        tensor.wrap(buffer, RECORD_OFFSET);

        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> tensor.shape(4, -3));

        assertEquals("shape[4] must be non-negative: shape[4]=-3", ex.getMessage());
    }

    @Test
    void wrapRejectsARecordThatRunsPastTheBuffer()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> tensor.wrap(buffer, 25));

        assertEquals("tensor record must fit the buffer: offset=25, ENCODED_LENGTH=40, capacity=64", ex.getMessage());
    }

    @Test
    void wrapRejectsANegativeOffset()
    {
        assertThrows(IllegalArgumentException.class, () -> tensor.wrap(buffer, -1));
    }

    @Test
    void readOnlyWrapRejectsWrites()
    {
        final DirectBuffer readOnly = buffer;
        tensor.wrap(readOnly, 0);

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> tensor.address(1L));

        assertEquals("tensor record is wrapped read-only: offset=0", ex.getMessage());
    }

    @Test
    void wrapReturnsTheSameFlyweight()
    {
        assertSame(tensor, tensor.wrap(buffer, 0));
        assertSame(tensor, tensor.wrap(buffer, 24));
        assertEquals(24, tensor.offset());
    }

    @Test
    void nbytesOfARecordWithCorruptNdimsThrowsIllegalState()
    {
        raw.putInt(RECORD_OFFSET + 28, 7);

        final IllegalStateException ex =
            assertThrows(IllegalStateException.class, () -> tensor.wrap(buffer, RECORD_OFFSET).nbytes());

        assertEquals("corrupt tensor record, ndims must be in 1..5: ndims=7, offset=16", ex.getMessage());
    }

    @Test
    void nbytesOfARecordWithCorruptDtypeThrowsIllegalState()
    {
        raw.putInt(RECORD_OFFSET + 28, 1);
        bytes[RECORD_OFFSET + 32] = 12;

        final IllegalStateException ex =
            assertThrows(IllegalStateException.class, () -> tensor.wrap(buffer, RECORD_OFFSET).nbytes());

        assertEquals("corrupt tensor record, dtype code must be in 0..8: dtypeCode=12, offset=16", ex.getMessage());
    }

    @Test
    void nbytesOfARecordWithAnExtentAboveTwoToThe31ThrowsIllegalState()
    {
        raw.putInt(RECORD_OFFSET + 28, 1);
        raw.putInt(RECORD_OFFSET + 8, 0x8000_0000);

        final IllegalStateException ex =
            assertThrows(IllegalStateException.class, () -> tensor.wrap(buffer, RECORD_OFFSET).nbytes());

        assertEquals("corrupt tensor record, shape[0] must be non-negative: shape[0]=-2147483648, offset=16",
            ex.getMessage());
    }
}
