package dev.simpler.engine.counters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/**
 * The counters of components built without a Worker (SPEC §14).
 */
class EngineCountersTest
{
    @Test
    void componentsBuiltWithoutAWorkerShareOneSetOfUnpublishedCountersThatWork()
    {
        final EngineCounters counters = EngineCounters.unpublished();

        assertSame(counters, EngineCounters.unpublished());
        assertNull(counters.path());
        final long before = counters.tasksSubmitted().get();
        counters.tasksSubmitted().incrementRelease();
        assertEquals(before + 1, counters.tasksSubmitted().get());
        counters.heapRingBytesInUse(3).setRelease(1024);
        assertEquals(1024, counters.heapRingBytesInUse(3).get());
    }
}
