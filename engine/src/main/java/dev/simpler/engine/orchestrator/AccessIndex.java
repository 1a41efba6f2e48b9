package dev.simpler.engine.orchestrator;

import static dev.simpler.engine.config.Configuration.ACCESS_INDEX_SWEEP_MIN;
import static dev.simpler.engine.config.Configuration.ACCESS_READERS_INITIAL;

import java.util.Arrays;

import org.agrona.collections.Long2ObjectHashMap;

import dev.simpler.engine.scheduler.TaskSlot;

/**
 * Who touched which bytes (SPEC §3): the byte ranges that unretired tasks read and wrote, so that a new task depends
 * on every earlier task whose access conflicts with its own on at least one byte — read after write, write after
 * read, write after write.
 *
 * <p>The index keeps disjoint segments of memory. A segment holds its last writer (a live task, or none) and the
 * readers since that write. Conflicts are resolved through the segments only: a task depends on the last writer of
 * every byte it names, and a writer also on the readers since; the earlier writers and readers of those bytes are
 * ordered before these already, so depending on them too would add nothing.
 *
 * <ul>
 *   <li><b>The common case</b> — a task names a range that is exactly one segment (the same tensor named again) —
 *       is one hash lookup on the range's first byte.</li>
 *   <li><b>Partial overlaps</b> go through a treap of the segments ordered by first byte, with the segments also
 *       linked in that order: the segment holding a range's first byte is a descent, the rest follow by link.
 *       A range that starts or ends inside a segment splits it, so every record stays exact to the byte; a write
 *       replaces every segment it covers by one.</li>
 *   <li><b>Writers</b> are exact: a task is the writer of a segment only while it is live, and its retirement
 *       erases its own writer records and nothing else (a task counts the segments it is the writer of, so one
 *       whose every write was overwritten retires without a lookup).</li>
 *   <li><b>Readers</b> are recorded as (slot, use) and go stale on their own: a reader whose completion was seen
 *       (or whose slot was claimed again since) can no longer be overtaken by a write, so nothing needs to wait for
 *       it. Stale entries are dropped when a list fills (before it grows), when a write clears the list, and when a
 *       sweep finds a segment with no writer and no live reader. A thousand readers of one weight tensor thus keep
 *       a list as long as those still running, not a thousand entries. A task counts its entries, so that one whose
 *       entries all went (and whose writes were all overwritten) is known to get no more consumers: its worker
 *       completes it without the slot lock.</li>
 *   <li><b>Memory</b>: segments and their reader arrays are pooled; after the high-water mark nothing is allocated
 *       per task.</li>
 * </ul>
 *
 * <p>Single writer: the orchestrating thread. One index per Worker, so that it also orders the tasks of runs still in
 * flight (SPEC §13).
 */
final class AccessIndex
{
    /** Makes a task depend on a producer; {@link dev.simpler.engine.scheduler.Scheduler#dependOn} in the engine. */
    @FunctionalInterface
    interface Dependencies
    {
        /**
         * Make {@code consumer} depend on {@code producer}; called once per conflicting segment, so the
         * implementation de-duplicates (and ignores the task itself).
         *
         * @param consumer the task being submitted.
         * @param producer an earlier task.
         */
        void dependOn(TaskSlot consumer, TaskSlot producer);
    }

    private final Dependencies dependencies;
    private final Long2ObjectHashMap<Segment> byStart = new Long2ObjectHashMap<>(1024, 0.65f);
    private Segment root;
    private Segment first;
    private Segment free;
    private int segments;
    private int sweepAt = ACCESS_INDEX_SWEEP_MIN;
    private int seed = 0x2545F491;

    AccessIndex(final Dependencies dependencies)
    {
        this.dependencies = dependencies;
    }

    // ------------------------------------------------------------------------------------------ accesses

    /**
     * A task reads {@code [start, end)}: it depends on the last writer of every byte, and is recorded as a reader.
     *
     * @param task  the task being submitted.
     * @param start first byte.
     * @param end   one past the last byte.
     */
    void read(final TaskSlot task, final long start, final long end)
    {
        // The common case stays a small method of its own, so that the compiler inlines it into the submit.
        final Segment exact = byStart.get(start);
        if (exact != null && exact.end == end)
        {
            readSegment(task, exact);
            return;
        }
        readRange(task, start, end);
    }

    private void readRange(final TaskSlot task, final long start, final long end)
    {
        if (end <= start)
        {
            // A tensor with a zero dimension names no byte.
            return;
        }
        if (segments > sweepAt)
        {
            sweep();
        }
        long at = start;
        Segment s = firstOverlapping(start);
        while (at < end)
        {
            if (s == null || s.start >= end)
            {
                readSegment(task, insert(at, end));
                break;
            }
            if (s.start > at)
            {
                // Bytes no live task touched: a segment of their own, so that a later writer finds this reader.
                readSegment(task, insert(at, s.start));
                at = s.start;
            }
            if (s.start < at)
            {
                split(s, at);
                s = s.next;
            }
            if (s.end > end)
            {
                split(s, end);
            }
            readSegment(task, s);
            at = s.end;
            s = s.next;
        }
    }

    /**
     * A task writes {@code [start, end)}: it depends on the last writer and the live readers of every byte (unless
     * the bytes are new), and becomes the writer of the whole range, as one segment.
     *
     * @param task     the task being submitted.
     * @param start    first byte.
     * @param end      one past the last byte.
     * @param newBytes true for memory the engine just allocated: whatever the index still holds there belongs to
     *                 tasks that named the bytes before their slab was freed, and is waited for by no one.
     */
    void write(final TaskSlot task, final long start, final long end, final boolean newBytes)
    {
        final Segment exact = byStart.get(start);
        if (exact != null && exact.end == end)
        {
            task.addWrittenRange(start, end);
            if (!newBytes)
            {
                dependOnAccesses(task, exact);
            }
            becomeWriter(task, exact);
            return;
        }
        writeRange(task, start, end, newBytes);
    }

    private void writeRange(final TaskSlot task, final long start, final long end, final boolean newBytes)
    {
        if (end <= start)
        {
            return;
        }
        if (segments > sweepAt)
        {
            sweep();
        }
        task.addWrittenRange(start, end);
        // Segments are cut without being cut in two where they can: one that begins before the write keeps its
        // bytes before it (its end moves), one that reaches past the write keeps its bytes after it (its first byte
        // moves), and the first one inside becomes the write's own. A first byte that moves stays between the same
        // neighbours, so the treap keeps its shape; only the hash is told.
        final Segment floor = floor(start);
        Segment previous;
        Segment s;
        if (floor == null)
        {
            previous = null;
            s = first;
        }
        else if (floor.start == start)
        {
            previous = floor.prev;
            s = floor;
        }
        else if (floor.end > start)
        {
            if (!newBytes)
            {
                dependOnAccesses(task, floor);
            }
            if (floor.end > end)
            {
                // The write lies inside one segment: its bytes after the write keep its records.
                split(floor, end);
            }
            floor.end = start;
            previous = floor;
            s = floor.next;
        }
        else
        {
            previous = floor;
            s = floor.next;
        }
        Segment kept = null;
        while (s != null && s.start < end)
        {
            if (!newBytes)
            {
                dependOnAccesses(task, s);
            }
            final Segment next = s.next;
            if (s.end > end)
            {
                moveStart(s, end);
                break;
            }
            if (kept == null)
            {
                kept = s;
                if (s.start != start)
                {
                    moveStart(s, start);
                }
            }
            else
            {
                remove(s);
            }
            s = next;
        }
        if (kept == null)
        {
            kept = take(start, end);
            link(previous, kept);
        }
        else
        {
            kept.end = end;
        }
        becomeWriter(task, kept);
    }

    /**
     * Move a segment's first byte to {@code start}, with no other segment's first byte between the two: its place
     * in the order, and so in the treap, stays the same.
     */
    private void moveStart(final Segment s, final long start)
    {
        byStart.remove(s.start);
        s.start = start;
        byStart.put(start, s);
    }

    /**
     * A task retires: erase the writer records it still holds. A segment left with no live reader goes.
     *
     * @param task the retiring task.
     */
    void retire(final TaskSlot task)
    {
        for (int i = 0, n = task.writtenCount(); i < n && task.isLastWriterOfAny(); i++)
        {
            final long start = task.writtenStartAt(i);
            final long end = task.writtenEndAt(i);
            Segment s = byStart.get(start);
            if (s == null)
            {
                s = firstOverlapping(start);
            }
            while (s != null && s.start < end)
            {
                final Segment next = s.next;
                if (s.writer == task)
                {
                    s.writer = null;
                    task.loseLastWrite();
                    if (liveReaders(s) == 0)
                    {
                        remove(s);
                    }
                }
                s = next;
            }
        }
        assert !task.isLastWriterOfAny() : "slot " + task.index() + " retired still the writer of a segment";
    }

    /**
     * Forget everything; called when no task is live, so that every record left is a stale reader.
     */
    void clear()
    {
        Segment s = first;
        while (s != null)
        {
            final Segment next = s.next;
            assert s.writer == null : "segment [" + s.start + ", " + s.end + ") still written by slot "
                + s.writer.index();
            release(s);
            s = next;
        }
        first = null;
        root = null;
        byStart.clear();
        segments = 0;
    }

    /**
     * Entries of a task in the index, for tests: reader entries of its current use, and segments it is the writer
     * of; each must equal what the task counts.
     *
     * @param task the task.
     * @return {reader entries, writer segments}.
     */
    int[] entriesOf(final TaskSlot task)
    {
        final int[] counts = new int[2];
        for (Segment s = first; s != null; s = s.next)
        {
            for (int i = 0; i < s.readerCount; i++)
            {
                if (s.readers[i] == task && s.readerUses[i] == task.use())
                {
                    counts[0]++;
                }
            }
            if (s.writer == task)
            {
                counts[1]++;
            }
        }
        return counts;
    }

    /**
     * Segments in the index, for tests.
     *
     * @return the count.
     */
    int segments()
    {
        return segments;
    }

    // ------------------------------------------------------------------------------------------ one segment

    private void readSegment(final TaskSlot task, final Segment s)
    {
        final TaskSlot writer = s.writer;
        if (writer == task)
        {
            // Its own write already orders any later writer after it.
            return;
        }
        if (writer != null)
        {
            dependencies.dependOn(task, writer);
        }
        final int use = task.use();
        final int count = s.readerCount;
        if (count > 0 && s.readers[count - 1] == task && s.readerUses[count - 1] == use)
        {
            // The same task (another member of its group, or the same tensor named twice) read it just before.
            return;
        }
        if (count == s.readers.length)
        {
            makeRoom(s);
        }
        s.readers[s.readerCount] = task;
        s.readerUses[s.readerCount++] = use;
        task.addReaderEntry();
    }

    /**
     * A write conflicts with the segment's writer and its readers since. Every such reader depends on that writer
     * already, so when one is still live the write is ordered after the writer through it, and the writer is named
     * only when it holds a heap-ring slab that this task must keep alive (SPEC §3, step 3). A double-buffered
     * pipeline thus keeps one producer per step: the step that read the buffer it now overwrites.
     */
    private void dependOnAccesses(final TaskSlot task, final Segment s)
    {
        boolean throughReader = false;
        final TaskSlot[] readers = s.readers;
        final int[] uses = s.readerUses;
        for (int i = 0, n = s.readerCount; i < n; i++)
        {
            final TaskSlot reader = readers[i];
            if (reader != task && isLive(reader, uses[i]))
            {
                dependencies.dependOn(task, reader);
                throughReader = true;
            }
        }
        final TaskSlot writer = s.writer;
        if (writer != null && !(throughReader && writer.slabRing() == null))
        {
            dependencies.dependOn(task, writer);
        }
    }

    private void becomeWriter(final TaskSlot task, final Segment s)
    {
        final TaskSlot previous = s.writer;
        if (previous != task)
        {
            if (previous != null)
            {
                previous.loseLastWrite();
            }
            s.writer = task;
            task.addLastWrite();
        }
        if (s.readerCount > 0)
        {
            dropReaders(s);
        }
    }

    private static boolean isLive(final TaskSlot reader, final int use)
    {
        return reader.use() == use && !reader.isCompletionSeen();
    }

    /**
     * An entry leaves the index: its task, while the slot still holds that use, counts one entry less (a task with
     * none left and no writer records can get no more consumers, see {@link TaskSlot#readerEntries()}).
     */
    private static void dropEntry(final TaskSlot reader, final int use)
    {
        if (reader.use() == use)
        {
            reader.loseReaderEntry();
        }
    }

    private static void dropReaders(final Segment s)
    {
        final TaskSlot[] readers = s.readers;
        final int[] uses = s.readerUses;
        for (int i = 0, n = s.readerCount; i < n; i++)
        {
            dropEntry(readers[i], uses[i]);
        }
        s.readerCount = 0;
    }

    /**
     * Drop the stale readers of a segment.
     *
     * @return the readers left.
     */
    private int liveReaders(final Segment s)
    {
        final TaskSlot[] readers = s.readers;
        final int[] uses = s.readerUses;
        int kept = 0;
        for (int i = 0, n = s.readerCount; i < n; i++)
        {
            final TaskSlot reader = readers[i];
            final int use = uses[i];
            if (isLive(reader, use))
            {
                readers[kept] = reader;
                uses[kept++] = use;
            }
            else
            {
                dropEntry(reader, use);
            }
        }
        s.readerCount = kept;
        return kept;
    }

    private void makeRoom(final Segment s)
    {
        // Grow only when at least half the list is live after dropping the stale entries, so that a long stream of
        // readers that finish keeps the list short.
        if (liveReaders(s) > s.readers.length >> 1)
        {
            final int length = s.readers.length << 1;
            s.readers = Arrays.copyOf(s.readers, length);
            s.readerUses = Arrays.copyOf(s.readerUses, length);
        }
    }

    /**
     * Cut a segment in two at {@code at}, inside it; the second half takes the same writer and live readers and is
     * linked after the first.
     */
    private void split(final Segment s, final long at)
    {
        final Segment tail = take(at, s.end);
        s.end = at;
        if (s.writer != null)
        {
            tail.writer = s.writer;
            s.writer.addLastWrite();
        }
        final int readers = liveReaders(s);
        if (readers > tail.readers.length)
        {
            tail.readers = new TaskSlot[s.readers.length];
            tail.readerUses = new int[s.readers.length];
        }
        System.arraycopy(s.readers, 0, tail.readers, 0, readers);
        System.arraycopy(s.readerUses, 0, tail.readerUses, 0, readers);
        tail.readerCount = readers;
        for (int i = 0; i < readers; i++)
        {
            tail.readers[i].addReaderEntry();
        }
        link(s, tail);
    }

    // ------------------------------------------------------------------------------------------ ordered set

    /**
     * The segment holding byte {@code at}, or else the first one after it.
     */
    private Segment firstOverlapping(final long at)
    {
        final Segment floor = floor(at);
        if (floor == null)
        {
            return first;
        }
        return floor.end > at ? floor : floor.next;
    }

    private Segment floor(final long at)
    {
        Segment node = root;
        Segment best = null;
        while (node != null)
        {
            if (node.start <= at)
            {
                best = node;
                node = node.right;
            }
            else
            {
                node = node.left;
            }
        }
        return best;
    }

    private Segment insert(final long start, final long end)
    {
        final Segment s = take(start, end);
        link(floor(start), s);
        return s;
    }

    /**
     * Put a new segment in the order after {@code previous} (null: first), in the treap and in the hash.
     */
    private void link(final Segment previous, final Segment s)
    {
        s.prev = previous;
        s.next = previous == null ? first : previous.next;
        if (s.next != null)
        {
            s.next.prev = s;
        }
        if (previous == null)
        {
            first = s;
        }
        else
        {
            previous.next = s;
        }
        root = insertNode(root, s);
        byStart.put(s.start, s);
        segments++;
    }

    private void remove(final Segment s)
    {
        if (s.prev == null)
        {
            first = s.next;
        }
        else
        {
            s.prev.next = s.next;
        }
        if (s.next != null)
        {
            s.next.prev = s.prev;
        }
        root = removeNode(root, s.start);
        byStart.remove(s.start);
        segments--;
        if (s.writer != null)
        {
            s.writer.loseLastWrite();
        }
        dropReaders(s);
        release(s);
    }

    /**
     * Drop every segment that has no writer and no live reader (reads of bytes no one wrote since, by tasks that
     * finished); then sweep again only once the index doubled. Called before an access starts, never while one
     * holds segments.
     */
    private void sweep()
    {
        Segment s = first;
        while (s != null)
        {
            final Segment next = s.next;
            if (s.writer == null && liveReaders(s) == 0)
            {
                remove(s);
            }
            s = next;
        }
        sweepAt = Math.max(ACCESS_INDEX_SWEEP_MIN, segments << 1);
    }

    private Segment insertNode(final Segment node, final Segment s)
    {
        if (node == null)
        {
            return s;
        }
        if (s.start < node.start)
        {
            node.left = insertNode(node.left, s);
            if (node.left.priority > node.priority)
            {
                final Segment left = node.left;
                node.left = left.right;
                left.right = node;
                return left;
            }
        }
        else
        {
            node.right = insertNode(node.right, s);
            if (node.right.priority > node.priority)
            {
                final Segment right = node.right;
                node.right = right.left;
                right.left = node;
                return right;
            }
        }
        return node;
    }

    private Segment removeNode(final Segment node, final long start)
    {
        if (node.start == start)
        {
            return join(node.left, node.right);
        }
        if (start < node.start)
        {
            node.left = removeNode(node.left, start);
        }
        else
        {
            node.right = removeNode(node.right, start);
        }
        return node;
    }

    /** Join two treaps, every key of {@code low} below every key of {@code high}. */
    private Segment join(final Segment low, final Segment high)
    {
        if (low == null)
        {
            return high;
        }
        if (high == null)
        {
            return low;
        }
        if (low.priority > high.priority)
        {
            low.right = join(low.right, high);
            return low;
        }
        high.left = join(low, high.left);
        return high;
    }

    // ------------------------------------------------------------------------------------------ pool

    private Segment take(final long start, final long end)
    {
        Segment s = free;
        if (s == null)
        {
            s = new Segment();
        }
        else
        {
            free = s.next;
        }
        s.start = start;
        s.end = end;
        s.writer = null;
        s.readerCount = 0;
        s.left = null;
        s.right = null;
        s.prev = null;
        s.next = null;
        // Xorshift: priorities the user's addresses cannot line up against, the same in every run.
        int x = seed;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        seed = x;
        s.priority = x;
        return s;
    }

    private void release(final Segment s)
    {
        s.left = null;
        s.right = null;
        s.prev = null;
        s.next = free;
        free = s;
    }

    /** A run of bytes with one last writer and the readers since it wrote. */
    private static final class Segment
    {
        long start;
        long end;
        /** The live task that wrote the bytes last, or null. */
        TaskSlot writer;
        int priority;
        /** Readers since the last write, each with the use of its slot it read in; some may be stale. */
        TaskSlot[] readers = new TaskSlot[ACCESS_READERS_INITIAL];
        int[] readerUses = new int[ACCESS_READERS_INITIAL];
        int readerCount;
        Segment left;
        Segment right;
        Segment prev;
        Segment next;
    }
}
