package dev.simpler.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/**
 * The slot table hands out the lowest free slot, so that the slots in use stay few and consecutive tasks take
 * neighbouring numbers, across words of its free set and across the chunks it grows by.
 */
class SlotTableTest
{
    @Test
    void aFreshTableHandsOutSlotsInOrder()
    {
        final SlotTable slots = new SlotTable();
        for (int i = 0; i < 200; i++)
        {
            assertEquals(i, slots.claim().index);
        }
        assertEquals(SlotTable.CHUNK_SIZE - 200, slots.freeCount());
    }

    @Test
    void theLowestFreedSlotComesBackFirstWhateverTheOrderOfRelease()
    {
        final SlotTable slots = new SlotTable();
        final List<TaskSlot> claimed = new ArrayList<>();
        for (int i = 0; i < 300; i++)
        {
            claimed.add(slots.claim());
        }
        // Freed from the top down, across words of the free set: claimed again from the bottom up.
        slots.release(claimed.get(250));
        slots.release(claimed.get(130));
        slots.release(claimed.get(7));
        slots.release(claimed.get(64));
        assertEquals(7, slots.claim().index);
        assertEquals(64, slots.claim().index);
        assertEquals(130, slots.claim().index);
        assertEquals(250, slots.claim().index);
        assertEquals(300, slots.claim().index);
    }

    @Test
    void aGrownTableStillHandsOutTheLowestFreeSlot()
    {
        final SlotTable slots = new SlotTable();
        final List<TaskSlot> claimed = new ArrayList<>();
        for (int i = 0; i < SlotTable.CHUNK_SIZE + 10; i++)
        {
            claimed.add(slots.claim());
        }
        assertEquals(2 * SlotTable.CHUNK_SIZE, slots.capacity());
        assertEquals(SlotTable.CHUNK_SIZE + 10, claimed.get(claimed.size() - 1).index + 1);
        slots.release(claimed.get(SlotTable.CHUNK_SIZE + 3));
        slots.release(claimed.get(5));
        assertEquals(5, slots.claim().index);
        assertEquals(SlotTable.CHUNK_SIZE + 3, slots.claim().index);
        assertEquals(SlotTable.CHUNK_SIZE + 10, slots.claim().index);
    }

    @Test
    void randomClaimsAndReleasesAlwaysGetTheLowestFreeNumber()
    {
        final SlotTable slots = new SlotTable();
        final TreeSet<Integer> live = new TreeSet<>();
        final SplittableRandom random = new SplittableRandom(16);
        for (int step = 0; step < 20_000; step++)
        {
            if (live.isEmpty() || random.nextInt(100) < 55)
            {
                int expected = 0;
                while (live.contains(expected))
                {
                    expected++;
                }
                final TaskSlot slot = slots.claim();
                assertEquals(expected, slot.index, "claim " + step);
                live.add(slot.index);
            }
            else
            {
                final Integer[] inUse = live.toArray(new Integer[0]);
                final int index = inUse[random.nextInt(inUse.length)];
                live.remove(index);
                slots.release(slots.get(index));
            }
            assertEquals(slots.capacity() - live.size(), slots.freeCount());
        }
    }
}
