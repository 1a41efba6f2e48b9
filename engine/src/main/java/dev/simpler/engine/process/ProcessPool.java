package dev.simpler.engine.process;

import static dev.simpler.engine.config.Configuration.CHILD_EXIT_TIMEOUT_MS;

import java.util.ArrayList;
import java.util.List;

import com.lmax.disruptor.Sequence;

import dev.simpler.engine.TaskArgsView;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.WorkerFactory;
import dev.simpler.engine.config.EngineContext;
import dev.simpler.engine.idle.Waiter;
import dev.simpler.engine.orchestrator.RunAssist;
import dev.simpler.engine.orchestrator.TaskValidator;
import dev.simpler.engine.scheduler.ReadyQueue;
import dev.simpler.engine.scheduler.Scheduler;
import dev.simpler.engine.worker.SubCallableRegistry;
import dev.simpler.mailbox.ArgsBlobDescriptor;
import dev.simpler.mailbox.MailboxDescriptor;

/**
 * The PROCESS-mode workers of one Worker (SPEC §8): one child JVM per sub worker and per next-level factory,
 * started before the engine's threads and awaited with a deadline, driven by one {@link ProcessDriver}, and
 * shut down (SHUTDOWN, bounded wait, kill) on close.
 */
public final class ProcessPool implements AutoCloseable
{

    private final EngineContext context;
    private final List<ChildProcess> subChildren = new ArrayList<>();
    private final List<ChildProcess> nextChildren = new ArrayList<>();
    private final SharedRegions regions;
    private final Waiter driverWaiter;
    private ProcessDriver driver;

    /**
     * Create the children's mailboxes; nothing starts yet.
     *
     * @param context     the Worker's settings: ids, wait strategy, child JVM options and start timeout.
     * @param factories   one next-level child per factory.
     * @param subQueue    ready queue of sub tasks.
     * @param nextQueue   ready queue of next-level tasks.
     * @param scheduler   the scheduler tasks complete in.
     * @param callables   the sub callables, sent to the children.
     * @param regions     the shared files the children map.
     */
    public ProcessPool(
        final EngineContext context,
        final List<WorkerFactory> factories,
        final ReadyQueue subQueue,
        final ReadyQueue nextQueue,
        final Scheduler scheduler,
        final SubCallableRegistry callables,
        final SharedRegions regions)
    {
        this.context = context;
        this.regions = regions;
        // Outside runs nothing is in flight and the driver only watches the children, so it never busy-spins
        // idle; inside runs the orchestrating thread drives (see ProcessDriver).
        this.driverWaiter = new Waiter(WaitStrategy.BACKOFF);
        final ChildLauncher launcher = new ChildLauncher(context.childJvmOptions());
        final boolean busySpin = context.busySpin();
        final long timeoutNs = context.childStartTimeoutNs();
        try
        {
            for (int i = 0; i < context.subWorkers(); i++)
            {
                subChildren.add(new ChildProcess("sub worker " + i, subQueue, scheduler, callables, null, regions,
                    launcher, busySpin, timeoutNs, context.mailboxSize(), context.counters()));
            }
            for (int i = 0; i < factories.size(); i++)
            {
                nextChildren.add(new ChildProcess("next-level worker " + i, nextQueue, scheduler, callables,
                    factories.get(i), regions, launcher, busySpin, timeoutNs, context.mailboxSize(),
                    context.counters()));
            }
        }
        catch (final RuntimeException ex)
        {
            close();
            throw ex;
        }
        connect(subQueue, subChildren);
        connect(nextQueue, nextChildren);
        driver = new ProcessDriver(all(), driverWaiter, busySpin,
            context.errors().handlerFor("the PROCESS-mode driver"), context.faultHook());
    }

    /**
     * What the orchestrating thread does for the children while it is inside a run: drive their mailboxes.
     *
     * @return the driver, as a {@link RunAssist}.
     */
    public RunAssist runAssist()
    {
        return driver;
    }

    /**
     * Start every child, wait until all are ready, then start the driver.
     *
     * @throws IllegalStateException naming the child and its message when one fails or stays silent; every child
     *                               is killed then.
     */
    public void start()
    {
        final List<ChildProcess> all = all();
        for (final ChildProcess child : all)
        {
            child.start();
        }
        for (final ChildProcess child : all)
        {
            child.awaitReady();
        }
        driver.start(context.threadName("children"));
    }

    /**
     * The submit-time check of PROCESS-mode tasks: every tensor in shared memory, and the args blob within the
     * mailbox's capacity.
     *
     * @return the validator.
     */
    public TaskValidator validator()
    {
        return this::validate;
    }

    /**
     * Stop the driver, then every child; delete every file. Idempotent.
     */
    @Override
    public void close()
    {
        if (driver != null)
        {
            driver.stop(CHILD_EXIT_TIMEOUT_MS);
        }
        for (final ChildProcess child : all())
        {
            child.shutdown(CHILD_EXIT_TIMEOUT_MS);
        }
        subChildren.clear();
        nextChildren.clear();
    }

    /**
     * Kill every child at once, for a failed start.
     */
    public void kill()
    {
        for (final ChildProcess child : all())
        {
            child.kill();
        }
        subChildren.clear();
        nextChildren.clear();
    }

    private List<ChildProcess> all()
    {
        final List<ChildProcess> all = new ArrayList<>(subChildren);
        all.addAll(nextChildren);
        return all;
    }

    private void connect(final ReadyQueue queue, final List<ChildProcess> children)
    {
        final Sequence[] sequences = new Sequence[children.size()];
        for (int i = 0; i < children.size(); i++)
        {
            sequences[i] = children.get(i).sequence();
        }
        queue.consumers(sequences, new Waiter[] {driverWaiter});
    }

    private void validate(final String kind, final int member, final TaskArgsView args)
    {
        final int tensors = args.tensorCount();
        final int scalars = args.scalarCount();
        final int capacity = MailboxDescriptor.argsCapacity(context.mailboxSize());
        if (!ArgsBlobDescriptor.fits(tensors, scalars, capacity))
        {
            final long needed = ArgsBlobDescriptor.requiredLength(tensors, scalars);
            final int fitting = MailboxDescriptor.mailboxLengthFor(needed);
            throw new IllegalArgumentException("PROCESS-mode " + kind + " task" + memberText(member)
                + " does not fit a mailbox: " + tensors + " tensors and " + scalars + " scalars encode to " + needed
                + " bytes, the mailbox of " + context.mailboxSize() + " bytes holds " + capacity + "; "
                + (fitting > 0
                    ? "Worker.Builder.mailboxSize(" + fitting + ") holds it"
                    : "no mailbox holds it (Worker.Builder.mailboxSize goes up to "
                        + MailboxDescriptor.MAX_MAILBOX_LENGTH + ")"));
        }
        for (int i = 0; i < tensors; i++)
        {
            final Tensor t = args.tensor(i);
            if (t.address() == 0)
            {
                continue;
            }
            if (!regions.contains(t.address(), t.nbytes()))
            {
                throw new IllegalArgumentException("PROCESS-mode " + kind + " task" + memberText(member) + ": tensor "
                    + i + " is not in shared memory, so the child cannot reach it: " + t
                    + "; use Orchestrator.alloc, Worker.sharedTensor, or an OUTPUT with address 0");
            }
        }
    }

    private static String memberText(final int member)
    {
        return member == 0 ? "" : " (group member " + member + ")";
    }
}
