package dev.simpler.engine.scheduler;

import static dev.simpler.engine.config.Configuration.COMPLETION_GROUP;

import java.util.Arrays;

/**
 * Both ends of a test's completion stack. The hand-back of a group is {@code Completer.flushCompletions}: the
 * record filled with plain stores, then pushed. The take is the gather of {@code Scheduler.processCompletions},
 * counting how many times it found each completion the test handed back, and anything else it found.
 */
final class Completions
{
    private final CompletionQueue queue;
    private final TaskSlot[] slots;
    private final int[] entries;
    private final int[] seen;
    private int unexpected;

    /**
     * A stack over a test's slots, whose completion records are scribbled over first, so that a taker that saw a
     * push but not the record written before it finds nothing it expects.
     *
     * @param slots   the slots the test hands back.
     * @param entries the entries the test hands back: as in a group's record (slot number, or its complement for
     *                a task that did not succeed), and the complement of the slot number for a single push.
     */
    Completions(final TaskSlot[] slots, final int... entries)
    {
        this.queue = new CompletionQueue();
        this.slots = slots;
        this.entries = entries;
        this.seen = new int[entries.length];
        for (final TaskSlot slot : slots)
        {
            final int[] record = slot.completionRecord;
            record[CompletionRecord.COUNT] = 0;
            record[CompletionRecord.NEXT] = -1;
            Arrays.fill(record, CompletionRecord.ENTRIES, CompletionRecord.ENTRIES + COMPLETION_GROUP,
                Integer.MIN_VALUE);
        }
    }

    /**
     * A worker thread hands back one completion.
     *
     * @param slot the completed task.
     */
    void push(final TaskSlot slot)
    {
        queue.push(slot);
    }

    /**
     * A worker thread hands back a group of completions, as {@code Completer.flushCompletions} does.
     *
     * @param head         the slot whose record holds the group: the first task of it.
     * @param groupEntries the group's entries.
     */
    void handBack(final TaskSlot head, final int... groupEntries)
    {
        System.arraycopy(groupEntries, 0, head.completionRecord, CompletionRecord.ENTRIES, groupEntries.length);
        head.completionRecord[CompletionRecord.COUNT] = groupEntries.length;
        queue.pushGroup(head);
    }

    /**
     * The orchestrating thread takes every completion pushed so far and gathers their entries.
     *
     * @return how many completions it took.
     */
    int takeAll()
    {
        int taken = 0;
        int index = queue.takeAll();
        for (int heads = 0; index != -1; heads++)
        {
            if (heads == slots.length || !isTestSlot(index))
            {
                // A link no push wrote: the walk would go astray.
                unexpected++;
                break;
            }
            final int[] record = SharedSlots.table().get(index).completionRecord;
            final int grouped = record[CompletionRecord.COUNT];
            if (grouped == 0)
            {
                taken += note(~index);
            }
            else if (grouped > 0 && grouped <= COMPLETION_GROUP)
            {
                for (int i = CompletionRecord.ENTRIES, end = i + grouped; i < end; i++)
                {
                    taken += note(record[i]);
                }
            }
            else
            {
                unexpected++;
            }
            index = record[CompletionRecord.NEXT];
        }
        return taken;
    }

    /**
     * How many times the takes found the entries at some positions of the list given to the constructor.
     *
     * @param from first position.
     * @param to   last position, inclusive.
     * @return the sum of their counts.
     */
    int seen(final int from, final int to)
    {
        int sum = 0;
        for (int i = from; i <= to; i++)
        {
            sum += seen[i];
        }
        return sum;
    }

    /**
     * Entries the takes found more than once, plus what they found that was never handed back.
     *
     * @return 0 when every take found only what it should.
     */
    int anomalies()
    {
        int anomalies = unexpected;
        for (final int count : seen)
        {
            anomalies += Math.max(0, count - 1);
        }
        return anomalies;
    }

    /**
     * Give the test's slots back to the shared table.
     */
    void release()
    {
        SharedSlots.release(slots);
    }

    private boolean isTestSlot(final int index)
    {
        for (final TaskSlot slot : slots)
        {
            if (slot.index == index)
            {
                return true;
            }
        }
        return false;
    }

    private int note(final int entry)
    {
        for (int i = 0; i < entries.length; i++)
        {
            if (entries[i] == entry)
            {
                seen[i]++;
                return 1;
            }
        }
        unexpected++;
        return 1;
    }
}
