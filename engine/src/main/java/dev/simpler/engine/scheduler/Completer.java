package dev.simpler.engine.scheduler;

import static dev.simpler.engine.config.Configuration.COMPLETION_GROUP;

import org.agrona.collections.IntArrayList;

import dev.simpler.engine.trace.Tracer;

/**
 * Keeps the fields the completing threads read off whatever lies before the completer in memory.
 */
abstract class CompleterLeadPadding
{
    /** Fills the word after the object header, so that no field of a subclass is placed there. */
    @SuppressWarnings("unused")
    private int o00;
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long o01, o02, o03, o04, o05, o06, o07, o08, o09, o10, o11, o12, o13, o14, o15, o16;
}

/**
 * What every completing thread reads on every task, set when the completer is built and never written again.
 */
abstract class CompleterFields extends CompleterLeadPadding
{
    final SlotTable slots;
    final ReadyQueue[] readyQueues;
    final CompletionQueue completions;
    final Tracer trace;

    CompleterFields(
        final SlotTable slots, final ReadyQueue[] readyQueues, final CompletionQueue completions, final Tracer trace)
    {
        this.slots = slots;
        this.readyQueues = readyQueues;
        this.completions = completions;
        this.trace = trace;
    }
}

/**
 * Keeps those fields off the line of the flag below.
 */
abstract class CompleterFieldsPadding extends CompleterFields
{
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15, p16;

    CompleterFieldsPadding(
        final SlotTable slots, final ReadyQueue[] readyQueues, final CompletionQueue completions, final Tracer trace)
    {
        super(slots, readyQueues, completions, trace);
    }
}

/**
 * Whether the orchestrating thread is waiting for completions: on a line of its own, which the worker threads read
 * after every task and the orchestrating thread writes only when it starts and stops waiting.
 */
abstract class CompleterDemand extends CompleterFieldsPadding
{
    @SuppressWarnings("unused")
    volatile int completionsWanted;
    /** Fills the group to a multiple of 8 bytes, so that no field of a subclass is placed beside the flag. */
    @SuppressWarnings("unused")
    private int fillDemand;

    CompleterDemand(
        final SlotTable slots, final ReadyQueue[] readyQueues, final CompletionQueue completions, final Tracer trace)
    {
        super(slots, readyQueues, completions, trace);
    }
}

/**
 * Keeps that flag off whatever follows.
 */
abstract class CompleterDemandPadding extends CompleterDemand
{
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long r01, r02, r03, r04, r05, r06, r07, r08, r09, r10, r11, r12, r13, r14, r15, r16;

    CompleterDemandPadding(
        final SlotTable slots, final ReadyQueue[] readyQueues, final CompletionQueue completions, final Tracer trace)
    {
        super(slots, readyQueues, completions, trace);
    }
}

/**
 * The completing side of the scheduler (SPEC §5): the thread that finishes a task — a worker thread, the holder of
 * the PROCESS-mode driving lock, or the orchestrating thread for the tasks it skips — marks it COMPLETED, releases
 * its consumers (making ready each one whose producers have all completed, or skipping it when one failed) and hands
 * the slot back to the orchestrating thread through the completion queue. A worker thread hands completions back in
 * groups of up to {@link dev.simpler.engine.config.Configuration#COMPLETION_GROUP}: when the group is full, before
 * it waits for work, and after every task while the orchestrating thread waits for completions.
 *
 * <p>Holds no state of its own but the orchestrating thread's demand flag (written only by the orchestrating
 * thread); everything a completing thread writes is in its {@link WorkerContext} and in the slots it completes.
 */
public final class Completer extends CompleterDemandPadding
{
    Completer(
        final SlotTable slots, final ReadyQueue[] readyQueues, final CompletionQueue completions, final Tracer trace)
    {
        super(slots, readyQueues, completions, trace);
    }

    /**
     * Tell the worker threads whether the orchestrating thread waits for completions: while it does, each hands
     * back its group after every task instead of when the group is full. Called only when it changes (the
     * orchestrating thread keeps its own copy), so the workers' line is written twice per long wait at most.
     *
     * @param wanted true when the orchestrating thread starts waiting, false when it stops.
     */
    public void wantCompletions(final boolean wanted)
    {
        completionsWanted = wanted ? 1 : 0;
    }

    /**
     * A member of a task finished on a worker thread that can run one released consumer itself: the first
     * single task of the worker's own kind that the completion makes ready is handed to it directly instead of
     * going through the ready queue, so a chain runs on one thread without a queue hop per task.
     *
     * A thread that completes tasks one by one ({@link WorkerContext#oneByOne()}) takes no consumer itself.
     *
     * <p>A single task's outcome comes from the thread that ran it, not from its stored arguments: a callable that
     * does not read its arguments leaves their lines alone, and the orchestrating thread, which rewrites them when
     * it reuses the slot for other arguments, does not have to take them back first (in a double-buffered pipeline
     * half of all slots change arguments). A group's last member to finish reads every member's outcome.
     *
     * @param slot    the task.
     * @param context the calling thread's own context.
     * @param failed  whether the member this thread ran failed (recorded in its stored arguments).
     */
    public void memberFinished(final TaskSlot slot, final WorkerContext context, final boolean failed)
    {
        int outcome = failed ? TaskSlot.OUTCOME_FAILED : TaskSlot.OUTCOME_OK;
        if (slot.groupSize > 1)
        {
            if (!slot.memberDone())
            {
                return;
            }
            for (int i = 0; i < slot.groupSize && outcome == TaskSlot.OUTCOME_OK; i++)
            {
                if (slot.members[i].failed())
                {
                    outcome = TaskSlot.OUTCOME_FAILED;
                }
            }
        }
        complete(slot, outcome, context.scratch, context.handsOff ? context : null);
        skipCascade(context.scratch);
    }

    /**
     * Start loading the links of the tasks that follow this one in its batch, when it heads a group of them: a
     * worker running a chain reads those links next, and the orchestrating thread wrote them last, so they come
     * from the other core. Nothing waits for the loads here (each value only decides a branch that is never
     * taken), so the transfers overlap with one another and with the tasks instead of following each task.
     *
     * @param slot the task about to run.
     */
    public void loadAhead(final TaskSlot slot)
    {
        if (slot.aheadUse == slot.useInProgress())
        {
            touch(slot.ahead0);
            touch(slot.ahead1);
            touch(slot.ahead2);
            touch(slot.ahead3);
            touch(slot.ahead4);
            touch(slot.ahead5);
            touch(slot.ahead6);
            touch(slot.ahead7);
        }
    }

    private void touch(final int index)
    {
        if (index >= 0 && slots.get(index).closedProducersHint() < 0)
        {
            throw new IllegalStateException("slot " + index + " has a negative producer count");
        }
    }

    /**
     * Hand back the completions a worker thread has collected, as one group: one push instead of one per task,
     * and the orchestrating thread reads their slot numbers from one array instead of following a link through
     * each slot. A worker thread calls this before it waits for work (and the group goes out by itself when
     * full), so a completion waits at most for the tasks its worker runs next without pause.
     *
     * @param context the worker thread's context, which holds its collected completions.
     */
    public void flushCompletions(final WorkerContext context)
    {
        final int count = context.completedCount;
        if (count == 0)
        {
            return;
        }
        final int first = context.completed[WorkerContext.COMPLETED_BASE];
        final TaskSlot head = slots.get(first >= 0 ? first : ~first);
        System.arraycopy(
            context.completed, WorkerContext.COMPLETED_BASE, head.completionRecord, CompletionRecord.ENTRIES, count);
        head.completionRecord[CompletionRecord.COUNT] = count;
        context.completedCount = 0;
        completions.pushGroup(head);
    }

    void complete(final TaskSlot slot, final int outcome, final IntArrayList skipped, final WorkerContext handoff)
    {
        slot.outcome = outcome;
        final int current = slot.useInProgress();
        if (slot.consumersFinal(current))
        {
            // No consumer can be wired any more: nothing to exclude, and the line stays in this core.
            slot.markCompleted(current);
        }
        else
        {
            slot.lock();
            slot.markCompleted(current);
            slot.unlock();
        }
        final boolean poison = outcome != TaskSlot.OUTCOME_OK;
        // Frozen since COMPLETED was set under the lock (or since the consumers were final). The first consumer
        // sits in the link, so a chain reads no list at all; the rest are only read here: the orchestrating thread
        // empties the list when it claims the slot again.
        final int first = slot.firstConsumer(current);
        if (first != TaskSlot.NO_CONSUMER)
        {
            release(slots.get(first >= 0 ? first : ~first), poison, skipped, handoff);
            if (first < 0)
            {
                final IntArrayList more = slot.consumers;
                for (int i = 0, n = more.size(); i < n; i++)
                {
                    release(slots.get(more.getInt(i)), poison, skipped, handoff);
                }
            }
        }
        // Before the completion is handed back: the slot may be claimed again as soon as it is.
        slot.resetForNextUse();
        if (handoff != null)
        {
            handoff.completed[WorkerContext.COMPLETED_BASE + handoff.completedCount++] =
                CompletionRecord.entry(slot.index, outcome);
            if (handoff.completedCount == COMPLETION_GROUP || completionsWanted != 0)
            {
                flushCompletions(handoff);
            }
        }
        else
        {
            completions.push(slot);
        }
    }

    private void release(
        final TaskSlot consumer, final boolean poison, final IntArrayList skipped, final WorkerContext handoff)
    {
        if (poison)
        {
            consumer.poisoned = true;
        }
        if (consumer.producerDone())
        {
            if (handoff != null && handoff.accepts(consumer))
            {
                if (trace.on())
                {
                    trace.ready(consumer);
                }
                handoff.handoffSlot = consumer.index;
            }
            else
            {
                becameReady(consumer, skipped);
            }
        }
    }

    void becameReady(final TaskSlot slot, final IntArrayList skipped)
    {
        if (slot.poisoned)
        {
            skipped.addInt(slot.index);
        }
        else
        {
            if (trace.on())
            {
                trace.ready(slot);
            }
            readyQueues[slot.kind].publish(slot);
        }
    }

    void skipCascade(final IntArrayList skipped)
    {
        while (!skipped.isEmpty())
        {
            complete(slots.get(skipped.popInt()), TaskSlot.OUTCOME_SKIPPED, skipped, null);
        }
    }
}
