package dev.simpler.engine.worker;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.agrona.collections.IntArrayList;

import com.lmax.disruptor.Sequence;

import dev.simpler.engine.CpuAffinity;
import dev.simpler.engine.idle.Waiter;
import dev.simpler.engine.idle.WakeCondition;
import dev.simpler.engine.scheduler.ReadyQueue;
import dev.simpler.engine.scheduler.Scheduler;
import dev.simpler.engine.scheduler.StoredArgs;
import dev.simpler.engine.scheduler.TaskSlot;

/**
 * The thread of one worker (SPEC §6): takes tasks from its type's ready queue, runs them through its
 * {@link TaskExecutor}, records failures, and completes them in the scheduler. A group member waits until every
 * member of its group is taken, so the N members run on N distinct workers at the same time.
 */
public final class WorkerThread implements Runnable
{
    /** How long staged tasks wait for the orchestrating thread before an idle worker publishes them. */
    static final long TAKE_STAGED_AFTER_NS = 20_000L;
    private static final int STAGED_CHECK_MASK = 31;
    /** How often an idle worker reads the staged count, at most. */
    private static final long STAGED_READ_INTERVAL_NS = 4_000L;
    private static final long PIN_TIMEOUT_MS = 10_000L;

    private final String name;
    private final ReadyQueue queue;
    private final Scheduler scheduler;
    private final TaskExecutor executor;
    private final Sequence sequence = new Sequence(-1);
    private final Waiter waiter;
    private final IntArrayList scratch = new IntArrayList();
    private final Scheduler.Handoff handoff;
    private final Scheduler.StagedBatch stagedBatch = new Scheduler.StagedBatch();
    private final WakeCondition entryAvailable;
    private final WakeCondition groupAssembled;
    private volatile boolean running = true;
    private long claimed;
    private TaskSlot groupSlot;
    private Thread thread;
    /** The CPU the thread pins itself to before it takes work, or -1. */
    private int cpu = -1;
    private final CountDownLatch pinned = new CountDownLatch(1);
    private volatile RuntimeException pinFailure;

    /**
     * A worker.
     *
     * @param name      worker name used in failure messages, e.g. "sub worker 0".
     * @param queue     the ready queue of its type.
     * @param scheduler the scheduler it completes tasks in.
     * @param executor  what it does with a task.
     * @param waiter    how it waits for work.
     * @param kind      the kind of task it runs, {@link TaskSlot#KIND_SUB} or {@link TaskSlot#KIND_NEXT_LEVEL}.
     */
    public WorkerThread(
        final String name,
        final ReadyQueue queue,
        final Scheduler scheduler,
        final TaskExecutor executor,
        final Waiter waiter,
        final int kind)
    {
        this.handoff = new Scheduler.Handoff(kind);
        this.name = name;
        this.queue = queue;
        this.scheduler = scheduler;
        this.executor = executor;
        this.waiter = waiter;
        this.entryAvailable =
            () -> !running || queue.isAvailable(claimed) || queue.hasOverflow() || scheduler.hasStaged();
        this.groupAssembled = () -> !running || groupSlot.claimedMembers() >= groupSlot.groupSize();
    }

    /**
     * Worker name.
     *
     * @return the name used in failure messages.
     */
    public String name()
    {
        return name;
    }

    /**
     * Gating sequence of this worker in its ready queue.
     *
     * @return the sequence.
     */
    public Sequence sequence()
    {
        return sequence;
    }

    /**
     * How this worker waits.
     *
     * @return its waiter.
     */
    public Waiter waiter()
    {
        return waiter;
    }

    /**
     * Have the thread pin itself to a CPU when it starts, before it takes any work.
     *
     * @param cpuNumber a CPU the process may run on (checked by the builder, and again when the thread pins).
     */
    public void pinTo(final int cpuNumber)
    {
        cpu = cpuNumber;
    }

    /**
     * Start the thread; when it is to be pinned, return once it is.
     *
     * @param threadName name of the Java thread.
     * @throws IllegalStateException when the thread could not be pinned.
     */
    public void start(final String threadName)
    {
        thread = new Thread(this, threadName);
        thread.setDaemon(true);
        waiter.bind(thread);
        thread.start();
        if (cpu >= 0)
        {
            awaitPinned(threadName);
        }
    }

    private void awaitPinned(final String threadName)
    {
        try
        {
            if (!pinned.await(PIN_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                throw new IllegalStateException("thread " + threadName + " did not pin itself to CPU " + cpu
                    + " within " + PIN_TIMEOUT_MS + " ms");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while thread " + threadName + " pinned itself", ex);
        }
        if (pinFailure != null)
        {
            throw pinFailure;
        }
    }

    /**
     * Ask the thread to stop after its current task.
     */
    public void stop()
    {
        running = false;
        waiter.interruptWait();
    }

    /**
     * Wait for the thread to end; interrupts it if it is still busy in a task after the first wait.
     *
     * @param timeoutMs how long to wait before and after interrupting.
     * @return true when the thread ended.
     * @throws InterruptedException if the caller is interrupted.
     */
    public boolean join(final long timeoutMs) throws InterruptedException
    {
        if (thread == null)
        {
            return true;
        }
        thread.join(timeoutMs);
        if (thread.isAlive())
        {
            thread.interrupt();
            thread.join(timeoutMs);
        }
        return !thread.isAlive();
    }

    @Override
    public void run()
    {
        if (cpu >= 0)
        {
            try
            {
                CpuAffinity.pinCurrentThread(cpu);
            }
            catch (final RuntimeException ex)
            {
                pinFailure = ex;
                running = false;
            }
            pinned.countDown();
        }
        while (running)
        {
            claimed = queue.claim(sequence);
            if (!queue.isAvailable(claimed))
            {
                scheduler.flushCompletions(handoff);
            }
            int idleRounds = 0;
            long stagedSeen = -1;
            long stagedSeenAt = 0;
            long stagedReadAt = 0;
            while (!queue.isAvailable(claimed))
            {
                if (!running)
                {
                    return;
                }
                if (queue.hasOverflow())
                {
                    queue.drainOverflow();
                    continue;
                }
                if ((++idleRounds & STAGED_CHECK_MASK) == 0
                    && System.nanoTime() - stagedReadAt >= STAGED_READ_INTERVAL_NS)
                {
                    // Tasks staged by the orchestrating thread, and no more staged for a while: it is running user
                    // code, so publish them from here. Looked at only every few microseconds: the orchestrating
                    // thread writes that count on every submit while it streams, and each read here makes its
                    // next write wait for the line to come back.
                    final long staged = scheduler.stagedCount();
                    final long now = System.nanoTime();
                    stagedReadAt = now;
                    if (staged != stagedSeen)
                    {
                        stagedSeen = staged;
                        stagedSeenAt = now;
                    }
                    else if (staged > 0 && now - stagedSeenAt > TAKE_STAGED_AFTER_NS
                        && scheduler.takeStaged(stagedBatch, scratch))
                    {
                        stagedSeen = -1;
                        continue;
                    }
                }
                waiter.idle(entryAvailable);
            }
            waiter.reset();
            final TaskSlot slot = scheduler.slots().get(queue.slotAt(claimed));
            final int member = queue.memberAt(claimed);
            if (slot.groupSize() > 1 && !assembleGroup(slot))
            {
                return;
            }
            runMember(slot, member);
            // A consumer the last task released to this worker runs here, without a trip through the queue.
            for (int next = handoff.take(); next != -1 && running; next = handoff.take())
            {
                runMember(scheduler.slots().get(next), 0);
            }
        }
    }

    private boolean assembleGroup(final TaskSlot slot)
    {
        if (slot.claimMember() == slot.groupSize())
        {
            queue.wakeWorkers();
            return true;
        }
        scheduler.flushCompletions(handoff);
        groupSlot = slot;
        while (slot.claimedMembers() < slot.groupSize())
        {
            if (!running)
            {
                return false;
            }
            waiter.idle(groupAssembled);
        }
        groupSlot = null;
        waiter.reset();
        return true;
    }

    private void runMember(final TaskSlot slot, final int member)
    {
        final StoredArgs args = slot.member(member);
        scheduler.loadAhead(slot);
        try
        {
            executor.execute(slot.callable(), args, slot.config());
        }
        catch (final TaskExecutionException ex)
        {
            args.fail(ex.errorCode(), ex.getMessage(), ex, name);
        }
        catch (final Throwable ex)
        {
            args.fail(TaskExecutionException.CALLABLE_THREW, String.valueOf(ex), ex, name);
        }
        scheduler.memberFinished(slot, scratch, handoff);
    }
}
