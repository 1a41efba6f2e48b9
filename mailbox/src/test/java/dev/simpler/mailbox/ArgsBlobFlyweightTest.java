package dev.simpler.mailbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class ArgsBlobFlyweightTest
{
    private static final int BLOB_OFFSET = 64;
    private static final int CAPACITY = 4032;

    private final byte[] bytes = new byte[BLOB_OFFSET + CAPACITY];
    private final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
    private final ByteBuffer raw = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    private final ArgsBlobFlyweight blob = new ArgsBlobFlyweight().wrap(buffer, BLOB_OFFSET, CAPACITY);

    @Test
    void resetWritesTheCountsLittleEndian()
    {
        blob.reset(2, 3);

        assertEquals(2, raw.getInt(BLOB_OFFSET));
        assertEquals(3, raw.getInt(BLOB_OFFSET + 4));
    }

    @Test
    void tensorRecordsAndScalarsLandAtTheSpecOffsets()
    {
        blob.reset(2, 2)
            .putTensor(0, 0x1000L, TensorDescriptor.DTYPE_FLOAT32, 1, 16)
            .putTensor(1, 0x2000L, TensorDescriptor.DTYPE_INT8, 2, 3, 4)
            .scalar(0, 0x1122_3344_5566_7788L)
            .scalar(1, -1L);

        assertEquals(0x1000L, raw.getLong(BLOB_OFFSET + 8));
        assertEquals(16, raw.getInt(BLOB_OFFSET + 8 + 8));
        assertEquals(0x2000L, raw.getLong(BLOB_OFFSET + 48));
        assertEquals(2, raw.getInt(BLOB_OFFSET + 48 + 28));
        assertEquals(TensorDescriptor.DTYPE_INT8, bytes[BLOB_OFFSET + 48 + 32]);
        assertEquals(0x1122_3344_5566_7788L, raw.getLong(BLOB_OFFSET + 88));
        assertEquals(-1L, raw.getLong(BLOB_OFFSET + 96));
        assertEquals(104, blob.encodedLength());
    }

    @Test
    void readsABlobWrittenAsRawLittleEndianBytes()
    {
        raw.putInt(BLOB_OFFSET, 1);
        raw.putInt(BLOB_OFFSET + 4, 1);
        raw.putLong(BLOB_OFFSET + 8, 0xABCDL);
        raw.putInt(BLOB_OFFSET + 8 + 8, 10);
        raw.putInt(BLOB_OFFSET + 8 + 28, 1);
        bytes[BLOB_OFFSET + 8 + 32] = (byte)TensorDescriptor.DTYPE_UINT64;
        raw.putLong(BLOB_OFFSET + 48, Double.doubleToRawLongBits(2.5));

        assertEquals(1, blob.tensorCount());
        assertEquals(1, blob.scalarCount());
        assertEquals(0xABCDL, blob.tensor(0).address());
        assertEquals(80L, blob.tensor(0).nbytes());
        assertEquals(2.5, Double.longBitsToDouble(blob.scalar(0)));
    }

    @Test
    void resetRejectsABlobOverCapacityNamingCountsLengthAndCapacity()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> blob.reset(100, 4));

        assertEquals("args blob exceeds capacity, pass fewer tensors or scalars: tensorCount=100, scalarCount=4, " +
            "encodedLength=4040, capacity=4032", ex.getMessage());
    }

    @Test
    void resetAcceptsABlobThatFillsTheCapacityExactly()
    {
        blob.reset(100, 3).scalar(2, 9L);

        assertEquals(CAPACITY, blob.encodedLength());
        assertEquals(9L, raw.getLong(BLOB_OFFSET + CAPACITY - 8));
    }

    @Test
    void resetRejectsANegativeCount()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> blob.reset(1, -1));

        assertEquals("args blob counts must be non-negative: tensorCount=1, scalarCount=-1", ex.getMessage());
    }

    @Test
    void corruptNegativeCountIsReportedAsIllegalState()
    {
        raw.putInt(BLOB_OFFSET, -5);
        raw.putInt(BLOB_OFFSET + 4, 2);

        final IllegalStateException ex = assertThrows(IllegalStateException.class, blob::tensorCount);

        assertEquals("corrupt args blob, counts must be non-negative and fit the capacity: tensorCount=-5, " +
            "scalarCount=2, encodedLength=n/a, capacity=4032", ex.getMessage());
    }

    @Test
    void corruptCountsOverCapacityAreReportedAsIllegalState()
    {
        raw.putInt(BLOB_OFFSET, 1);
        raw.putInt(BLOB_OFFSET + 4, 1_000_000);

        final IllegalStateException ex = assertThrows(IllegalStateException.class, blob::scalarCount);

        assertEquals("corrupt args blob, counts must be non-negative and fit the capacity: tensorCount=1, " +
            "scalarCount=1000000, encodedLength=8000048, capacity=4032", ex.getMessage());
    }

    @Test
    void corruptCountsStopAScalarReadBeforeItLeavesTheRegion()
    {
        raw.putInt(BLOB_OFFSET, Integer.MAX_VALUE);
        raw.putInt(BLOB_OFFSET + 4, 1);

        assertThrows(IllegalStateException.class, () -> blob.scalar(0));
    }

    @Test
    void tensorRejectsAnIndexPastTheCount()
    {
        blob.reset(2, 0);

        final IndexOutOfBoundsException ex = assertThrows(IndexOutOfBoundsException.class, () -> blob.tensor(2));

        assertEquals("tensor index must be in 0..tensorCount-1: index=2, tensorCount=2", ex.getMessage());
    }

    @Test
    void scalarRejectsANegativeIndex()
    {
        blob.reset(0, 1);

        final IndexOutOfBoundsException ex = assertThrows(IndexOutOfBoundsException.class, () -> blob.scalar(-1, 0L));

        assertEquals("scalar index must be in 0..scalarCount-1: index=-1, scalarCount=1", ex.getMessage());
    }

    @Test
    void tensorReturnsOneReusedFlyweight()
    {
        blob.reset(2, 0);

        assertSame(blob.tensor(0), blob.tensor(1));
        assertEquals(BLOB_OFFSET + 48, blob.tensor(1).offset());
    }

    @Test
    void wrapRejectsARegionPastTheEndOfTheBuffer()
    {
        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> new ArgsBlobFlyweight().wrap(buffer, BLOB_OFFSET + 1, CAPACITY));

        assertEquals("args blob region must fit the buffer: offset=65, capacity=4032, buffer.capacity=4096",
            ex.getMessage());
    }

    @Test
    void wrapRejectsACapacitySmallerThanTheHeader()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> new ArgsBlobFlyweight().wrap(buffer, 0, 7));

        assertEquals("args blob capacity must be at least HEADER_LENGTH=8: capacity=7", ex.getMessage());
    }

    @Test
    void readOnlyWrapRejectsReset()
    {
        final DirectBuffer readOnly = buffer;
        final ArgsBlobFlyweight reader = new ArgsBlobFlyweight().wrap(readOnly, BLOB_OFFSET, CAPACITY);

        assertThrows(IllegalStateException.class, () -> reader.reset(0, 0));
    }

    @Test
    void readOnlyWrapHandsOutAReadOnlyTensor()
    {
        blob.reset(1, 0).putTensor(0, 5L, TensorDescriptor.DTYPE_INT32, 1, 1);
        final DirectBuffer readOnly = buffer;
        final ArgsBlobFlyweight reader = new ArgsBlobFlyweight().wrap(readOnly, BLOB_OFFSET, CAPACITY);

        assertEquals(5L, reader.tensor(0).address());
        assertThrows(IllegalStateException.class, () -> reader.tensor(0).address(6L));
    }
}
