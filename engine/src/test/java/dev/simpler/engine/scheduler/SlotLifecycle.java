package dev.simpler.engine.scheduler;

/**
 * Plays the scheduler's part in a slot's life for tests of what the orchestrating thread builds on the slots (the
 * access index): claim, completion seen, release.
 */
public final class SlotLifecycle
{
    private SlotLifecycle()
    {
    }

    /**
     * Claim a slot as the scheduler does for a new task.
     *
     * @param slots the table.
     * @return the slot, reset for its new use.
     */
    public static TaskSlot claim(final SlotTable slots)
    {
        final TaskSlot slot = slots.claim();
        slot.resetForClaim();
        return slot;
    }

    /**
     * The orchestrating thread saw the task complete.
     *
     * @param slot the task.
     */
    public static void seeCompletion(final TaskSlot slot)
    {
        slot.completionSeen = true;
    }

    /**
     * Give a retired task's slot back.
     *
     * @param slots the table.
     * @param slot  the slot.
     */
    public static void release(final SlotTable slots, final TaskSlot slot)
    {
        slots.release(slot);
    }
}
