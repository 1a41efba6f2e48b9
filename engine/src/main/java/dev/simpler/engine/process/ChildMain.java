package dev.simpler.engine.process;

import static dev.simpler.engine.config.Configuration.CHILD_BACKOFF_MAX_PARK_NS;
import static dev.simpler.engine.config.Configuration.CHILD_BACKOFF_MIN_PARK_NS;
import static dev.simpler.engine.config.Configuration.CHILD_BACKOFF_SPINS;
import static dev.simpler.engine.config.Configuration.CHILD_BACKOFF_YIELDS;

import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.IWorker;
import dev.simpler.engine.SubCallable;
import dev.simpler.engine.trace.ThreadIds;
import dev.simpler.mailbox.ChildMailbox;
import dev.simpler.mailbox.MailboxDescriptor;
import dev.simpler.mailbox.MailboxFlyweight;
import dev.simpler.mailbox.MailboxProtocolException;
import dev.simpler.mailbox.SharedMemoryFile;

/**
 * The main class of a PROCESS-mode child JVM (SPEC §8). Maps its mailbox and the engine's shared files, builds
 * its worker (the sub callables, or a next-level worker from its factory), reports ready with its pid, then runs
 * tasks from the mailbox until SHUTDOWN, until its parent is gone, or until the mailbox breaks the protocol.
 *
 * <p>It is also the agent of its task thread (the JVM's main thread), run by an {@link AgentRunner}: each duty cycle
 * polls the mailbox and runs the task it finds; between duty cycles without a task the thread idles with
 * {@link BusySpinIdleStrategy} (busy-spin), a {@link DoorbellIdleStrategy} (backoff, started by the engine) or
 * {@link BackoffIdleStrategy} (backoff, started by another parent, which has no doorbell). An error that escapes a
 * duty cycle (a bug in the child, never a callable's failure, which goes back through the mailbox) is printed with
 * the child's pid and worker name and ends the child with {@link #EXIT_ENGINE_ERROR}, so its engine sees it die.
 *
 * <p>Started by the engine as {@code ChildMain --mailbox <file> --spec <spec file>}. A parent written in another
 * language starts it as {@code ChildMain --mailbox <file> [--region <file>@<engine base address, hex>]...
 * [--callables <class>] [--busy-spin]}, where the class implements {@code Supplier<SubCallable[]>}. Once the
 * mailbox is mapped, every start-up failure is reported through it (status 2 with a message).
 */
public final class ChildMain implements Agent
{
    /** Exit status when initialisation failed (also reported in the mailbox). */
    public static final int EXIT_INIT_FAILED = 3;
    /** Exit status when the mailbox broke the protocol. */
    public static final int EXIT_PROTOCOL_ERROR = 4;
    /** Exit status when the engine that started the child is gone. */
    public static final int EXIT_ORPHANED = 5;
    /** Exit status when an error escaped the child's duty cycle (a bug in the child, not in a callable). */
    public static final int EXIT_ENGINE_ERROR = 6;

    /**
     * Test only: the system property that names a callable id whose dispatch makes the duty cycle throw before the
     * callable runs, as a bug in the child would. Read once when the child starts; only tests pass it, through
     * {@code Worker.Builder.childJvmOptions}. Without it nothing is injected.
     */
    public static final String TEST_FAULT_AT_CALLABLE_PROPERTY = "simpler.test.childFaultAtCallable";
    private static final boolean TEST_FAULT_INJECTED = Long.getLong(TEST_FAULT_AT_CALLABLE_PROPERTY) != null;
    private static final long TEST_FAULT_AT_CALLABLE = Long.getLong(TEST_FAULT_AT_CALLABLE_PROPERTY, 0L);

    private final ChildMailbox mailbox;
    private final MailboxFlyweight fields;
    private final ChildRegions regions = new ChildRegions();
    private final ChildArgs args = new ChildArgs();
    private final List<SubCallable> callables = new ArrayList<>();
    private final int pid;
    private IWorker nextLevel;
    // Written by the task thread only.
    private String workerName = "sub worker";
    private Doorbell doorbell;
    /** The status the child exits with once its duty cycle ended. */
    private int exitStatus;

    private ChildMain(final ChildMailbox mailbox, final int pid)
    {
        this.mailbox = mailbox;
        this.fields = mailbox.flyweight();
        this.pid = pid;
    }

    /**
     * Run a child.
     *
     * @param argv the command line described on the class.
     */
    public static void main(final String[] argv)
    {
        final int pid = (int)ProcessHandle.current().pid();
        final CommandLine commandLine;
        final SharedMemoryFile mailboxFile;
        try
        {
            commandLine = parseCommandLine(argv);
            mailboxFile = SharedMemoryFile.openExisting(Path.of(commandLine.mailboxPath()));
        }
        catch (final RuntimeException ex)
        {
            System.err.println("simpler child " + pid + ": cannot open its mailbox: " + ex);
            System.exit(EXIT_INIT_FAILED);
            return;
        }
        // The mailbox is as long as its file (SPEC §7: 4096 by default, up to 65536 with Worker.Builder.mailboxSize).
        final int mailboxLength = MailboxDescriptor.isValidMailboxLength(mailboxFile.buffer().capacity())
            ? mailboxFile.buffer().capacity() : MailboxDescriptor.MAILBOX_LENGTH;
        final ChildMain child = new ChildMain(new ChildMailbox(mailboxFile.buffer(), mailboxLength), pid);
        ChildSpec spec = commandLine.spec();
        try
        {
            if (commandLine.specPath() != null)
            {
                spec = readSpec(Path.of(commandLine.specPath()));
            }
            OrphanWatchdog.start(spec.parentPid());
            child.init(spec, commandLine.callablesClass());
        }
        catch (final Throwable ex)
        {
            child.mailbox.initFailed(pid, spec.workerName() + " failed to initialise in child pid " + pid + ": "
                + ex);
            ex.printStackTrace();
            System.exit(EXIT_INIT_FAILED);
            return;
        }
        child.mailbox.ready(pid);
        System.exit(child.run(spec, mailboxFile));
    }

    @SuppressWarnings("unchecked")
    private void init(final ChildSpec spec, final String callablesClass) throws Exception
    {
        for (final SharedRegion region : spec.regions())
        {
            regions.map(region);
        }
        callables.addAll(Arrays.asList(spec.callables()));
        if (callablesClass != null)
        {
            callables.addAll(Arrays.asList(((Supplier<SubCallable[]>)Class.forName(callablesClass)
                .getDeclaredConstructor().newInstance()).get()));
        }
        if (spec.factory() != null)
        {
            nextLevel = spec.factory().create();
            if (nextLevel == null)
            {
                throw new IllegalStateException("the WorkerFactory returned null");
            }
        }
    }

    /**
     * Run the duty cycle on this thread until it ends, then release what the child holds.
     *
     * @param spec        what the engine asked for: the wait strategy, the doorbell, the worker's name.
     * @param mailboxFile the mailbox's file, closed last.
     * @return the status to exit with.
     */
    private int run(final ChildSpec spec, final SharedMemoryFile mailboxFile)
    {
        workerName = spec.workerName();
        // The duty cycle runs on this thread: the id a traced task's times are written with (SPEC §14).
        mailbox.threadId(ThreadIds.current());
        try
        {
            new AgentRunner(idleStrategy(spec), this::onError, null, this).run();
        }
        catch (final Throwable ex)
        {
            // An Error, which the runner rethrows once the handler heard of it, or a failure before the runner ran.
            if (exitStatus != EXIT_ENGINE_ERROR)
            {
                onError(ex);
            }
        }
        try
        {
            close();
            mailboxFile.close();
        }
        catch (final Throwable ex)
        {
            onError(ex);
        }
        return exitStatus;
    }

    private IdleStrategy idleStrategy(final ChildSpec spec)
    {
        if (spec.busySpin())
        {
            return new BusySpinIdleStrategy();
        }
        if (spec.doorbellPath() == null)
        {
            return new BackoffIdleStrategy(
                CHILD_BACKOFF_SPINS, CHILD_BACKOFF_YIELDS, CHILD_BACKOFF_MIN_PARK_NS, CHILD_BACKOFF_MAX_PARK_NS);
        }
        doorbell = Doorbell.open(Path.of(spec.doorbellPath()));
        return new DoorbellIdleStrategy(doorbell, mailbox, Doorbell.parentPipe());
    }

    @Override
    public String roleName()
    {
        return "simpler child " + workerName;
    }

    @Override
    public int doWork()
    {
        if (exitStatus == EXIT_ENGINE_ERROR)
        {
            // The error handler heard of an error that escaped the last duty cycle or idle: end here.
            throw new AgentTerminationException(true);
        }
        final int command;
        try
        {
            command = mailbox.poll();
        }
        catch (final MailboxProtocolException ex)
        {
            System.err.println("simpler child " + pid + " (" + workerName + "): " + ex.getMessage());
            exitStatus = EXIT_PROTOCOL_ERROR;
            throw new AgentTerminationException(true);
        }
        if (command == ChildMailbox.TASK)
        {
            runTask();
            return 1;
        }
        if (command == ChildMailbox.SHUTDOWN)
        {
            throw new AgentTerminationException(true);
        }
        // A callable that left this thread interrupted must not end the agent: its runner stops when a duty cycle
        // without work ends interrupted.
        Thread.interrupted();
        return 0;
    }

    private void onError(final Throwable throwable)
    {
        exitStatus = EXIT_ENGINE_ERROR;
        System.err.println("simpler child " + pid + " (" + workerName + "): an error escaped its duty cycle; exiting"
            + " with status " + EXIT_ENGINE_ERROR + ":");
        throwable.printStackTrace();
    }

    private void runTask()
    {
        mailbox.take();
        final long callable = fields.callable();
        if (TEST_FAULT_INJECTED && callable == TEST_FAULT_AT_CALLABLE)
        {
            throw new IllegalStateException("test fault injected into the duty cycle at callable " + callable);
        }
        if (callable == ChildUpdate.CONTROL_CALLABLE)
        {
            applyUpdate();
            return;
        }
        final String unreachable;
        try
        {
            unreachable = args.decode(fields.argsBlob(), regions);
        }
        catch (final RuntimeException ex)
        {
            mailbox.failed(MailboxDescriptor.ERROR_RUN_FAILED, "corrupt args blob: " + ex.getMessage());
            return;
        }
        if (unreachable != null)
        {
            mailbox.failed(MailboxDescriptor.ERROR_RUN_FAILED, unreachable);
            return;
        }
        try
        {
            if (nextLevel != null)
            {
                nextLevel.run(callable, args.args(), new CallConfig(fields.blockDim(), fields.aicpuThreadNum(),
                    fields.enableProfiling(), fields.enableDumpTensor()));
            }
            else
            {
                final SubCallable fn = callable >= 0 && callable < callables.size()
                    ? callables.get((int)callable) : null;
                if (fn == null)
                {
                    mailbox.failed(MailboxDescriptor.ERROR_RUN_FAILED, "unknown sub callable id " + callable + ": "
                        + callables.size() + " callable(s) registered, ids 0.." + (callables.size() - 1));
                    return;
                }
                fn.call(args.args());
            }
            mailbox.done();
        }
        catch (final Throwable ex)
        {
            mailbox.failed(MailboxDescriptor.ERROR_CALLABLE_THREW, String.valueOf(ex));
        }
    }

    private void applyUpdate()
    {
        try
        {
            final ChildUpdate update = (ChildUpdate)readObject(Path.of(fields.errorMessage()));
            for (int i = 0; i < update.callables().length; i++)
            {
                final int id = update.firstCallableId() + i;
                while (callables.size() <= id)
                {
                    callables.add(null);
                }
                callables.set(id, update.callables()[i]);
            }
            for (final SharedRegion region : update.regions())
            {
                regions.map(region);
            }
            mailbox.done();
        }
        catch (final Throwable ex)
        {
            mailbox.failed(MailboxDescriptor.ERROR_RUN_FAILED, "cannot apply the engine's update: " + ex);
        }
    }

    private void close()
    {
        CloseHelper.close(doorbell);
        if (nextLevel instanceof AutoCloseable)
        {
            try
            {
                ((AutoCloseable)nextLevel).close();
            }
            catch (final Exception ex)
            {
                System.err.println("simpler child: closing its next-level worker failed: " + ex);
            }
        }
        regions.close();
    }

    private static ChildSpec readSpec(final Path path) throws IOException, ClassNotFoundException
    {
        return (ChildSpec)readObject(path);
    }

    static Object readObject(final Path path) throws IOException, ClassNotFoundException
    {
        try (InputStream in = Files.newInputStream(path);
            ObjectInputStream objects = new ObjectInputStream(in))
        {
            return objects.readObject();
        }
    }

    private static CommandLine parseCommandLine(final String[] argv)
    {
        String mailboxPath = null;
        String specPath = null;
        final List<SharedRegion> mapped = new ArrayList<>();
        String callablesClass = null;
        boolean busySpin = false;
        for (int i = 0; i < argv.length; i++)
        {
            switch (argv[i])
            {
                case "--mailbox":
                    mailboxPath = argv[++i];
                    break;
                case "--spec":
                    specPath = argv[++i];
                    break;
                case "--region":
                    final String region = argv[++i];
                    final int at = region.lastIndexOf('@');
                    if (at < 0)
                    {
                        throw new IllegalArgumentException("--region takes <file>@<hex base address>: " + region);
                    }
                    final String path = region.substring(0, at);
                    final long base = Long.parseUnsignedLong(region.substring(at + 1).replaceFirst("^0x", ""), 16);
                    mapped.add(new SharedRegion(path, base, Path.of(path).toFile().length()));
                    break;
                case "--callables":
                    callablesClass = argv[++i];
                    break;
                case "--busy-spin":
                    busySpin = true;
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument: " + argv[i]);
            }
        }
        if (mailboxPath == null)
        {
            throw new IllegalArgumentException("--mailbox <file> is required");
        }
        final long parentPid = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
        return new CommandLine(mailboxPath, specPath, new ChildSpec("sub worker", mailboxPath,
            mapped.toArray(new SharedRegion[0]), new SubCallable[0], null, busySpin, parentPid, null), callablesClass);
    }

    /**
     * What the command line says: the mailbox, then either the engine's spec file or the parts of a spec, and the
     * class that supplies the sub callables (loaded in init, so that a failure is reported through the mailbox).
     */
    private record CommandLine(String mailboxPath, String specPath, ChildSpec spec, String callablesClass)
    {
    }
}
