package dev.simpler.engine.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

class HeapRingTest
{
    private static final long BASE = 1L << 30;
    private static final long SIZE = 64 * HeapRing.ALIGNMENT;

    @Test
    void carvesAlignedSlabsInAllocationOrder()
    {
        final HeapRing ring = new HeapRing(0, BASE, SIZE);
        final long a = ring.tryAllocate(HeapRing.alignedSize(100));
        final long b = ring.tryAllocate(HeapRing.alignedSize(3000));
        assertEquals(BASE, ring.address(a));
        assertEquals(BASE + HeapRing.ALIGNMENT, ring.address(b));
        assertEquals(SIZE - 4 * HeapRing.ALIGNMENT, ring.freeBytes());
    }

    @Test
    void reclaimsOnlyWhenTheOldestSlabIsFreed()
    {
        final HeapRing ring = new HeapRing(1, BASE, SIZE);
        final long first = ring.tryAllocate(SIZE / 2);
        final long second = ring.tryAllocate(SIZE / 2);
        assertEquals(-1, ring.tryAllocate(HeapRing.ALIGNMENT));
        ring.free(second);
        assertEquals(-1, ring.tryAllocate(HeapRing.ALIGNMENT), "a younger slab alone returns no space");
        ring.free(first);
        assertEquals(SIZE, ring.freeBytes());
        assertTrue(ring.tryAllocate(SIZE) >= 0);
    }

    @Test
    void wrapsToTheStartWhenTheEndIsTooShort()
    {
        final HeapRing ring = new HeapRing(2, BASE, SIZE);
        final long a = ring.tryAllocate(SIZE / 4);
        final long b = ring.tryAllocate(SIZE / 2);
        ring.free(a);
        final long c = ring.tryAllocate(SIZE / 4 + HeapRing.ALIGNMENT);
        assertEquals(-1, c, "neither the end (SIZE/4 free) nor the start (SIZE/4 free) fits");
        final long d = ring.tryAllocate(SIZE / 4);
        assertEquals(BASE + 3 * SIZE / 4, ring.address(d));
        final long e = ring.tryAllocate(SIZE / 4);
        assertEquals(BASE, ring.address(e), "the next slab wraps to the start");
        assertEquals(0, ring.freeBytes());
        ring.free(b);
        ring.free(d);
        ring.free(e);
        assertEquals(SIZE, ring.freeBytes());
    }

    @Test
    void rejectsARequestLargerThanTheRingAtOnce()
    {
        final HeapRing ring = new HeapRing(3, BASE, SIZE);
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> ring.tryAllocate(SIZE + HeapRing.ALIGNMENT));
        assertTrue(ex.getMessage().contains("heap ring 3"), ex.getMessage());
        assertTrue(ex.getMessage().contains(String.valueOf(SIZE + HeapRing.ALIGNMENT)), ex.getMessage());
        assertTrue(ex.getMessage().contains("free=" + SIZE), ex.getMessage());
    }

    @Test
    void rejectsFreeingASlabTwice()
    {
        final HeapRing ring = new HeapRing(0, BASE, SIZE);
        final long a = ring.tryAllocate(HeapRing.ALIGNMENT);
        ring.tryAllocate(HeapRing.ALIGNMENT);
        ring.free(a);
        assertThrows(IllegalStateException.class, () -> ring.free(a));
    }

    @Property(tries = 300)
    void liveSlabsNeverOverlapAndStayInsideTheRing(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE) final long seed)
    {
        final Random random = new Random(seed);
        final HeapRing ring = new HeapRing(0, BASE, SIZE);
        final List<long[]> live = new ArrayList<>();
        for (int step = 0; step < 400; step++)
        {
            if (live.isEmpty() || random.nextInt(3) > 0)
            {
                final long bytes = HeapRing.alignedSize(1 + random.nextInt((int)SIZE / 3));
                final long id = ring.tryAllocate(bytes);
                if (id >= 0)
                {
                    final long start = ring.address(id) - BASE;
                    assertEquals(0, start % HeapRing.ALIGNMENT);
                    assertTrue(start >= 0 && start + bytes <= SIZE, "slab inside the ring");
                    for (final long[] other : live)
                    {
                        assertFalse(start < other[1] + other[2] && other[1] < start + bytes, "slabs overlap");
                    }
                    live.add(new long[] {id, start, bytes});
                }
                else if (live.isEmpty())
                {
                    throw new AssertionError("an empty ring refused " + bytes + " bytes");
                }
            }
            else
            {
                ring.free(live.remove(random.nextInt(live.size()))[0]);
            }
            // Slabs freed out of order stay counted until the older ones are freed too.
            assertTrue(ring.liveSlabs() >= live.size(), "every live slab is counted");
            final long liveBytes = live.stream().mapToLong(slab -> slab[2]).sum();
            assertTrue(ring.freeBytes() <= SIZE - liveBytes, "free space never includes live slabs");
        }
        for (final long[] slab : live)
        {
            ring.free(slab[0]);
        }
        assertEquals(SIZE, ring.freeBytes());
        assertEquals(0, ring.liveSlabs());
    }

    @Test
    void findsTheHolderOfTheLiveSlabAtAnyAddressAlsoAfterTheRingWrapped()
    {
        final HeapRing ring = new HeapRing(0, BASE, 8 * HeapRing.ALIGNMENT);
        final Random random = new Random(7);
        final ArrayDeque<long[]> live = new ArrayDeque<>();
        for (int step = 0; step < 20_000; step++)
        {
            final long bytes = HeapRing.alignedSize(1 + random.nextInt(3 * HeapRing.ALIGNMENT));
            final long id = ring.tryAllocate(bytes);
            if (id >= 0)
            {
                ring.own(id, step);
                live.add(new long[] {id, ring.address(id), bytes, step});
            }
            if (id < 0 || random.nextInt(3) == 0)
            {
                // free one live slab, mostly the oldest (reclaimed in order), sometimes a later one
                final long[] freed = random.nextInt(4) == 0 && live.size() > 1 ? removeSecond(live) : live.poll();
                if (freed != null)
                {
                    ring.free(freed[0]);
                    assertEquals(null, ring.ownerAt(freed[1]), "a freed slab has no holder");
                }
            }
            for (final long[] slab : live)
            {
                final long inside = slab[1] + random.nextInt((int)slab[2]);
                assertEquals((int)slab[3], ring.ownerAt(inside), "holder of the slab at step " + step);
                assertEquals(slab[1] + slab[2], ring.slabEndAt(inside));
            }
            assertTrue(ring.contains(BASE) && !ring.contains(BASE - 1));
            assertFalse(ring.contains(BASE + 8 * HeapRing.ALIGNMENT));
        }
    }

    private static long[] removeSecond(final ArrayDeque<long[]> live)
    {
        final long[] first = live.poll();
        final long[] second = live.poll();
        live.addFirst(first);
        return second;
    }
}
