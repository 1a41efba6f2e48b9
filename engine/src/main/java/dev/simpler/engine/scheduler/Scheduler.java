package dev.simpler.engine.scheduler;

import org.agrona.collections.IntArrayList;

import dev.simpler.engine.agent.ThreadRole;
import dev.simpler.engine.counters.EngineCounters;
import dev.simpler.engine.idle.Waiter;
import dev.simpler.engine.trace.Tracer;

/**
 * Keeps the scheduler's counters off the lines of whatever the collector placed before the scheduler.
 */
abstract class SchedulerLeadPadding
{
    @SuppressWarnings("unused")
    private int o00;
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long o01, o02, o03, o04, o05, o06, o07, o08, o09, o10, o11, o12, o13, o14, o15, o16;
}

/**
 * What the orchestrating thread counts on every submit and every completion it takes.
 */
abstract class SchedulerCounts extends SchedulerLeadPadding
{
    /** Slots claimed and not retired. */
    int liveSlots;
    /** Tasks whose completion was not seen yet. */
    int unseenTasks;
}

/**
 * The graph executor (SPEC §5), as the orchestrating thread drives it: it claims slots, wires producers to
 * consumers, seals tasks (publishing those with nothing to wait for) or stages them, takes completions and retires
 * tasks. The scheduler has no thread of its own, so a hand-off costs one queue transfer and no more; its other two
 * roles are objects of their own:
 * <ul>
 *   <li>{@link Completer} — the thread that finishes a task marks it COMPLETED, releases its consumers and hands
 *       the slot back through the completion queue;</li>
 *   <li>{@link BatchPublisher} — staged submits are published in batches by whoever holds the publishing lock.</li>
 * </ul>
 * A task retires once it completed, every consumer wired to it completed, and its scope ended: each of those
 * holds one reference, counted by the orchestrating thread alone.
 *
 * <p>A task that completed successfully and holds no heap-ring slab gives up its scope's hold as soon as the
 * orchestrating thread sees it complete: nothing can observe the difference (a later task that names what it
 * wrote would not wait for it, and it keeps no memory alive), and its slot is reused while still hot in cache
 * instead of the run's live set growing with every submit. Tasks that failed or were skipped keep the hold, so
 * that later readers of what they should have written are skipped too; tasks with a slab keep it, so that the
 * memory stays valid until the scope ends ({@link ScopeHolds}).
 *
 * <p>Single writer: the driving thread (the role is taken by {@link #takeRole()}; asserted).
 */
public final class Scheduler extends SchedulerCounts
{
    // Laid out right after the counts (long fields come first among a class's own).
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16;

    private final SlotTable slots;
    final ReadyQueue[] readyQueues;
    private final CompletionQueue completions;
    private final StagedSubmits stagedSubmits = new StagedSubmits();
    private final Completer completer;
    private final BatchPublisher publisher;
    private final ScopeHolds scopes;
    private final ThreadRole role = new ThreadRole("the driving thread");
    private final RunLedger runs;
    private final Tracer trace;
    private final IntArrayList skipScratch = new IntArrayList();
    private final IntArrayList takenScratch = new IntArrayList();
    private final StagedSubmits.Batch orchestratorBatch = new StagedSubmits.Batch();
    private final SchedulerCounters counters;
    private RetireListener retireListener = slot -> { };

    /**
     * A scheduler over a slot table and one ready queue per task kind, whose counters nobody reads.
     *
     * @param slots          the slot table.
     * @param subQueue       ready queue of the sub workers.
     * @param nextLevelQueue ready queue of the next-level workers.
     * @param runs           the runs in flight, whose tasks are counted here.
     */
    public Scheduler(
        final SlotTable slots, final ReadyQueue subQueue, final ReadyQueue nextLevelQueue, final RunLedger runs)
    {
        this(slots, subQueue, nextLevelQueue, runs, EngineCounters.unpublished(), Tracer.untraced());
    }

    /**
     * A scheduler over a slot table and one ready queue per task kind, whose tasks are counted and traced.
     *
     * @param slots          the slot table.
     * @param subQueue       ready queue of the sub workers.
     * @param nextLevelQueue ready queue of the next-level workers.
     * @param runs           the runs in flight, whose tasks are counted here.
     * @param engineCounters the Worker's counters, where the driving thread publishes its own.
     * @param trace          what records the tasks (SPEC §14), for every role of the engine.
     */
    public Scheduler(
        final SlotTable slots,
        final ReadyQueue subQueue,
        final ReadyQueue nextLevelQueue,
        final RunLedger runs,
        final EngineCounters engineCounters,
        final Tracer trace)
    {
        this.slots = slots;
        this.runs = runs;
        this.trace = trace;
        this.readyQueues = new ReadyQueue[] {subQueue, nextLevelQueue};
        this.completions = new CompletionQueue();
        this.completer = new Completer(slots, readyQueues, completions, trace);
        this.publisher = new BatchPublisher(slots, readyQueues, completer, stagedSubmits);
        this.scopes = new ScopeHolds(slots);
        this.counters = new SchedulerCounters(engineCounters, readyQueues, role);
        runs.counters(counters);
    }

    /**
     * The counters the orchestrating thread publishes; the orchestrator counts submits and waits through them.
     *
     * @return the counters.
     */
    public SchedulerCounters counters()
    {
        return counters;
    }

    /**
     * What the threads that complete tasks use.
     *
     * @return the completer.
     */
    public Completer completer()
    {
        return completer;
    }

    /**
     * What publishes staged batches; worker threads take batches through it.
     *
     * @return the publisher.
     */
    public BatchPublisher publisher()
    {
        return publisher;
    }

    /**
     * Set who is told of retirements: the owner of the access index and the heap rings.
     *
     * @param listener the listener.
     */
    public void retireListener(final RetireListener listener)
    {
        retireListener = listener;
    }

    /**
     * The slot table.
     *
     * @return the table.
     */
    public SlotTable slots()
    {
        return slots;
    }

    /**
     * Set the waiter of the orchestrating thread, woken when a completion arrives.
     *
     * @param waiter the waiter, or null.
     */
    public void orchestratorWaiter(final Waiter waiter)
    {
        completions.consumerWaiter(waiter);
    }

    /**
     * What records the engine's tasks.
     *
     * @return the tracer every role of the engine records into.
     */
    public Tracer trace()
    {
        return trace;
    }

    /**
     * The runs in flight.
     *
     * @return the ledger whose runs the claimed tasks join.
     */
    public RunLedger runs()
    {
        return runs;
    }

    /**
     * The calling thread becomes the driving thread, until {@link #giveRole()}: the one thread that submits, takes
     * completions and retires tasks (the submitting thread, a thread joining a run, or the Worker's run finisher;
     * the Worker's driving lock decides which).
     */
    public void takeRole()
    {
        role.take();
    }

    /**
     * The calling thread stops being the driving thread.
     */
    public void giveRole()
    {
        assert role.isHeld() : role.violation();
        role.give();
    }

    /**
     * Whether the calling thread is the driving thread; for assertions.
     *
     * @return true when it took the role.
     */
    public boolean holdsRole()
    {
        return role.isHeld();
    }

    /**
     * Tasks claimed and not yet retired.
     *
     * @return live slot count.
     */
    public int liveSlots()
    {
        return liveSlots;
    }

    /**
     * Tasks claimed whose completion the orchestrating thread has not seen yet: submitted and not finished, or
     * finished and still in the completion queue.
     *
     * @return the count.
     */
    public int unseenTasks()
    {
        return unseenTasks;
    }

    /**
     * Whether a slot can be claimed without growing the table.
     *
     * @return true when a retired slot is free.
     */
    public boolean hasFreeSlot()
    {
        return slots.hasFree();
    }

    /**
     * Free slots.
     *
     * @return how many tasks can be claimed before the table grows.
     */
    public int freeSlots()
    {
        return slots.freeCount();
    }

    /**
     * Claim a slot for a new task; it holds one reference for its scope and waits for nothing yet.
     *
     * @return the slot, in state PENDING.
     */
    public TaskSlot claim()
    {
        assert role.isHeld() : role.violation();
        final TaskSlot slot = slots.claim();
        liveSlots++;
        unseenTasks++;
        slot.resetForClaim();
        slot.run = runs.current();
        runs.claimed();
        return slot;
    }

    /**
     * Make {@code consumer} depend on {@code producer}, once. A producer that already completed is not waited for
     * but stays alive until the consumer completes; one that failed or was skipped makes the consumer skipped.
     *
     * @param consumer the task being submitted.
     * @param producer an earlier task, still live.
     */
    public void dependOn(final TaskSlot consumer, final TaskSlot producer)
    {
        assert role.isHeld() : role.violation();
        if (producer == consumer)
        {
            return;
        }
        final int producerIndex = producer.index;
        if (producer.lastConsumerClaim == consumer.claim)
        {
            // Already wired to this consumer: one producer named through several tensors or segments, at the cost of
            // one compare, however many producers the consumer has.
            return;
        }
        producer.lastConsumerClaim = consumer.claim;
        if (producer.stageSeq >= 0)
        {
            // A staged producer is wired by whoever publishes the consumer: without a lock when both go out in
            // the same batch, through the lock when the producer went out before.
            consumer.addDeferred(producerIndex);
        }
        else
        {
            consumer.wireTo(producer);
        }
        producer.refCount++;
        consumer.addProducer(producerIndex);
        if (trace.on())
        {
            trace.dependency(producer, consumer);
        }
    }

    /**
     * Finish the submit of a task: from now on workers may run it. With nothing to wait for it is published
     * (or skipped, when a producer failed) at once.
     *
     * @param slot the task.
     */
    public void seal(final TaskSlot slot)
    {
        assert role.isHeld() : role.violation();
        for (int i = 0, n = slot.deferredCount; i < n; i++)
        {
            slot.wireTo(slots.get(slot.deferredAt(i)));
        }
        sealWired(slot, skipScratch);
        completer.skipCascade(skipScratch);
    }

    /**
     * Stage a submitted task instead of sealing it: no worker can see it until its batch is published, by
     * {@link #publishStaged()} or by an idle worker thread ({@link BatchPublisher#takeStaged}). The first task of a
     * batch wakes the workers of its kind, so that a parked worker can take the batch if the orchestrating thread
     * leaves it.
     *
     * @param slot the task, wired.
     * @return how many tasks are staged and not published, this one included.
     */
    public long stage(final TaskSlot slot)
    {
        assert role.isHeld() : role.violation();
        final long staged = stagedSubmits.stage(slot);
        if (staged == 1)
        {
            readyQueues[slot.kind].wakeWorkers();
        }
        return staged;
    }

    /**
     * Publish every staged task; the orchestrating thread does this when a batch is full and before it waits.
     */
    public void publishStaged()
    {
        assert role.isHeld() : role.violation();
        publisher.publishStaged(orchestratorBatch, skipScratch);
    }

    /**
     * Make a claimed slot the completed pseudo-task of an {@code alloc}.
     *
     * @param slot the slot.
     */
    public void completeAlloc(final TaskSlot slot)
    {
        assert role.isHeld() : role.violation();
        slot.kind = TaskSlot.KIND_ALLOC;
        slot.outcome = TaskSlot.OUTCOME_OK;
        slot.groupSize = 0;
        slot.markCompletedByOwner();
        slot.completionSeen = true;
        slot.failedSeen = false;
        unseenTasks--;
        runs.seen(slot.run);
        runs.flushSeen();
    }

    /**
     * A scope opened at {@code depth}.
     *
     * @param depth the scope depth, 0 for the run's own scope.
     */
    public void openScope(final int depth)
    {
        assert role.isHeld() : role.violation();
        scopes.open(depth);
    }

    /**
     * Put a claimed task under the hold of the scope at {@code depth}, which is open. A task with a heap-ring
     * slab joins the scope's list at once; any other joins it only if it fails or is skipped while the scope is
     * still open.
     *
     * @param slot  the task.
     * @param depth the scope depth.
     */
    public void holdInScope(final TaskSlot slot, final int depth)
    {
        assert role.isHeld() : role.violation();
        slot.scopeDepth = depth;
        slot.scopeEpoch = scopes.epochOf(depth);
        if (slot.slabRing != null)
        {
            scopes.link(slot);
        }
    }

    /**
     * The scope at {@code depth} ended: release its hold on every task in its list, in the order they joined.
     * Tasks not in the list drop the hold themselves when their completion is seen.
     *
     * @param depth the scope depth.
     */
    public void releaseScope(final int depth)
    {
        assert role.isHeld() : role.violation();
        int index = scopes.end(depth);
        while (index != -1)
        {
            final TaskSlot slot = slots.get(index);
            index = slot.scopeNext;
            slot.scopeDepth = -1;
            slot.refCount--;
            retireIfDone(slot);
        }
    }

    /**
     * Tell the completing threads whether the orchestrating thread waits for completions (see
     * {@link Completer#wantCompletions}).
     *
     * @param wanted true when the orchestrating thread starts waiting, false when it stops.
     */
    public void wantCompletions(final boolean wanted)
    {
        assert role.isHeld() : role.violation();
        completer.wantCompletions(wanted);
    }

    /**
     * Whether workers have handed back completed tasks that are not processed yet.
     *
     * @return true when {@link #processCompletions()} has work.
     */
    public boolean hasCompletions()
    {
        return !completions.isEmpty();
    }

    /**
     * Take every completion handed back so far: record failures, release producers, retire what can retire.
     *
     * @return how many completions were taken.
     */
    public int processCompletions()
    {
        assert role.isHeld() : role.violation();
        // Gather first: a group's entries sit in its head's completion record, so the loads of the slots below
        // can overlap. An entry is the slot number of a task that succeeded, or its complement when the outcome
        // must be read from the slot.
        final IntArrayList taken = takenScratch;
        int index = completions.takeAll();
        while (index != -1)
        {
            final int[] record = slots.get(index).completionRecord;
            final int grouped = record[CompletionRecord.COUNT];
            if (grouped == 0)
            {
                taken.addInt(~index);
            }
            else
            {
                for (int i = CompletionRecord.ENTRIES, end = i + grouped; i < end; i++)
                {
                    taken.addInt(record[i]);
                }
            }
            index = record[CompletionRecord.NEXT];
        }
        final int count = taken.size();
        for (int i = 0; i < count; i++)
        {
            final int entry = taken.getInt(i);
            if (entry >= 0)
            {
                onCompletionSeen(slots.get(entry), TaskSlot.OUTCOME_OK);
            }
            else
            {
                final TaskSlot slot = slots.get(~entry);
                onCompletionSeen(slot, slot.outcome);
            }
        }
        taken.clear();
        runs.flushSeen();
        counters.completionsTaken(count);
        return count;
    }

    // ---------------------------------------------------------------- internals

    private void sealWired(final TaskSlot slot, final IntArrayList skipped)
    {
        // With no producer wired, no other thread knows the task yet: it is ready without an atomic update.
        if (slot.wiredProducers == 0 || slot.sealOpen())
        {
            completer.becameReady(slot, skipped);
        }
    }

    private void onCompletionSeen(final TaskSlot slot, final int outcome)
    {
        final int run = slot.run;
        slot.completionSeen = true;
        slot.failedSeen = outcome == TaskSlot.OUTCOME_FAILED;
        unseenTasks--;
        if (outcome == TaskSlot.OUTCOME_FAILED)
        {
            for (int i = 0; i < slot.groupSize; i++)
            {
                if (slot.members[i].failed())
                {
                    runs.failed(run, slot.index, slot.members[i]);
                    break;
                }
            }
            counters.taskFailed();
        }
        else if (outcome == TaskSlot.OUTCOME_SKIPPED)
        {
            runs.skipped(run);
            counters.taskSkipped();
        }
        for (int i = 0, n = slot.producerCount; i < n; i++)
        {
            final TaskSlot producer = slots.get(slot.producerAt(i));
            producer.refCount--;
            retireIfDone(producer);
        }
        slot.clearProducers();
        if (slot.scopeDepth >= 0 && !slot.scopeListed)
        {
            if (outcome == TaskSlot.OUTCOME_OK || scopes.epochOf(slot.scopeDepth) != slot.scopeEpoch)
            {
                slot.scopeDepth = -1;
                slot.refCount--;
            }
            else
            {
                scopes.link(slot);
            }
        }
        retireIfDone(slot);
        runs.seen(run);
    }

    private void retireIfDone(final TaskSlot slot)
    {
        if (slot.completionSeen && slot.refCount == 0)
        {
            retireListener.onRetire(slot);
            if (slot.failedSeen)
            {
                // Only a failed task's members hold a failure to drop; the others' lines are left alone.
                for (int i = 0; i < slot.groupSize; i++)
                {
                    slot.members[i].release();
                }
            }
            slots.release(slot);
            liveSlots--;
        }
    }
}
