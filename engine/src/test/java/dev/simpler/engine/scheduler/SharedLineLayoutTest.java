package dev.simpler.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;

/**
 * The fields the worker threads write for every task sit on cache lines of their own, whatever the address of
 * the object: the orchestrating thread would otherwise pull those lines back on every submit and retirement
 * (found with a CPU profile of the chain benchmark, with the two cores far apart). A group is kept a pair of lines
 * away from the next, since the adjacent-line prefetcher fetches lines in pairs: 64 bytes apart, a worker reading
 * its line still took the orchestrating thread's neighbouring one. The JVM chooses field offsets, so this checks
 * what it chose.
 */
class SharedLineLayoutTest
{
    /** Bytes that must separate two groups: a pair of cache lines. */
    private static final int LINE = 128;

    @Test
    void theFieldsWorkersWriteShareNoLineWithTheRestOfASlot()
    {
        assertApart(TaskSlot.class, Set.of("completedUse", "lock", "pendingProducers", "claimedMembers",
            "unfinishedMembers", "outcome", "nextOverflow", "fillShared", "poisoned", "fill0", "fill1",
            "fill2", "brokenBy"));
    }

    @Test
    void theLookAheadTheOrchestratingThreadOnlyStoresIntoSharesNoLineWithTheRestOfASlot()

    {
        assertApart(TaskSlot.class, Set.of("aheadUse", "ahead0", "ahead1", "ahead2", "ahead3", "ahead4", "ahead5",
            "ahead6", "ahead7", "fillLookAhead"));
    }

    @Test
    void theFieldsCompletingThreadsReadSitAPairOfLinesAfterWhateverPrecedesTheCompleter()

    {
        // The completer's neighbours in memory are the orchestrating thread's (the scheduler's counters among them).
        int found = 0;
        for (final Field f : instanceFields(Completer.class))
        {
            if (Set.of("slots", "readyQueues", "completions").contains(f.getName()))
            {
                found++;
                final long offset = UnsafeApi.objectFieldOffset(f);
                assertTrue(offset >= LINE, f.getName() + " at " + offset
                    + " can share a cache line with the object before the completer");
            }
        }
        assertEquals(3, found, "fields found");
    }

    @Test
    void theFlagWorkersReadAfterEveryTaskSharesNoLineWithAnyOtherCompleterField()
    {
        assertApart(Completer.class, Set.of("completionsWanted", "fillDemand"));
    }

    @Test
    void theSlotLookupSharesNoLineWithTheFreeList()
    {
        final List<Field> shared = new ArrayList<>();
        final List<Field> written = new ArrayList<>();
        for (final Field f : instanceFields(SlotTable.class))
        {
            if (f.getName().equals("chunks"))
            {
                shared.add(f);
            }
            else if (Set.of("freeBits", "lowestFreeWord", "freeCount", "capacity").contains(f.getName()))
            {
                written.add(f);
            }
        }
        assertTrue(shared.size() == 1 && written.size() == 4, "fields found: " + shared + " " + written);
        assertApart(shared, written);
    }

    @Test
    void everySlotOfAChunkHasLinkIntsOfItsOwnAndNoneLiesOnALineWithWhatSurroundsTheArray()
    {
        final SlotTable table = new SlotTable();
        final int[] links = table.get(0).links;
        final Set<Integer> taken = new HashSet<>();
        for (int i = 0; i < SlotTable.CHUNK_SIZE; i++)
        {
            final TaskSlot slot = table.get(i);
            assertSame(links, slot.links, "slot " + i + " links into its chunk's array");
            for (final int field : new int[] {SlotLinks.CONSUMER_USE, SlotLinks.FIRST_CONSUMER,
                SlotLinks.CLOSED_PRODUCERS, SlotLinks.FINAL_USE})
            {
                assertTrue(taken.add(slot.link + field), "slot " + i + " shares link int " + (slot.link + field));
            }
            assertTrue(slot.link >= LINE / Integer.BYTES && slot.link + 4 <= links.length - LINE / Integer.BYTES,
                "slot " + i + "'s link at " + slot.link + " is within a line of the end of an array of "
                + links.length);
        }
    }

    private static void assertApart(final Class<?> type, final Set<String> group)

    {
        final List<Field> inside = new ArrayList<>();
        final List<Field> outside = new ArrayList<>();
        for (final Field f : instanceFields(type))
        {
            if (f.getName().matches("[lopqr][01][0-9]"))
            {
                continue;
            }
            (group.contains(f.getName()) ? inside : outside).add(f);
        }
        assertTrue(inside.size() == group.size(), "every named field exists: " + inside);
        assertApart(inside, outside);
    }

    private static void assertApart(final List<Field> inside, final List<Field> outside)

    {
        for (final Field a : inside)
        {
            final long aStart = UnsafeApi.objectFieldOffset(a);
            final long aEnd = aStart + size(a);
            for (final Field b : outside)
            {
                final long bStart = UnsafeApi.objectFieldOffset(b);
                final long bEnd = bStart + size(b);
                // Two bytes fewer than a pair of lines apart share a pair at some alignment of the object.
                final long gap = aStart < bStart ? bStart - aEnd + 1 : aStart - bEnd + 1;
                assertTrue(gap >= LINE, a.getName() + " at " + aStart + " and " + b.getName() + " at " + bStart
                    + " can share a cache line");
            }
        }
    }

    private static List<Field> instanceFields(final Class<?> type)
    {
        final List<Field> fields = new ArrayList<>();
        for (Class<?> c = type; c != null; c = c.getSuperclass())
        {
            for (final Field f : c.getDeclaredFields())
            {
                if (!Modifier.isStatic(f.getModifiers()))
                {
                    fields.add(f);
                }
            }
        }
        return fields;
    }

    private static long size(final Field f)
    {
        final Class<?> t = f.getType();
        if (t == long.class || t == double.class)
        {
            return 8;
        }
        if (t == int.class || t == float.class)
        {
            return 4;
        }
        if (t == short.class || t == char.class)
        {
            return 2;
        }
        if (t == byte.class || t == boolean.class)
        {
            return 1;
        }
        return UnsafeApi.arrayIndexScale(Object[].class);
    }
}
