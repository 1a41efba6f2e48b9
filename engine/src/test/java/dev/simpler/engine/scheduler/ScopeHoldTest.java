package dev.simpler.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.simpler.engine.CallConfig;

/**
 * When a scope's hold on a task ends: at once for a task that succeeded without a heap slab, at the scope's end
 * for one that failed (so later readers are still skipped), and never twice. The worker side is played by the
 * test thread calling {@link Scheduler#memberFinished}.
 */
class ScopeHoldTest
{
    private SlotTable slots;
    private Scheduler scheduler;
    private final WorkerContext worker = WorkerContext.oneByOne();

    @BeforeEach
    void setUp()
    {
        slots = new SlotTable();
        scheduler = new Scheduler(slots, new ReadyQueue(slots, 1 << 16), new ReadyQueue(slots, 64), new RunLedger(1));
        scheduler.takeRole();
        scheduler.runs().begin(null);
        scheduler.openScope(0);
    }

    @Test
    void successfulTasksRetireBeforeTheirScopeEndsAndSlotsAreReused()
    {
        final int tasks = 10 * SlotTable.CHUNK_SIZE;
        for (int i = 0; i < tasks; i++)
        {
            final TaskSlot slot = submit(0);
            finish(slot, false);
            scheduler.processCompletions();
        }
        assertEquals(0, scheduler.liveSlots(), "every successful task retired while the scope is open");
        assertEquals(SlotTable.CHUNK_SIZE, slots.capacity(), "the table did not grow: retired slots were reused");
        scheduler.releaseScope(0);
        assertEquals(0, scheduler.liveSlots());
    }

    @Test
    void aFailedTaskStaysUntilItsScopeEnds()
    {
        final TaskSlot failed = submit(0);
        finish(failed, true);
        scheduler.processCompletions();
        assertEquals(1, scheduler.liveSlots(), "the failed task is held by its open scope");
        assertEquals(TaskSlot.COMPLETED, failed.state());

        final TaskSlot reader = scheduler.claim();
        reader.describe(TaskSlot.KIND_SUB, 1, CallConfig.DEFAULT, 1);
        scheduler.dependOn(reader, failed);
        scheduler.holdInScope(reader, 0);
        scheduler.seal(reader);
        scheduler.processCompletions();
        assertEquals(TaskSlot.OUTCOME_SKIPPED, reader.outcome(), "a reader of the failed task is skipped");
        assertEquals(2, scheduler.liveSlots(), "a skipped task is held like a failed one");

        scheduler.releaseScope(0);
        assertEquals(0, scheduler.liveSlots(), "the scope's end released both");
    }

    @Test
    void aTaskThatCompletesAfterItsScopeEndedDropsTheHoldOnce()
    {
        scheduler.openScope(1);
        final TaskSlot inner = submit(1);
        scheduler.releaseScope(1);
        assertEquals(1, scheduler.liveSlots(), "not completed yet");
        finish(inner, true);
        scheduler.processCompletions();
        assertEquals(0, scheduler.liveSlots(), "a failure after the scope ended is not held by it");

        // A new scope at the same depth does not adopt the hold of a task from the one before.
        scheduler.openScope(1);
        final TaskSlot next = submit(1);
        finish(next, false);
        scheduler.processCompletions();
        assertEquals(0, scheduler.liveSlots());
        scheduler.releaseScope(1);
        assertEquals(0, scheduler.liveSlots());
        assertTrue(slots.hasFree());
    }

    private TaskSlot submit(final int depth)
    {
        final TaskSlot slot = scheduler.claim();
        slot.describe(TaskSlot.KIND_SUB, 1, CallConfig.DEFAULT, 1);
        slot.member(0).reset(0, 0);
        scheduler.holdInScope(slot, depth);
        scheduler.seal(slot);
        return slot;
    }

    private void finish(final TaskSlot slot, final boolean fail)
    {
        if (fail)
        {
            slot.member(0).fail(1, "boom", null, "test worker");
        }
        scheduler.completer().memberFinished(slot, worker, fail);
    }
}
