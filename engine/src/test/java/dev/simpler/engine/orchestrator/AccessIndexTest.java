package dev.simpler.engine.orchestrator;

import static dev.simpler.engine.config.Configuration.ACCESS_INDEX_SWEEP_MIN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.simpler.engine.scheduler.SlotLifecycle;
import dev.simpler.engine.scheduler.SlotTable;
import dev.simpler.engine.scheduler.TaskSlot;

/**
 * The access index against a byte-by-byte model (SPEC §3): random reads and writes of random, overlapping byte
 * ranges by tasks that complete and retire in any order the engine allows. For every new task:
 * <ul>
 *   <li>exact — each producer it gets conflicts with it on at least one byte;</li>
 *   <li>complete — every earlier task that conflicts with it on a byte has completed or is ordered before it through
 *       the producers;</li>
 *   <li>alive — the last writer of every byte it reads, while not retired, is one of its producers (which keeps an
 *       allocation's slab alive for a task naming only a view of it; a write is ordered after the last writer
 *       through the readers since, and names it only when it holds a slab, which these slots never do).</li>
 * </ul>
 * And the index forgets: retirement erases a task's writer records, stale readers are swept.
 */
class AccessIndexTest
{
    private static final long BASE = 1L << 20;
    private static final int SPAN = 256;
    private static final int READ = 0;
    private static final int WRITE = 1;
    private static final int NEW_BYTES = 2;

    private final SlotTable slots = new SlotTable();
    private final List<Task> tasks = new ArrayList<>();
    private final Task[] ownerOfSlot = new Task[SlotTable.CHUNK_SIZE * 4];
    private Task submitting;
    private final AccessIndex index = new AccessIndex((consumer, producer) ->
    {
        assertTrue(consumer == submitting.slot, "dependencies are only found for the task being submitted");
        final Task owner = ownerOfSlot[producer.index()];
        assertNotNull(owner, "producer slot " + producer.index() + " belongs to no live task");
        if (owner != submitting)
        {
            submitting.producers.add(owner);
        }
    });

    @Test
    void randomAccessesGetExactAndCompleteDependencies()
    {
        for (long seed = 1; seed <= 300; seed++)
        {
            runSequence(seed, 400);
            assertEquals(0, index.segments(), "segments left after clear, seed " + seed);
        }
    }

    @Test
    void sameRangeRepeatedIsOneSegment()
    {
        final Task writer = submit(new long[] {WRITE, 0, 64});
        for (int i = 0; i < 100; i++)
        {
            final Task reader = submit(new long[] {READ, 0, 64});
            assertEquals(Set.of(writer), reader.producers);
        }
        assertEquals(1, index.segments());
    }

    @Test
    void aThousandReadersThenAWriterKeepsOnlyLiveReaders()
    {
        final Task writer = submit(new long[] {WRITE, 0, 4096});
        complete(writer);
        final List<Task> stillRunning = new ArrayList<>();
        for (int i = 0; i < 1000; i++)
        {
            final Task reader = submit(new long[] {READ, 0, 4096});
            if (i % 100 == 0)
            {
                stillRunning.add(reader);
            }
            else
            {
                complete(reader);
                retire(reader);
            }
        }
        final Task overwrite = submit(new long[] {WRITE, 0, 4096});
        assertEquals(new LinkedHashSet<>(stillRunning), overwrite.producers,
            "the writer waits for the readers still running (each of them follows the first writer)");
    }

    @Test
    void readsOfBytesNoOneWritesAreSweptOnceTheirReadersFinished()
    {
        for (int i = 0; i < 20 * ACCESS_INDEX_SWEEP_MIN; i++)
        {
            final Task reader = submit(new long[] {READ, 16L * i, 16L * i + 8});
            complete(reader);
            retire(reader);
            assertTrue(index.segments() <= 2 * ACCESS_INDEX_SWEEP_MIN + 1, "segments: " + index.segments());
        }
    }

    @Test
    void retirementErasesOnlyWhatTheTaskRecorded()
    {
        final Task first = submit(new long[] {WRITE, 0, 128});
        final Task second = submit(new long[] {WRITE, 64, 192});
        complete(first);
        complete(second);
        retire(first);
        final Task reader = submit(new long[] {READ, 0, 256});
        assertEquals(Set.of(second), reader.producers, "bytes 64..191 still have their writer");
    }

    // ------------------------------------------------------------------------------------------ the model

    private void runSequence(final long seed, final int actions)
    {
        final Random random = new Random(seed);
        tasks.clear();
        for (int a = 0; a < actions; a++)
        {
            final int choice = random.nextInt(100);
            if (choice < 55)
            {
                submitRandom(random, seed);
            }
            else if (choice < 80)
            {
                completeOneEligible(random);
            }
            else
            {
                retireOneEligible(random);
            }
        }
        boolean moved = true;
        while (moved)
        {
            moved = false;
            for (final Task t : tasks)
            {
                if (!t.completed && t.producers.stream().allMatch(p -> p.completed))
                {
                    complete(t);
                    moved = true;
                }
            }
            for (final Task t : tasks)
            {
                if (!t.retired && canRetire(t))
                {
                    retire(t);
                    moved = true;
                }
            }
        }
        for (final Task t : tasks)
        {
            assertTrue(t.retired, "task " + t.id + " never retired, seed " + seed);
        }
        index.clear();
    }

    private void submitRandom(final Random random, final long seed)
    {
        final int count = 1 + random.nextInt(3);
        final long[][] accesses = new long[count][];
        for (int i = 0; i < count; i++)
        {
            final int start = random.nextInt(SPAN - 8);
            final int end = start + 1 + random.nextInt(Math.min(64, SPAN - start));
            final int pick = random.nextInt(20);
            int kind = pick < 9 ? READ : pick < 18 ? WRITE : NEW_BYTES;
            if (kind == NEW_BYTES && !everyEarlierAccessCompleted(start, end))
            {
                kind = WRITE;
            }
            accesses[i] = new long[] {kind, start, end};
        }
        final Task task = submit(accesses);
        check(task, seed);
        checkCounts(seed);
    }

    /** What each live task counts of its entries equals what the index holds, after every submit and retirement. */
    private void checkCounts(final long seed)
    {
        for (final Task t : tasks)
        {
            if (!t.retired)
            {
                final int[] entries = index.entriesOf(t.slot);
                assertEquals(entries[0], t.slot.readerEntries(), "reader entries of task " + t.id + ", seed " + seed);
                assertEquals(entries[1] > 0, t.slot.isLastWriterOfAny(), "writer records of task " + t.id
                    + ", seed " + seed);
            }
        }
    }

    private Task submit(final long[]... accesses)
    {
        final TaskSlot slot = SlotLifecycle.claim(slots);
        final Task task = new Task(tasks.size(), slot, accesses);
        assertTrue(ownerOfSlot[slot.index()] == null, "slot " + slot.index() + " claimed twice");
        ownerOfSlot[slot.index()] = task;
        submitting = task;
        for (final long[] access : accesses)
        {
            final long start = BASE + access[1];
            final long end = BASE + access[2];
            if (access[0] == READ)
            {
                index.read(slot, start, end);
            }
            else
            {
                index.write(slot, start, end, access[0] == NEW_BYTES);
            }
        }
        submitting = null;
        tasks.add(task);
        return task;
    }

    private void check(final Task task, final long seed)
    {
        final String where = "task " + task.id + ", seed " + seed;
        for (final Task producer : task.producers)
        {
            assertTrue(conflict(producer, task), "exact: " + where + " got producer " + producer.id
                + " that touches none of its bytes in a conflicting way");
        }
        for (final Task earlier : tasks)
        {
            if (earlier == task)
            {
                continue;
            }
            if (conflict(earlier, task) && !earlier.completed && !reaches(task, earlier))
            {
                fail("complete: " + where + " is not ordered after running task " + earlier.id
                    + " that it conflicts with");
            }
        }
        for (final long[] access : task.accesses)
        {
            if (access[0] != READ)
            {
                continue;
            }
            for (long b = access[1]; b < access[2]; b++)
            {
                final Task writer = lastWriterBefore(task, b);
                if (writer != null && !writes(task, b) && !writer.retired && !task.producers.contains(writer))
                {
                    fail("alive: " + where + " does not hold the live last writer " + writer.id + " of byte " + b);
                }
            }
        }
    }

    /** Whether {@code earlier} conflicts with {@code later} on a byte, new bytes of {@code later} aside. */
    private static boolean conflict(final Task earlier, final Task later)
    {
        for (final long[] mine : later.accesses)
        {
            if (mine[0] == NEW_BYTES)
            {
                continue;
            }
            for (final long[] theirs : earlier.accesses)
            {
                final boolean overlap = theirs[1] < mine[2] && mine[1] < theirs[2];
                if (overlap && (mine[0] != READ || theirs[0] != READ))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private Task lastWriterBefore(final Task task, final long b)
    {
        for (int i = task.id - 1; i >= 0; i--)
        {
            final Task t = tasks.get(i);
            if (writes(t, b))
            {
                return t;
            }
        }
        return null;
    }

    private static boolean writes(final Task task, final long b)
    {
        for (final long[] access : task.accesses)
        {
            if (access[0] != READ && access[1] <= b && b < access[2])
            {
                return true;
            }
        }
        return false;
    }

    private boolean everyEarlierAccessCompleted(final int start, final int end)
    {
        for (final Task t : tasks)
        {
            for (final long[] access : t.accesses)
            {
                if (access[1] < end && start < access[2] && !t.completed)
                {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean reaches(final Task from, final Task to)
    {
        final BitSet seen = new BitSet();
        final ArrayDeque<Task> queue = new ArrayDeque<>(from.producers);
        while (!queue.isEmpty())
        {
            final Task t = queue.poll();
            if (t == to)
            {
                return true;
            }
            if (!seen.get(t.id))
            {
                seen.set(t.id);
                queue.addAll(t.producers);
            }
        }
        return false;
    }

    private void completeOneEligible(final Random random)
    {
        final List<Task> eligible = new ArrayList<>();
        for (final Task t : tasks)
        {
            if (!t.completed && t.producers.stream().allMatch(p -> p.completed))
            {
                eligible.add(t);
            }
        }
        if (!eligible.isEmpty())
        {
            complete(eligible.get(random.nextInt(eligible.size())));
        }
    }

    private void retireOneEligible(final Random random)
    {
        final List<Task> eligible = new ArrayList<>();
        for (final Task t : tasks)
        {
            if (!t.retired && canRetire(t))
            {
                eligible.add(t);
            }
        }
        if (!eligible.isEmpty())
        {
            retire(eligible.get(random.nextInt(eligible.size())));
            checkCounts(-1);
        }
    }

    /** The engine retires a completed task once every consumer wired to it completed. */
    private boolean canRetire(final Task task)
    {
        if (!task.completed)
        {
            return false;
        }
        for (final Task t : tasks)
        {
            if (t.producers.contains(task) && !t.completed)
            {
                return false;
            }
        }
        return true;
    }

    private static void complete(final Task task)
    {
        task.completed = true;
        SlotLifecycle.seeCompletion(task.slot);
    }

    private void retire(final Task task)
    {
        assertFalse(task.retired);
        if (task.slot.isLastWriterOfAny())
        {
            index.retire(task.slot);
        }
        assertFalse(task.slot.isLastWriterOfAny(), "task " + task.id + " still a writer after retiring");
        task.retired = true;
        ownerOfSlot[task.slot.index()] = null;
        SlotLifecycle.release(slots, task.slot);
    }

    private static final class Task
    {
        final int id;
        final TaskSlot slot;
        final long[][] accesses;
        final Set<Task> producers = new LinkedHashSet<>();
        boolean completed;
        boolean retired;

        Task(final int id, final TaskSlot slot, final long[][] accesses)
        {
            this.id = id;
            this.slot = slot;
            this.accesses = accesses;
        }

        @Override
        public String toString()
        {
            return "task " + id;
        }
    }
}
