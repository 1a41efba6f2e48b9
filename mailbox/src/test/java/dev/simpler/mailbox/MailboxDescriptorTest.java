package dev.simpler.mailbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MailboxDescriptorTest
{
    @Test
    void fieldOffsetsMatchTheSpecTable()
    {
        assertEquals(4096, MailboxDescriptor.MAILBOX_LENGTH);
        assertEquals(0, MailboxDescriptor.STATE_OFFSET);
        assertEquals(4, MailboxDescriptor.ERROR_OFFSET);
        assertEquals(8, MailboxDescriptor.CALLABLE_OFFSET);
        assertEquals(16, MailboxDescriptor.BLOCK_DIM_OFFSET);
        assertEquals(20, MailboxDescriptor.AICPU_THREAD_NUM_OFFSET);
        assertEquals(24, MailboxDescriptor.ENABLE_PROFILING_OFFSET);
        assertEquals(28, MailboxDescriptor.ENABLE_DUMP_TENSOR_OFFSET);
        assertEquals(32, MailboxDescriptor.CHILD_PID_OFFSET);
        assertEquals(36, MailboxDescriptor.CHILD_STATUS_OFFSET);
        assertEquals(40, MailboxDescriptor.TASK_TAKEN_OFFSET);
        assertEquals(44, MailboxDescriptor.TRACE_OFFSET);
        assertEquals(48, MailboxDescriptor.TASK_START_NS_OFFSET);
        assertEquals(56, MailboxDescriptor.TASK_END_NS_OFFSET);
        assertEquals(64, MailboxDescriptor.TASK_END_NS_OFFSET + Long.BYTES);
        assertEquals(64, MailboxDescriptor.ARGS_OFFSET);
        assertEquals(4032, MailboxDescriptor.ARGS_CAPACITY);
    }

    @Test
    void errorMessageTakesTheArgsAreaAfterALengthWord()
    {
        assertEquals(64, MailboxDescriptor.ERROR_MESSAGE_LENGTH_OFFSET);
        assertEquals(68, MailboxDescriptor.ERROR_MESSAGE_OFFSET);
        assertEquals(4028, MailboxDescriptor.ERROR_MESSAGE_CAPACITY);
    }

    @Test
    void codesMatchTheSpec()
    {
        assertEquals(0, MailboxDescriptor.STATE_IDLE);
        assertEquals(1, MailboxDescriptor.STATE_TASK_READY);
        assertEquals(2, MailboxDescriptor.STATE_TASK_DONE);
        assertEquals(3, MailboxDescriptor.STATE_SHUTDOWN);
        assertEquals(0, MailboxDescriptor.ERROR_OK);
        assertEquals(1, MailboxDescriptor.ERROR_RUN_FAILED);
        assertEquals(2, MailboxDescriptor.ERROR_CALLABLE_THREW);
        assertEquals(99, MailboxDescriptor.ERROR_CHILD_INIT_FAILED);
        assertEquals(0, MailboxDescriptor.CHILD_STARTING);
        assertEquals(1, MailboxDescriptor.CHILD_READY);
        assertEquals(2, MailboxDescriptor.CHILD_INIT_FAILED);
    }

    @Test
    void stateNameNamesEveryState()
    {
        assertEquals("IDLE", MailboxDescriptor.stateName(0));
        assertEquals("TASK_READY", MailboxDescriptor.stateName(1));
        assertEquals("TASK_DONE", MailboxDescriptor.stateName(2));
        assertEquals("SHUTDOWN", MailboxDescriptor.stateName(3));
    }

    @Test
    void stateNameShowsTheValueOfAnUnknownState()
    {
        assertEquals("UNKNOWN(17)", MailboxDescriptor.stateName(17));
        assertEquals("UNKNOWN(-1)", MailboxDescriptor.stateName(-1));
    }

    @Test
    void isValidStateAcceptsOnlyTheFourStates()
    {
        assertTrue(MailboxDescriptor.isValidState(0));
        assertTrue(MailboxDescriptor.isValidState(3));
        assertFalse(MailboxDescriptor.isValidState(4));
        assertFalse(MailboxDescriptor.isValidState(-1));
    }

    @Test
    void checkStateReportsACorruptStateAsIllegalState()
    {
        final IllegalStateException ex =
            assertThrows(IllegalStateException.class, () -> MailboxDescriptor.checkState(17));

        assertEquals("corrupt mailbox state, must be in 0..3: state=17", ex.getMessage());
    }

    @Test
    void errorNameNamesTheKnownCodes()
    {
        assertEquals("CALLABLE_THREW", MailboxDescriptor.errorName(2));
        assertEquals("CHILD_INIT_FAILED", MailboxDescriptor.errorName(99));
        assertEquals("UNKNOWN(5)", MailboxDescriptor.errorName(5));
    }

    @Test
    void childStatusNameNamesTheKnownStatuses()
    {
        assertEquals("READY", MailboxDescriptor.childStatusName(1));
        assertEquals("UNKNOWN(9)", MailboxDescriptor.childStatusName(9));
    }
}
