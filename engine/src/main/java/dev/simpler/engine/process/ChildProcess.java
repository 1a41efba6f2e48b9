package dev.simpler.engine.process;

import static dev.simpler.engine.config.Configuration.CHILD_EXIT_TIMEOUT_MS;
import static dev.simpler.engine.config.Configuration.CHILD_MAX_KILLED_STARTS;
import static dev.simpler.engine.config.Configuration.CHILD_MAX_RESENDS;
import static dev.simpler.engine.config.Configuration.CHILD_STEPS_PER_CYCLE;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.agrona.concurrent.status.AtomicCounter;

import com.lmax.disruptor.Sequence;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.SubCallable;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.WorkerFactory;
import dev.simpler.engine.counters.EngineCounters;
import dev.simpler.engine.scheduler.ReadyQueue;
import dev.simpler.engine.scheduler.Scheduler;
import dev.simpler.engine.scheduler.StoredArgs;
import dev.simpler.engine.scheduler.TaskSlot;
import dev.simpler.engine.scheduler.WorkerContext;
import dev.simpler.engine.trace.TaskEvent;
import dev.simpler.engine.trace.Tracer;
import dev.simpler.engine.worker.SubCallableRegistry;
import dev.simpler.mailbox.ArgsBlobFlyweight;
import dev.simpler.mailbox.MailboxDescriptor;
import dev.simpler.mailbox.MailboxFlyweight;
import dev.simpler.mailbox.MailboxProtocolException;
import dev.simpler.mailbox.ParentMailbox;
import dev.simpler.mailbox.SharedMemoryFile;

/**
 * One PROCESS-mode worker as the engine sees it: a child JVM, its mailbox, and the state machine the
 * {@link ProcessDriver} steps it through — start, claim a ready task, wait for the rest of its group, bring
 * the child up to date (new callables, new shared files), run the task, take the result. A child that dies or
 * breaks the protocol fails its task and is replaced; one that cannot be replaced is marked dead and fails
 * the tasks it takes.
 *
 * <p>The children of a Worker share two counters of its counters file (SPEC §14): children alive (a child counts
 * from its ready report until its death is noticed, or until it is shut down) and children replaced (replacements
 * started). The children are stepped by one role, so the counters have one writer too.
 *
 * <p>Single writer: the holder of the {@link ProcessDriver}'s driving lock (its thread, or the orchestrating thread
 * assisting it; asserted), after {@link #start} and {@link #awaitReady} on the initialising thread.
 */
final class ChildProcess
{

    private static final int STARTING = 0;
    private static final int IDLE = 1;
    private static final int CLAIMED = 2;
    private static final int ASSEMBLING = 3;
    private static final int UPDATING = 4;
    private static final int RUNNING = 5;
    /** A task handed to a child that died without taking it: it goes to the replacement once that is ready. */
    private static final int RESEND = 6;
    private static final int DEAD = 7;
    /** Exit statuses above this one mean the child was ended by a signal (128 + its number). */
    private static final int SIGNAL_EXIT_BASE = 128;

    private final String name;
    private final ReadyQueue queue;
    private final Scheduler scheduler;
    private final SubCallableRegistry callables;
    private final WorkerFactory factory;
    private final SharedRegions regions;
    private final ChildLauncher launcher;
    private final boolean busySpin;
    private final long startTimeoutNs;
    private final SharedMemoryFile mailboxFile;
    private final ParentMailbox mailbox;
    private final Doorbell doorbell;
    private final Sequence sequence = new Sequence(-1);
    private final WorkerContext context = WorkerContext.oneByOne();
    /** Whether the calling thread holds the driver's driving lock; set by the driver (asserted). */
    private BooleanSupplier drivingLock = () -> true;
    private final int[] shape = new int[Tensor.MAX_DIMS];
    private final AtomicCounter childrenAlive;
    private final AtomicCounter childrenReplaced;
    private final Tracer trace;
    private final int traceWorker;

    private int state = STARTING;
    private Process process;
    private SharedMemoryFile specFile;
    private SharedMemoryFile updateFile;
    private long startDeadline;
    private int knownCallables;
    private int knownRegions;
    private long claimed;
    private boolean holdsClaim;
    private TaskSlot slot;
    private int member;
    private boolean memberCounted;
    private int resumeState = IDLE;
    private String deathReason;
    private int resends;
    /** Whether a child of this worker ever became ready: only replacements are started again after a kill. */
    private boolean wasReady;
    private int killedStarts;
    private int liveSiblings;
    /** When this child's last task finished ({@link System#nanoTime()}), or {@link Long#MIN_VALUE} before any. */
    private long lastFinish = Long.MIN_VALUE;
    /** Whether this idle child may claim waiting work: set by the driver before each step. */
    private boolean mayClaim = true;
    /** Whether this child is counted in the children alive. */
    private boolean countedAlive;
    /** Whether the task in the mailbox is traced (SPEC §14): the child times it; set only while tracing. */
    private boolean traced;
    private long tracedSentNs;
    private TaskEvent traceEvent;

    ChildProcess(
        final String name,
        final ReadyQueue queue,
        final Scheduler scheduler,
        final SubCallableRegistry callables,
        final WorkerFactory factory,
        final SharedRegions regions,
        final ChildLauncher launcher,
        final boolean busySpin,
        final long startTimeoutNs,
        final int mailboxLength,
        final EngineCounters counters)
    {
        this.name = name;
        this.queue = queue;
        this.scheduler = scheduler;
        this.callables = callables;
        this.factory = factory;
        this.regions = regions;
        this.launcher = launcher;
        this.busySpin = busySpin;
        this.startTimeoutNs = startTimeoutNs;
        this.childrenAlive = counters.childrenAlive();
        this.childrenReplaced = counters.childrenReplaced();
        this.mailboxFile = SharedMemoryFile.create("mailbox", mailboxLength);
        this.mailbox = new ParentMailbox(mailboxFile.buffer(), name, mailboxLength);
        this.doorbell = busySpin ? null : Doorbell.create();
        this.trace = scheduler.trace();
        this.traceWorker = trace.worker(name);
    }

    /**
     * Name the check of the role that steps this child: the holder of the driver's driving lock.
     *
     * @param holdsDrivingLock whether the calling thread holds it.
     */
    void drivenBy(final BooleanSupplier holdsDrivingLock)
    {
        drivingLock = holdsDrivingLock;
    }

    Sequence sequence()
    {
        return sequence;
    }

    boolean hasTaskInFlight()
    {
        return state == RUNNING || state == UPDATING;
    }

    boolean isStarting()
    {
        return state == STARTING;
    }

    boolean isDead()
    {
        return state == DEAD;
    }

    /**
     * Whether the child waits for work.
     *
     * @return true in state IDLE.
     */
    boolean isIdle()
    {
        return state == IDLE;
    }

    /**
     * Let this idle child claim waiting work or not: the driver leaves it to an idle sibling that finished later.
     *
     * @param allowed whether it may claim on its next step.
     */
    void mayClaim(final boolean allowed)
    {
        mayClaim = allowed;
    }

    /**
     * When this child's last task finished: an idle child that finished later is offered waiting work first.
     *
     * @return the {@link System#nanoTime()} of that finish, or {@link Long#MIN_VALUE} before any.
     */
    long lastFinish()
    {
        return lastFinish;
    }

    /**
     * The ready queue this child takes tasks from.
     *
     * @return its queue.
     */
    ReadyQueue queue()
    {
        return queue;
    }

    /**
     * Tell a dead child how many children of its queue are alive, before it is stepped.
     *
     * @param count live children taking tasks from the same queue.
     */
    void liveSiblings(final int count)
    {
        liveSiblings = count;
    }

    /**
     * Describe the child for messages.
     *
     * @return e.g. "sub worker 0 (child pid 1234)".
     */
    String describe()
    {
        return name + " (child pid " + (process == null ? "?" : String.valueOf(process.pid())) + ")";
    }

    /**
     * Start the child JVM; {@link #awaitReady()} next. On the initialising thread, before the driver runs.
     */
    void start()
    {
        launch();
    }

    /**
     * Wait until the started child is ready.
     *
     * @throws IllegalStateException with the child's message when it fails or stays silent.
     */
    void awaitReady()
    {
        while (state == STARTING)
        {
            stepStarting();
            if (state == STARTING)
            {
                Thread.onSpinWait();
                try
                {
                    process.waitFor(1, TimeUnit.MILLISECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(describe() + ": interrupted while waiting for the child to start");
                }
            }
        }
        if (state == DEAD)
        {
            throw new IllegalStateException(deathReason);
        }
    }

    /**
     * Advance the state machine once.
     *
     * @return how much work was done, 0 when nothing changed.
     */
    int doWork()
    {
        assert drivingLock.getAsBoolean() : describe() + " is stepped only by the holder of the driving lock";
        // A finished task and the dispatch of the next one in the same call: the child is idle in between, and in
        // BACKOFF mode an idle child soon parks.
        int work = 0;
        for (int step = 0; step < CHILD_STEPS_PER_CYCLE; step++)
        {
            final int done = step();
            if (done == 0)
            {
                break;
            }
            work += done;
        }
        return work;
    }

    private int step()
    {
        switch (state)
        {
            case STARTING:
                return stepStarting();
            case IDLE:
                // Claim only when a task is waiting: an idle child sitting on a claim would take the next task
                // even when the child that just finished it (still spinning, caches warm) could run it at once,
                // and a chain would alternate between children that have gone to sleep meanwhile.
                if (!mayClaim || !queue.hasUnclaimedWork())
                {
                    return 0;
                }
                if (!process.isAlive())
                {
                    // Died while idle, and the periodic check has not seen it yet: replace it before it gets work.
                    checkAlive();
                    return 1;
                }
                claimed = queue.claim(sequence);
                holdsClaim = true;
                state = CLAIMED;
                return 1 + stepClaimed();
            case CLAIMED:
                return stepClaimed();
            case ASSEMBLING:
                if (slot.claimedMembers() >= slot.groupSize())
                {
                    dispatch();
                    return 1;
                }
                return 0;
            case UPDATING:
            case RUNNING:
                return stepRunning();
            case RESEND:
                dispatch();
                return 1;
            case DEAD:
                return stepDead();
            default:
                throw new IllegalStateException("unknown child state " + state);
        }
    }

    /**
     * The driver caught an unexpected exception from this child's state machine: fail the task it holds, kill
     * the child and mark it dead, so that nothing waits on it forever.
     *
     * @param ex what was thrown.
     */
    void crashed(final Throwable ex)
    {
        if (process != null)
        {
            process.destroyForcibly();
        }
        final String reason = describe() + " failed in the engine: " + ex;
        if (slot != null && state != DEAD)
        {
            markDead(reason);
            finishMember(MailboxDescriptor.ERROR_RUN_FAILED, reason);
        }
        else
        {
            markDead(reason);
        }
    }

    /**
     * Check that the child is still alive; called periodically by the driver.
     */
    void checkAlive()
    {
        if (state != DEAD && state != STARTING && process != null && !process.isAlive())
        {
            died("died with exit status " + process.exitValue());
        }
    }

    /**
     * Stop the child: SHUTDOWN when idle, then kill it if it does not exit in time; delete its files.
     *
     * @param timeoutMs how long to wait for a clean exit.
     */
    void shutdown(final long timeoutMs)
    {
        if (process != null && process.isAlive())
        {
            if (!mailbox.taskInFlight())
            {
                mailbox.shutdown();
            }
            // End of file on its standard input also tells a child to exit, asleep or not, and once it finishes
            // a task that is still in flight.
            closeChildInput();
            try
            {
                if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
                {
                    process.destroyForcibly().waitFor(timeoutMs, TimeUnit.MILLISECONDS);
                }
            }
            catch (final InterruptedException ex)
            {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        countAlive(false);
        closeFile(specFile);
        specFile = null;
        closeFile(updateFile);
        updateFile = null;
        mailboxFile.close();
        if (doorbell != null)
        {
            doorbell.close();
        }
    }

    /**
     * Kill the child at once; used when initialisation of the engine fails.
     */
    void kill()
    {
        if (process != null)
        {
            process.destroyForcibly();
            try
            {
                process.waitFor(CHILD_EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        countAlive(false);
        closeFile(specFile);
        specFile = null;
        closeFile(updateFile);
        updateFile = null;
        mailboxFile.close();
        if (doorbell != null)
        {
            doorbell.close();
        }
    }

    // ------------------------------------------------------------------------------------------ steps

    private void launch()
    {
        if (process != null)
        {
            // A replacement: the pipe to the child that died is not needed any more.
            closeChildInput();
        }
        mailbox.reset();
        final SubCallable[] registered = factory == null ? callables.snapshot() : new SubCallable[0];
        final SharedRegion[] mapped = regions.from(0);
        closeFile(specFile);
        specFile = ChildLauncher.writeObject("spec", new ChildSpec(name, mailboxFile.path().toString(), mapped,
            registered, factory, busySpin, ProcessHandle.current().pid(),
            doorbell == null ? null : doorbell.path().toString()));
        if (doorbell != null)
        {
            doorbell.reset();
        }
        knownCallables = registered.length;
        knownRegions = mapped.length;
        startDeadline = System.nanoTime() + startTimeoutNs;
        state = STARTING;
        process = launcher.launch(mailboxFile.path(), specFile.path());
    }

    private int stepStarting()
    {
        final int status;
        try
        {
            status = mailbox.childStatus();
        }
        catch (final MailboxProtocolException ex)
        {
            process.destroyForcibly();
            markDead(describe() + " failed to start: " + ex.getMessage());
            return 1;
        }
        if (status == MailboxDescriptor.CHILD_READY)
        {
            wasReady = true;
            killedStarts = 0;
            countAlive(true);
            closeFile(specFile);
            specFile = null;
            state = resumeState;
            return 1;
        }
        if (status == MailboxDescriptor.CHILD_INIT_FAILED)
        {
            final String message = mailbox.errorMessage();
            awaitExit();
            markDead(describe() + " failed to initialise: " + message);
            return 1;
        }
        if (!process.isAlive())
        {
            final int exitStatus = process.exitValue();
            final String reason = describe() + " exited with status " + exitStatus + " before it was ready";
            if (wasReady && exitStatus > SIGNAL_EXIT_BASE && killedStarts < CHILD_MAX_KILLED_STARTS)
            {
                // A replacement killed from outside while it started, not one that cannot start: try once more.
                killedStarts++;
                replace(reason);
            }
            else
            {
                markDead(reason);
            }
            return 1;
        }
        if (System.nanoTime() - startDeadline > 0)
        {
            process.destroyForcibly();
            awaitExit();
            markDead(describe() + " did not report ready within "
                + TimeUnit.NANOSECONDS.toMillis(startTimeoutNs) + " ms; it was killed");
            return 1;
        }
        return 0;
    }

    private int stepClaimed()
    {
        if (!queue.isAvailable(claimed))
        {
            return queue.pollClaimed(claimed);
        }
        readEntry();
        if (slot.groupSize() > 1 && slot.claimedMembers() < slot.groupSize())
        {
            state = ASSEMBLING;
            return 1;
        }
        dispatch();
        return 1;
    }

    private void readEntry()
    {
        if (slot == null)
        {
            slot = scheduler.slots().get(queue.slotAt(claimed));
            member = queue.memberAt(claimed);
        }
        if (slot.groupSize() > 1 && !memberCounted)
        {
            memberCounted = true;
            queue.joinGroup(slot);
        }
    }

    private void dispatch()
    {
        final String brokenBy = slot.groupSize() > 1 ? slot.brokenBy() : null;
        if (brokenBy != null)
        {
            // The members of a group run at the same time or not at all.
            finishMember(MailboxDescriptor.ERROR_RUN_FAILED, "not run: another member of its group went to "
                + brokenBy);
            return;
        }
        final int callableCount = callables.size();
        final int regionCount = regions.count();
        if ((factory == null && callableCount > knownCallables) || regionCount > knownRegions)
        {
            sendUpdate(callableCount, regionCount);
            return;
        }
        sendTask();
    }

    private void sendUpdate(final int callableCount, final int regionCount)
    {
        final SubCallable[] newCallables = factory == null
            ? Arrays.copyOfRange(callables.snapshot(), knownCallables, callableCount)
            : new SubCallable[0];
        closeFile(updateFile);
        try
        {
            updateFile = ChildLauncher.writeObject("update",
                new ChildUpdate(knownCallables, newCallables, regions.from(knownRegions)));
        }
        catch (final RuntimeException ex)
        {
            finishMember(MailboxDescriptor.ERROR_RUN_FAILED, "cannot send new callables to " + describe() + ": " + ex);
            return;
        }
        knownCallables = factory == null ? callableCount : knownCallables;
        knownRegions = regionCount;
        mailbox.beginTask(ChildUpdate.CONTROL_CALLABLE, 0, 0, false, false);
        mailbox.flyweight().putErrorMessage(updateFile.path().toString());
        mailbox.publishTask();
        wake();
        state = UPDATING;
    }

    private void sendTask()
    {
        final StoredArgs args = slot.member(member);
        final CallConfig config = slot.config();
        final ArgsBlobFlyweight blob = mailbox.beginTask(slot.callable(), config.blockDim(),
            config.aicpuThreadNum(), config.enableProfiling(), config.enableDumpTensor());
        try
        {
            final int tensors = args.tensorCount();
            blob.reset(tensors, args.scalarCount());
            for (int i = 0; i < tensors; i++)
            {
                final Tensor t = args.tensor(i);
                final int ndims = t.ndims();
                for (int d = 0; d < ndims; d++)
                {
                    shape[d] = t.shape(d);
                }
                blob.tensor(i).encode(t.address(), t.dtype().code(), ndims, shape);
            }
            for (int i = 0, n = args.scalarCount(); i < n; i++)
            {
                blob.scalar(i, args.scalar(i));
            }
        }
        catch (final RuntimeException ex)
        {
            finishMember(MailboxDescriptor.ERROR_RUN_FAILED, "cannot encode the task for " + describe() + ": " + ex);
            return;
        }
        if (trace.on())
        {
            traceSend();
        }
        mailbox.publishTask();
        wake();
        state = RUNNING;
    }

    private int stepRunning()
    {
        final boolean done;
        try
        {
            done = mailbox.isDone();
        }
        catch (final MailboxProtocolException ex)
        {
            process.destroyForcibly();
            awaitExit();
            failAndReplace(describe() + " broke the mailbox protocol and was killed: " + ex.getMessage());
            return 1;
        }
        if (!done)
        {
            return 0;
        }
        final int error = mailbox.takeResult();
        if (state == UPDATING)
        {
            closeFile(updateFile);
            updateFile = null;
            if (error != 0)
            {
                finishMember(MailboxDescriptor.ERROR_RUN_FAILED, describe() + " could not apply an update: "
                    + mailbox.errorMessage());
                return 1;
            }
            sendTask();
            return 1;
        }
        finishMember(error, error == 0 ? null : mailbox.errorMessage());
        return 1;
    }

    private int stepDead()
    {
        // A dead worker takes the tasks no live worker of its type can ever run, so that they fail clearly
        // instead of waiting forever for a worker that will not come back: every task when none of its type is
        // alive, else the members of a group larger than the live workers. Anything else is left for the live
        // ones (the driver steps dead children after them).
        if (!holdsClaim)
        {
            if (!queue.hasUnclaimedWork()
                || (liveSiblings > 0 && queue.nextUnclaimedGroupSize() <= liveSiblings))
            {
                return 0;
            }
            claimed = queue.claim(sequence);
            holdsClaim = true;
        }
        if (!queue.isAvailable(claimed))
        {
            return queue.pollClaimed(claimed);
        }
        final String reason = describe() + ", which is dead: " + deathReason;
        final boolean neverRan = resumeState == RESEND || resumeState == CLAIMED;
        if (slot != null && slot.groupSize() == 1 && neverRan && liveSiblings > 0)
        {
            // A task this worker held but never ran (it died before it took it, or while its replacement started):
            // a live worker of the same queue runs it instead.
            final TaskSlot held = slot;
            slot = null;
            holdsClaim = false;
            memberCounted = false;
            resends = 0;
            queue.requeue(held);
            return 1;
        }
        if (slot == null)
        {
            final TaskSlot entry = scheduler.slots().get(queue.slotAt(claimed));
            if (entry.groupSize() > 1)
            {
                entry.breakGroup(reason);
            }
        }
        readEntry();
        finishMember(MailboxDescriptor.ERROR_RUN_FAILED, "not run: it went to " + reason);
        return 1;
    }

    private void died(final String what)
    {
        final String reason = describe() + " " + what;
        if (hasTaskInFlight() && !mailbox.wasTaskTaken() && resends < CHILD_MAX_RESENDS)
        {
            // It died before it saw the task: the task goes to its replacement instead of failing.
            resends++;
            resumeState = RESEND;
            replace(reason);
        }
        else if (hasTaskInFlight())
        {
            failAndReplace(reason + " while running task slot " + slot.index());
        }
        else
        {
            // A claimed entry or a group member waiting for its group stays with this worker's replacement.
            resumeState = state;
            replace(reason);
        }
    }

    private void failAndReplace(final String reason)
    {
        finishMember(MailboxDescriptor.ERROR_RUN_FAILED, reason);
        resumeState = IDLE;
        replace(reason);
    }

    private void replace(final String reason)
    {
        countAlive(false);
        try
        {
            launch();
            childrenReplaced.incrementRelease();
        }
        catch (final RuntimeException ex)
        {
            markDead(reason + "; starting a replacement failed: " + ex.getMessage());
        }
    }

    private void finishMember(final int error, final String message)
    {
        final TaskSlot finished = slot;
        if (error != 0)
        {
            finished.member(member).fail(error, message, null, describe());
        }
        if (traced)
        {
            traceFinished(finished);
        }
        slot = null;
        holdsClaim = false;
        memberCounted = false;
        resends = 0;
        if (state != DEAD)
        {
            state = IDLE;
        }
        lastFinish = System.nanoTime();
        // No idle sibling finished later: this child takes what its finish releases, in this same call.
        mayClaim = true;
        scheduler.completer().memberFinished(finished, context, error != 0);
    }

    private void traceSend()
    {
        mailbox.requestTaskTimes();
        traceEvent = trace.beginTask();
        tracedSentNs = System.nanoTime();
        traced = true;
    }

    private void traceFinished(final TaskSlot finished)
    {
        // Before the task completes: afterwards the slot may hold another task.
        final MailboxFlyweight fields = mailbox.flyweight();
        final long start = fields.taskStartNs();
        final long end = fields.taskEndNs();
        final int childThread = Math.max(0, fields.traceWord());
        // A child that died or broke before it finished the task left no times: the engine's stand in for them.
        final boolean childClock = start != 0 && end >= start;
        mailbox.forgetTaskTimes();
        trace.ranInChild(traceEvent, finished, member, finished.member(member), traceWorker, (int)process.pid(),
            childClock ? childThread : 0, childClock ? start : tracedSentNs, childClock ? end : System.nanoTime(),
            childClock);
        traceEvent = null;
        traced = false;
    }

    private void markDead(final String reason)
    {
        deathReason = reason;
        state = DEAD;
        countAlive(false);
    }

    /**
     * Count this child in or out of the children alive, once each way: a plain read and a release store suffice,
     * as every child of the Worker is stepped by the same role.
     */
    private void countAlive(final boolean alive)
    {
        if (alive != countedAlive)
        {
            countedAlive = alive;
            if (alive)
            {
                childrenAlive.incrementRelease();
            }
            else
            {
                childrenAlive.decrementRelease();
            }
        }
    }

    private void awaitExit()
    {
        try
        {
            process.waitFor(CHILD_EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void wake()
    {
        if (doorbell != null)
        {
            doorbell.ring(process.getOutputStream());
        }
    }

    private void closeChildInput()
    {
        try
        {
            process.getOutputStream().close();
        }
        catch (final IOException ex)
        {
            // Already closed, or the child is gone: nothing to tell it.
        }
    }

    private static void closeFile(final SharedMemoryFile file)
    {
        if (file != null)
        {
            file.close();
        }
    }
}
