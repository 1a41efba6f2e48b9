package dev.simpler.engine.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import dev.simpler.engine.idle.Waiter;

/**
 * Keeps the stack's head off the lines of whatever the collector placed before the queue.
 */
abstract class CompletionQueueLeadPadding
{
    @SuppressWarnings("unused")
    private int o00;
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long o01, o02, o03, o04, o05, o06, o07, o08, o09, o10, o11, o12, o13, o14, o15, o16;
}

/**
 * The head of the stack: pushed by every completing thread, taken by the orchestrating thread.
 */
abstract class CompletionQueueHead extends CompletionQueueLeadPadding
{
    static final int EMPTY = -1;

    @SuppressWarnings("unused")
    volatile int head = EMPTY;
}

/**
 * Completed tasks on their way from the workers to the orchestrating thread, which retires them. An intrusive
 * lock-free stack linked through the {@link CompletionRecord#NEXT} entry of each slot's completion record:
 * workers push, the orchestrating thread takes the whole stack at once, so it never allocates and has no ABA
 * hazard. Each slot is pushed at most once per use, so the stack needs no bound.
 */
final class CompletionQueue extends CompletionQueueHead
{
    private static final VarHandle HEAD;

    static
    {
        try
        {
            HEAD = MethodHandles.lookup().findVarHandle(CompletionQueueHead.class, "head", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    // Laid out right after the head (long fields come first among a class's own), so that no other object's field
    // shares its line.
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16;
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
