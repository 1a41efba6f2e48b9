package dev.simpler.engine.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import dev.simpler.engine.idle.Waiter;

/**
 * Completed tasks on their way from the workers to the orchestrating thread, which retires them. An intrusive
 * lock-free stack linked through the {@link CompletionRecord#NEXT} entry of each slot's completion record:
 * workers push, the orchestrating thread takes the whole stack at once, so it never allocates and has no ABA
 * hazard. Each slot is pushed at most once per use, so the stack needs no bound.
 */
final class CompletionQueue
{
    private static final int EMPTY = -1;
    private static final VarHandle HEAD;

    static
    {
        try
        {
            HEAD = MethodHandles.lookup().findVarHandle(CompletionQueue.class, "head", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    @SuppressWarnings("unused")
    private volatile int head = EMPTY;
    private volatile Waiter consumerWaiter;

    void consumerWaiter(final Waiter waiter)
    {
        consumerWaiter = waiter;
    }

    void push(final TaskSlot slot)
    {
        slot.completionRecord[CompletionRecord.COUNT] = 0;
        pushGroup(slot);
    }

    /**
     * Push a slot that heads a group of completions (its completion record filled), or a single one.
     *
     * @param slot the slot.
     */
    void pushGroup(final TaskSlot slot)
    {
        int current;
        do
        {
            current = (int)HEAD.getAcquire(this);
            slot.completionRecord[CompletionRecord.NEXT] = current;
        }
        while (!HEAD.compareAndSet(this, current, slot.index));
        final Waiter waiter = consumerWaiter;
        if (waiter != null)
        {
            waiter.wake();
        }
    }

    boolean isEmpty()
    {
        return (int)HEAD.getAcquire(this) == EMPTY;
    }

    /**
     * Take every completed slot pushed so far.
     *
     * @return index of the first slot of the taken list, linked by the {@link CompletionRecord#NEXT} entry of
     *         each slot's completion record, or -1.
     */
    int takeAll()
    {
        if ((int)HEAD.getAcquire(this) == EMPTY)
        {
            return EMPTY;
        }
        return (int)HEAD.getAndSet(this, EMPTY);
    }
}
