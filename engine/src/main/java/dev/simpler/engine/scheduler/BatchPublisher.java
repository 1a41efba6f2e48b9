package dev.simpler.engine.scheduler;

import static dev.simpler.engine.config.Configuration.LOOK_AHEAD;

import org.agrona.collections.IntArrayList;

import dev.simpler.engine.trace.Tracer;

/**
 * Publishes batches of staged submits (THREAD mode): a stream of submits is staged, wired among itself without
 * locks since no worker thread can see it yet, and published in batches, so that the orchestrating thread and the
 * worker threads meet once per batch instead of once per task. A batch goes out when it is full, before the
 * orchestrating thread waits, or, when the orchestrating thread left tasks staged and went on with user code, from
 * an idle worker thread ({@link #takeStaged}); batches go out one at a time, in submit order.
 *
 * <p>Single writer: the holder of the staged submits' publishing lock (the orchestrating thread or one idle worker
 * thread), which stands for the publishing role; it writes the wiring of the tasks of the batch it took.
 */
public final class BatchPublisher
{
    private final SlotTable slots;
    private final ReadyQueue[] readyQueues;
    private final Completer completer;
    private final StagedSubmits stagedSubmits;
    private final Tracer trace;

    BatchPublisher(
        final SlotTable slots,
        final ReadyQueue[] readyQueues,
        final Completer completer,
        final StagedSubmits stagedSubmits)
    {
        this.slots = slots;
        this.readyQueues = readyQueues;
        this.completer = completer;
        this.stagedSubmits = stagedSubmits;
        this.trace = completer.trace;
    }

    /**
     * Publish every staged task; the orchestrating thread does this when a batch is full and before it waits. It
     * returns only once no batch is being published, also one a worker thread took: the tasks the orchestrating
     * thread seals afterwards may name a producer of that batch, and a batch's own edges are wired without the
     * producers' locks.
     */
    void publishStaged(final StagedSubmits.Batch orchestratorBatch, final IntArrayList skipScratch)
    {
        if (!stagedSubmits.hasStaged() && !stagedSubmits.isPublishing())
        {
            return;
        }
        while (!stagedSubmits.tryLock())
        {
            // A worker is publishing a batch it took: a bounded amount of work.
            Thread.onSpinWait();
        }
        try
        {
            while (stagedSubmits.take(orchestratorBatch))
            {
                publishBatch(orchestratorBatch, skipScratch, true);
            }
        }
        finally
        {
            stagedSubmits.unlock();
        }
    }

    /**
     * Whether tasks are staged and not published.
     *
     * @return true when {@link #takeStaged} would find a batch.
     */
    public boolean hasStaged()
    {
        return stagedSubmits.hasStaged();
    }

    /**
     * How many tasks were staged so far, published or not: a count that moves while the orchestrating thread
     * stages, and stands still while it runs user code.
     *
     * @return the staged count, or 0 when nothing is staged and not published.
     */
    public long stagedCount()
    {
        return stagedSubmits.hasStaged() ? stagedSubmits.stagedTotal() : 0;
    }

    /**
     * Publish the staged tasks from a worker thread, when the orchestrating thread left them staged while it
     * runs user code.
     *
     * @param context the calling worker thread's context.
     * @return true when this thread took and published a batch.
     */
    public boolean takeStaged(final WorkerContext context)
    {
        if (!stagedSubmits.tryLock())
        {
            return false;
        }
        try
        {
            if (!stagedSubmits.take(context.stagedBatch))
            {
                return false;
            }
            publishBatch(context.stagedBatch, context.scratch, false);
            return true;
        }
        finally
        {
            stagedSubmits.unlock();
        }
    }

    private void publishBatch(final StagedSubmits.Batch batch, final IntArrayList skipped, final boolean owner)
    {
        assert stagedSubmits.isLockedByCurrentThread() : "a batch is published only under the publishing lock";
        final int[] taken = batch.slots;
        final boolean[] closed = batch.closed;
        final int count = batch.count;
        // First the edges inside the batch, while no task of it is visible to any other thread: no lock needed.
        // A task whose producers are all in the batch (or that has none) is sealed here with a plain store:
        // nothing can count it down before its producers are published below.
        for (int i = 0; i < count; i++)
        {
            final TaskSlot consumer = slots.get(taken[i]);
            // Only this thread can have poisoned a task whose producers are all unpublished: its own flag tells.
            boolean inside = consumer.wiredProducers == 0 && !consumer.wirePoisoned;
            for (int j = 0, n = consumer.deferredCount; j < n; j++)
            {
                final TaskSlot producer = slots.get(consumer.deferredAt(j));
                if (producer.stageSeq >= batch.from)
                {
                    producer.addConsumer(consumer.index);
                    consumer.wiredProducers++;
                }
                else
                {
                    inside = false;
                }
            }
            closed[i] = inside;
            if (inside)
            {
                consumer.sealClosed();
            }
            else
            {
                // Before any producer of it is published (in-batch ones at the end of this batch, earlier ones
                // once wired below): the link may hold the count of an earlier use.
                consumer.openProducers();
            }
        }
        // Then, in submit order, the edges to tasks published before, and the seal that lets each task run. The
        // tasks found ready go out together at the end, one ring claim and one wake-up per kind.
        final IntArrayList[] ready = batch.ready;
        for (int i = 0; i < count; i++)
        {
            final TaskSlot consumer = slots.get(taken[i]);
            if (owner)
            {
                // Pass 1 wired every consumer this task has in the batch, and every task submitted so far is in
                // this batch or an earlier one: a task that is no longer the writer nor a reader of anything in the
                // access index has all the consumers it will get, and its worker can complete it without the lock. (A
                // worker publishing the batch cannot know that the orchestrating thread is not submitting
                // meanwhile, so it leaves them as they are.)
                consumer.finalIfReplaced();
            }
            if (closed[i])
            {
                if (consumer.wiredProducers == 0)
                {
                    ready[consumer.kind].addInt(consumer.index);
                }
                continue;
            }
            for (int j = 0, n = consumer.deferredCount; j < n; j++)
            {
                final TaskSlot producer = slots.get(consumer.deferredAt(j));
                if (producer.stageSeq < batch.from)
                {
                    consumer.wireTo(producer);
                }
            }
            if (consumer.wiredProducers == 0 || consumer.sealOpen())
            {
                (consumer.poisoned ? skipped : ready[consumer.kind]).addInt(consumer.index);
            }
        }
        for (int i = 0; i < count; i += LOOK_AHEAD)
        {
            if (linksUntouched(taken, i + 1, Math.min(count, i + 1 + LOOK_AHEAD)))
            {
                // Nothing to load ahead: the head's line stays with the worker that read it.
                continue;
            }
            final TaskSlot head = slots.get(taken[i]);
            head.aheadUse = head.use;
            head.ahead0 = aheadOf(taken, count, i + 1);
            head.ahead1 = aheadOf(taken, count, i + 2);
            head.ahead2 = aheadOf(taken, count, i + 3);
            head.ahead3 = aheadOf(taken, count, i + 4);
            head.ahead4 = aheadOf(taken, count, i + 5);
            head.ahead5 = aheadOf(taken, count, i + 6);
            head.ahead6 = aheadOf(taken, count, i + 7);
            head.ahead7 = aheadOf(taken, count, i + 8);
        }
        if (trace.on())
        {
            traceReady(ready);
        }
        for (int kind = 0; kind < ready.length; kind++)
        {
            readyQueues[kind].publishAll(ready[kind]);
        }
        completer.skipCascade(skipped);
    }

    private void traceReady(final IntArrayList[] ready)
    {
        // The whole batch becomes ready now: one clock read for all of it.
        final long now = System.nanoTime();
        for (final IntArrayList kind : ready)
        {
            for (int i = 0, n = kind.size(); i < n; i++)
            {
                trace.ready(slots.get(kind.getInt(i)), now);
            }
        }
    }

    /**
     * Whether no task of {@code taken[from..to)} had its links written: tasks recorded nowhere in the access index
     * (independent tasks) have none to load ahead.
     */
    private boolean linksUntouched(final int[] taken, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            if (!slots.get(taken[i]).recordsNothing())
            {
                return false;
            }
        }
        return true;
    }

    private static int aheadOf(final int[] taken, final int count, final int position)
    {
        return position < count ? taken[position] : -1;
    }
}
