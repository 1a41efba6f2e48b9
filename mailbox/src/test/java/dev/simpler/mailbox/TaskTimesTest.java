package dev.simpler.mailbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The trace extension of the mailbox (SPEC §14): a child times a task only when the parent asks, and writes its
 * times and thread id before TASK_DONE; otherwise the extension words stay zero, as in the upstream layout.
 */
class TaskTimesTest
{
    private final UnsafeBuffer memory = new UnsafeBuffer(ByteBuffer.allocateDirect(MailboxDescriptor.MAILBOX_LENGTH));
    private final ParentMailbox parent = new ParentMailbox(memory, "test child");
    private final ChildMailbox child = new ChildMailbox(memory);

    @Test
    void aTaskTheParentAsksToTimeComesBackWithTheChildsTimesAndThreadId()
    {
        child.threadId(4321);
        parent.beginTask(7, 1, 1, false, false).reset(0, 0);
        parent.requestTaskTimes();
        parent.publishTask();
        assertEquals(ChildMailbox.TASK, child.poll());
        final long before = System.nanoTime();
        child.take();
        child.done();
        final long after = System.nanoTime();
        assertTrue(parent.isDone());
        final MailboxFlyweight fields = parent.flyweight();
        assertEquals(4321, fields.traceWord());
        assertTrue(before <= fields.taskStartNs() && fields.taskStartNs() <= fields.taskEndNs()
            && fields.taskEndNs() <= after, fields.taskStartNs() + " .. " + fields.taskEndNs());
        assertEquals(0, parent.takeResult());
        parent.forgetTaskTimes();
        assertEquals(0, fields.traceWord());
        assertEquals(0, fields.taskStartNs());
        assertEquals(0, fields.taskEndNs());
    }

    @Test
    void aFailedTaskIsTimedToo()
    {
        child.threadId(99);
        parent.beginTask(7, 1, 1, false, false).reset(0, 0);
        parent.requestTaskTimes();
        parent.publishTask();
        child.poll();
        child.take();
        child.failed(MailboxDescriptor.ERROR_CALLABLE_THREW, "boom");
        assertTrue(parent.isDone());
        assertEquals(99, parent.flyweight().traceWord());
        assertTrue(parent.flyweight().taskEndNs() >= parent.flyweight().taskStartNs());
        assertTrue(parent.flyweight().taskStartNs() != 0);
    }

    @Test
    void aTaskNobodyAskedToTimeLeavesTheExtensionWordsZero()
    {
        child.threadId(4321);
        for (int i = 0; i < 2; i++)
        {
            parent.beginTask(7, 1, 1, false, false).reset(0, 0);
            parent.publishTask();
            child.poll();
            child.take();
            child.done();
            assertTrue(parent.isDone());
            for (int offset = MailboxDescriptor.TRACE_OFFSET; offset < MailboxDescriptor.ARGS_OFFSET; offset++)
            {
                assertEquals(0, memory.getByte(offset), "byte " + offset + " after task " + i);
            }
            parent.takeResult();
        }
    }
}
