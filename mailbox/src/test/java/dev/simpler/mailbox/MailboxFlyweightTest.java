package dev.simpler.mailbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class MailboxFlyweightTest
{
    private static final int MAILBOX_OFFSET = 4096;

    private final byte[] bytes = new byte[3 * 4096];
    private final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
    private final ByteBuffer raw = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    private final MailboxFlyweight mailbox = new MailboxFlyweight().wrap(buffer, MAILBOX_OFFSET);

    @Test
    void fixedFieldsAreWrittenLittleEndianAtTheSpecOffsets()
    {
        mailbox
            .error(MailboxDescriptor.ERROR_CALLABLE_THREW)
            .callable(0x0102_0304_0506_0708L)
            .blockDim(24)
            .aicpuThreadNum(3)
            .enableProfiling(true)
            .enableDumpTensor(true)
            .childPid(4321)
            .childStatusRelease(MailboxDescriptor.CHILD_INIT_FAILED)
            .stateRelease(MailboxDescriptor.STATE_TASK_DONE);

        assertEquals(2, raw.getInt(MAILBOX_OFFSET));
        assertEquals(2, raw.getInt(MAILBOX_OFFSET + 4));
        assertEquals(0x0102_0304_0506_0708L, raw.getLong(MAILBOX_OFFSET + 8));
        assertEquals(24, raw.getInt(MAILBOX_OFFSET + 16));
        assertEquals(3, raw.getInt(MAILBOX_OFFSET + 20));
        assertEquals(1, raw.getInt(MAILBOX_OFFSET + 24));
        assertEquals(1, raw.getInt(MAILBOX_OFFSET + 28));
        assertEquals(4321, raw.getInt(MAILBOX_OFFSET + 32));
        assertEquals(2, raw.getInt(MAILBOX_OFFSET + 36));
    }

    @Test
    void fixedFieldsAreReadFromRawLittleEndianBytes()
    {
        raw.putInt(MAILBOX_OFFSET, 1);
        raw.putInt(MAILBOX_OFFSET + 4, 99);
        raw.putLong(MAILBOX_OFFSET + 8, -7L);
        raw.putInt(MAILBOX_OFFSET + 16, 48);
        raw.putInt(MAILBOX_OFFSET + 20, 6);
        raw.putInt(MAILBOX_OFFSET + 24, 1);
        raw.putInt(MAILBOX_OFFSET + 28, 0);
        raw.putInt(MAILBOX_OFFSET + 32, 777);
        raw.putInt(MAILBOX_OFFSET + 36, 1);

        assertEquals(MailboxDescriptor.STATE_TASK_READY, mailbox.stateAcquire());
        assertEquals(MailboxDescriptor.ERROR_CHILD_INIT_FAILED, mailbox.error());
        assertEquals(-7L, mailbox.callable());
        assertEquals(48, mailbox.blockDim());
        assertEquals(6, mailbox.aicpuThreadNum());
        assertTrue(mailbox.enableProfiling());
        assertFalse(mailbox.enableDumpTensor());
        assertEquals(777, mailbox.childPid());
        assertEquals(MailboxDescriptor.CHILD_READY, mailbox.childStatusAcquire());
    }

    @Test
    void falseFlagsAreStoredAsZero()
    {
        raw.putInt(MAILBOX_OFFSET + 24, 0xFF);

        mailbox.enableProfiling(false);

        assertEquals(0, raw.getInt(MAILBOX_OFFSET + 24));
    }

    @Test
    void stateReleaseRejectsAValueThatIsNotAState()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> mailbox.stateRelease(4));

        assertEquals("state must be in 0..3: state=4", ex.getMessage());
    }

    @Test
    void stateAcquireReturnsACorruptValueAsIs()
    {
        raw.putInt(MAILBOX_OFFSET, 17);

        assertEquals(17, mailbox.stateAcquire());
    }

    @Test
    void childStatusReleaseRejectsAValueThatIsNotAStatus()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> mailbox.childStatusRelease(3));

        assertEquals("child status must be in 0..2: childStatus=3", ex.getMessage());
    }

    @Test
    void compareAndSetStateMovesOnlyFromTheExpectedState()
    {
        mailbox.stateRelease(MailboxDescriptor.STATE_TASK_DONE);

        assertFalse(mailbox.compareAndSetState(MailboxDescriptor.STATE_IDLE, MailboxDescriptor.STATE_SHUTDOWN));
        assertTrue(mailbox.compareAndSetState(MailboxDescriptor.STATE_TASK_DONE, MailboxDescriptor.STATE_IDLE));
        assertEquals(MailboxDescriptor.STATE_IDLE, raw.getInt(MAILBOX_OFFSET));
    }

    @Test
    void argsBlobCoversTheArgsArea()
    {
        final ArgsBlobFlyweight blob = mailbox.argsBlob();

        assertEquals(MAILBOX_OFFSET + 64, blob.offset());
        assertEquals(4032, blob.capacity());
        assertSame(blob, mailbox.argsBlob());
    }

    @Test
    void argsBlobWritesAtOffsetSixtyFour()
    {
        mailbox.argsBlob().reset(1, 1).putTensor(0, 0x40L, TensorDescriptor.DTYPE_INT32, 1, 8).scalar(0, 5L);

        assertEquals(1, raw.getInt(MAILBOX_OFFSET + 64));
        assertEquals(1, raw.getInt(MAILBOX_OFFSET + 68));
        assertEquals(0x40L, raw.getLong(MAILBOX_OFFSET + 72));
        assertEquals(5L, raw.getLong(MAILBOX_OFFSET + 112));
    }

    @Test
    void argsBlobRejectsABlobOverTheMailboxCapacity()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> mailbox.argsBlob().reset(0, 504));

        assertEquals("args blob exceeds capacity, pass fewer tensors or scalars: tensorCount=0, scalarCount=504, " +
            "encodedLength=4040, capacity=4032", ex.getMessage());
    }

    @Test
    void errorMessageRoundTrips()
    {
        mailbox.putErrorMessage("callable 7 threw: java.lang.ArithmeticException: / by zero");

        assertEquals("callable 7 threw: java.lang.ArithmeticException: / by zero", mailbox.errorMessage());
    }

    @Test
    void errorMessageIsWrittenAsLengthThenUtf8Bytes()
    {
        final int written = mailbox.putErrorMessage("né");

        assertEquals(3, written);
        assertEquals(3, raw.getInt(MAILBOX_OFFSET + 64));
        assertArrayEquals(
            "né".getBytes(StandardCharsets.UTF_8), Arrays.copyOfRange(bytes, MAILBOX_OFFSET + 68, MAILBOX_OFFSET + 71));
    }

    @Test
    void multiByteUtf8MessageRoundTrips()
    {
        final String message = "échec: 失败 🚀 ошибка";

        mailbox.putErrorMessage(message);

        assertEquals(message, mailbox.errorMessage());
    }

    @Test
    void longMessageIsTruncatedToTheCapacity()
    {
        final String message = "x".repeat(5000);

        final int written = mailbox.putErrorMessage(message);

        assertEquals(4028, written);
        assertEquals("x".repeat(4028), mailbox.errorMessage());
    }

    @Test
    void truncationNeverSplitsAMultiByteCharacter()
    {
        // 4027 one-byte chars then a 4-byte emoji: only 1 byte of the emoji would fit.
        final String message = "a".repeat(4027) + "🚀" + "tail";

        final int written = mailbox.putErrorMessage(message);

        assertEquals(4027, written);
        assertEquals("a".repeat(4027), mailbox.errorMessage());
    }

    @Test
    void truncationKeepsAMultiByteCharacterThatEndsExactlyAtTheCapacity()
    {
        final String message = "a".repeat(4025) + "€" + "b";

        final int written = mailbox.putErrorMessage(message);

        assertEquals(4028, written);
        assertEquals("a".repeat(4025) + "€", mailbox.errorMessage());
    }

    @Test
    void truncationStaysInsideTheMailbox()
    {
        Arrays.fill(bytes, MAILBOX_OFFSET + 4096, bytes.length, (byte)0x77);

        mailbox.putErrorMessage("z".repeat(10_000));

        assertEquals(0x77, bytes[MAILBOX_OFFSET + 4096]);
    }

    @Test
    void nullMessageIsWrittenAsEmpty()
    {
        mailbox.putErrorMessage(null);

        assertEquals("", mailbox.errorMessage());
    }

    @Test
    void negativeMessageLengthIsReportedAsCorrupt()
    {
        raw.putInt(MAILBOX_OFFSET + 64, -1);

        assertEquals("corrupt error message in mailbox, length must be in 0..4028: length=-1", mailbox.errorMessage());
    }

    @Test
    void messageLengthPastTheCapacityIsReportedAsCorrupt()
    {
        raw.putInt(MAILBOX_OFFSET + 64, 4029);

        assertEquals("corrupt error message in mailbox, length must be in 0..4028: length=4029",
            mailbox.errorMessage());
    }

    @Test
    void invalidUtf8IsReplacedRatherThanThrown()
    {
        raw.putInt(MAILBOX_OFFSET + 64, 2);
        bytes[MAILBOX_OFFSET + 68] = (byte)0xC3;
        bytes[MAILBOX_OFFSET + 69] = (byte)0x41;

        assertEquals("\uFFFDA", mailbox.errorMessage());
    }

    @Test
    void clearZeroesTheWholeMailboxAndNothingElse()
    {
        Arrays.fill(bytes, (byte)0x33);

        mailbox.clear();

        assertEquals(0x33, bytes[MAILBOX_OFFSET - 1]);
        assertArrayEquals(new byte[4096], Arrays.copyOfRange(bytes, MAILBOX_OFFSET, MAILBOX_OFFSET + 4096));
        assertEquals(0x33, bytes[MAILBOX_OFFSET + 4096]);
    }

    @Test
    void wrapRejectsABufferShorterThanAMailbox()
    {
        final UnsafeBuffer small = new UnsafeBuffer(new byte[4095]);

        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> new MailboxFlyweight().wrap(small, 0));

        assertEquals("mailbox must fit the buffer: offset=0, mailboxLength=4096, capacity=4095", ex.getMessage());
    }

    @Test
    void wrapRejectsAMailboxThatRunsPastTheEnd()
    {
        assertThrows(IllegalArgumentException.class, () -> new MailboxFlyweight().wrap(buffer, 2 * 4096 + 8));
    }

    @Test
    void wrapRejectsAMisalignedMailbox()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> new MailboxFlyweight().wrap(buffer, 4));

        assertTrue(ex.getMessage().startsWith("mailbox must be 8-byte aligned: offset=4"), ex.getMessage());
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void handshakePublishesTheTaskToTheChildAndTheResultBack() throws InterruptedException
    {
        final UnsafeBuffer shared = new UnsafeBuffer(ByteBuffer.allocateDirect(MailboxDescriptor.MAILBOX_LENGTH));
        final MailboxFlyweight parent = new MailboxFlyweight().wrap(shared, 0);
        final AtomicReference<Throwable> childFailure = new AtomicReference<>();
        final Thread child = new Thread(() ->
        {
            try
            {
                final MailboxFlyweight side = new MailboxFlyweight().wrap(shared, 0);
                while (side.stateAcquire() != MailboxDescriptor.STATE_TASK_READY)
                {
                    Thread.onSpinWait();
                }
                final long sum = side.callable() + side.argsBlob().scalar(0);
                side.error(MailboxDescriptor.ERROR_CALLABLE_THREW);
                side.putErrorMessage("sum=" + sum);
                side.stateRelease(MailboxDescriptor.STATE_TASK_DONE);
            }
            catch (final Throwable t)
            {
                childFailure.set(t);
            }
        }, "mailbox-child");
        child.setDaemon(true);
        child.start();

        parent.callable(40L).argsBlob().reset(0, 1).scalar(0, 2L);
        parent.stateRelease(MailboxDescriptor.STATE_TASK_READY);
        while (parent.stateAcquire() != MailboxDescriptor.STATE_TASK_DONE)
        {
            Thread.onSpinWait();
        }
        child.join();

        assertNull(childFailure.get());
        assertEquals(MailboxDescriptor.ERROR_CALLABLE_THREW, parent.error());
        assertEquals("sum=42", parent.errorMessage());
    }
}
