package dev.simpler.engine.scheduler;

import java.util.Arrays;

/**
 * The holds of the open scopes on their tasks (SPEC §3): each scope opening gets an epoch, which tells a task that
 * completes after its scope ended that the hold is already gone, and a list (intrusive, through the slots) of the
 * tasks whose hold must outlive their completion — those with a heap-ring slab, and those that failed or were
 * skipped while the scope was open. Every other task gives up its hold as soon as its completion is seen.
 *
 * <p>Single writer: the orchestrating thread.
 */
final class ScopeHolds
{
    private final SlotTable slots;
    private long epochs;
    private int[] head = new int[0];
    private int[] tail = new int[0];
    private long[] epoch = new long[0];

    ScopeHolds(final SlotTable slots)
    {
        this.slots = slots;
    }

    /**
     * A scope opened at {@code depth}: a new epoch and an empty list.
     *
     * @param depth the scope depth, 0 for the run's own scope.
     */
    void open(final int depth)
    {
        if (depth >= head.length)
        {
            grow(depth + 1);
        }
        epoch[depth] = ++epochs;
        head[depth] = -1;
        tail[depth] = -1;
    }

    /**
     * The epoch of the scope open at {@code depth}, 0 once it ended.
     *
     * @param depth the depth.
     * @return its epoch.
     */
    long epochOf(final int depth)
    {
        return epoch[depth];
    }

    /**
     * Put a task in the list of the scope that holds it ({@link TaskSlot#scopeDepth}).
     *
     * @param slot the task.
     */
    void link(final TaskSlot slot)
    {
        final int depth = slot.scopeDepth;
        final int last = tail[depth];
        slot.scopeListed = true;
        slot.scopeNext = -1;
        if (last == -1)
        {
            head[depth] = slot.index;
        }
        else
        {
            slots.get(last).scopeNext = slot.index;
        }
        tail[depth] = slot.index;
    }

    /**
     * The scope at {@code depth} ended: its epoch is over and its list is handed to the caller, who releases the
     * hold on each task in the order they joined (following {@link TaskSlot#scopeNext}).
     *
     * @param depth the depth.
     * @return the first task of the list, or -1.
     */
    int end(final int depth)
    {
        final int first = head[depth];
        epoch[depth] = 0;
        head[depth] = -1;
        tail[depth] = -1;
        return first;
    }

    private void grow(final int depths)
    {
        final int old = head.length;
        head = Arrays.copyOf(head, depths);
        tail = Arrays.copyOf(tail, depths);
        epoch = Arrays.copyOf(epoch, depths);
        Arrays.fill(head, old, depths, -1);
        Arrays.fill(tail, old, depths, -1);
    }
}
