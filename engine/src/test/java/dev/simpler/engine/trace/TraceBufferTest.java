package dev.simpler.engine.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import dev.simpler.engine.scheduler.TaskSlot;

/**
 * The ring of one recording thread: it keeps the newest events, drops the oldest when full, and counts the drops.
 */
class TraceBufferTest
{
    @Test
    void aFullRingKeepsTheNewestEventsAndCountsTheOldestItDropped()
    {
        final TraceBuffer buffer = new TraceBuffer(16);
        buffer.bind();
        for (int claim = 1; claim <= 21; claim++)
        {
            buffer.ready(1000 + claim, claim, claim % 4, 1);
        }
        assertEquals(21, buffer.written());
        assertEquals(5, buffer.dropped());
        assertEquals(16, buffer.size());
        for (int i = 0; i < buffer.size(); i++)
        {
            final int at = buffer.recordAt(i);
            assertEquals(TraceDescriptor.READY, TraceDescriptor.type(buffer.records()[at + TraceDescriptor.HEADER]));
            assertEquals(6 + i, buffer.records()[at + TraceDescriptor.CLAIM], "oldest kept first, in order");
            assertEquals(1006 + i, buffer.records()[at + TraceDescriptor.TIME]);
        }
    }

    @Test
    void aRingThatIsNotFullDropsNothing()
    {
        final TraceBuffer buffer = new TraceBuffer(16);
        buffer.bind();
        buffer.runBegan(5, 3);
        buffer.runEnded(9, 3, 1, 2, TraceDescriptor.FLAG_ABANDONED);
        assertEquals(0, buffer.dropped());
        assertEquals(2, buffer.size());
        final long[] r = buffer.records();
        final int end = buffer.recordAt(1);
        assertEquals(TraceDescriptor.RUN_END, TraceDescriptor.type(r[end + TraceDescriptor.HEADER]));
        assertEquals(3, TraceDescriptor.high(r[end + TraceDescriptor.SLOT_RUN]));
        assertEquals(1, r[end + TraceDescriptor.FAILED_TASKS]);
        assertEquals(2, r[end + TraceDescriptor.SKIPPED_TASKS]);
        assertEquals(TraceDescriptor.FLAG_ABANDONED, TraceDescriptor.flags(r[end + TraceDescriptor.HEADER]));
    }

    @Test
    void aTaskRecordKeepsEveryField()
    {
        final TraceBuffer buffer = new TraceBuffer(16);
        buffer.bind();
        buffer.task(10, 20, 7L << 33, 12, 9, TaskSlot.KIND_NEXT_LEVEL, -5L, 3, 4, TraceDescriptor.FLAG_FAILED, 2,
            4242, 4243);
        final long[] r = buffer.records();
        final int at = buffer.recordAt(0);
        final long header = r[at + TraceDescriptor.HEADER];
        assertEquals(TraceDescriptor.TASK, TraceDescriptor.type(header));
        assertEquals(TaskSlot.KIND_NEXT_LEVEL, TraceDescriptor.kind(header));
        assertEquals(TraceDescriptor.FLAG_FAILED, TraceDescriptor.flags(header));
        assertEquals(3, TraceDescriptor.member(header));
        assertEquals(10, r[at + TraceDescriptor.TIME]);
        assertEquals(20, r[at + TraceDescriptor.END_TIME]);
        assertEquals(7L << 33, r[at + TraceDescriptor.CLAIM]);
        assertEquals(12, TraceDescriptor.low(r[at + TraceDescriptor.SLOT_RUN]));
        assertEquals(9, TraceDescriptor.high(r[at + TraceDescriptor.SLOT_RUN]));
        assertEquals(-5L, r[at + TraceDescriptor.CALLABLE]);
        assertEquals(4242, TraceDescriptor.low(r[at + TraceDescriptor.PROCESS_THREAD]));
        assertEquals(4243, TraceDescriptor.high(r[at + TraceDescriptor.PROCESS_THREAD]));
        assertEquals(2, TraceDescriptor.low(r[at + TraceDescriptor.WORKER_MEMBERS]));
        assertEquals(4, TraceDescriptor.high(r[at + TraceDescriptor.WORKER_MEMBERS]));
    }

    @Test
    void aRingIsAPowerOfTwo()
    {
        assertThrows(IllegalArgumentException.class, () -> new TraceBuffer(24));
    }
}
