package dev.simpler.engine.process;

import static dev.simpler.engine.config.Configuration.CHILD_BACKOFF_MAX_PARK_NS;
import static dev.simpler.engine.config.Configuration.CHILD_BACKOFF_MIN_PARK_NS;
import static dev.simpler.engine.config.Configuration.CHILD_BACKOFF_SPINS;
import static dev.simpler.engine.config.Configuration.CHILD_BACKOFF_YIELDS;
import static dev.simpler.engine.config.Configuration.CHILD_ROUNDS_BEFORE_SLEEP;

import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.IWorker;
import dev.simpler.engine.SubCallable;
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
 * <p>Started by the engine as {@code ChildMain --mailbox <file> --spec <spec file>}. A parent written in another
 * language starts it as {@code ChildMain --mailbox <file> [--region <file>@<engine base address, hex>]...
 * [--callables <class>] [--busy-spin]}, where the class implements {@code Supplier<SubCallable[]>}. Once the
 * mailbox is mapped, every start-up failure is reported through it (status 2 with a message).
 */
public final class ChildMain
{
    /** Exit status when initialisation failed (also reported in the mailbox). */
    public static final int EXIT_INIT_FAILED = 3;
    /** Exit status when the mailbox broke the protocol. */
    public static final int EXIT_PROTOCOL_ERROR = 4;
    /** Exit status when the engine that started the child is gone. */
    public static final int EXIT_ORPHANED = 5;


    private final ChildMailbox mailbox;
    private final MailboxFlyweight fields;
    private final ChildRegions regions = new ChildRegions();
    private final ChildArgs args = new ChildArgs();
    private final List<SubCallable> callables = new ArrayList<>();
    private IWorker nextLevel;

    private ChildMain(final ChildMailbox mailbox)
    {
        this.mailbox = mailbox;
        this.fields = mailbox.flyweight();
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
        final ChildMain child = new ChildMain(new ChildMailbox(mailboxFile.buffer()));
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
        final int status = child.loop(spec);
        child.close();
        mailboxFile.close();
        System.exit(status);
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

    private int loop(final ChildSpec spec)
    {
        final IdleStrategy idle = spec.busySpin()
            ? new BusySpinIdleStrategy()
            : new BackoffIdleStrategy(
                CHILD_BACKOFF_SPINS, CHILD_BACKOFF_YIELDS, CHILD_BACKOFF_MIN_PARK_NS, CHILD_BACKOFF_MAX_PARK_NS);
        final Doorbell doorbell = spec.busySpin() || spec.doorbellPath() == null
            ? null : Doorbell.open(Path.of(spec.doorbellPath()));
        final InputStream parentPipe = doorbell == null ? null : Doorbell.parentPipe();
        final byte[] wakeBytes = new byte[64];
        int idleRounds = 0;
        try
        {
            while (true)
            {
                final int command;
                try
                {
                    command = mailbox.poll();
                }
                catch (final MailboxProtocolException ex)
                {
                    System.err.println("simpler child " + ProcessHandle.current().pid() + " (" + spec.workerName()
                        + "): " + ex.getMessage());
                    return EXIT_PROTOCOL_ERROR;
                }
                if (command == ChildMailbox.TASK)
                {
                    runTask();
                    idle.reset();
                    idleRounds = 0;
                }
                else if (command == ChildMailbox.SHUTDOWN)
                {
                    return 0;
                }
                else if (doorbell != null && ++idleRounds > CHILD_ROUNDS_BEFORE_SLEEP)
                {
                    // Announce the sleep, then look once more: a task published before the announcement is seen
                    // here, one published after it makes the parent ring.
                    doorbell.announceSleep();
                    final boolean keepGoing = !isMailboxQuiet() || doorbell.sleep(parentPipe, wakeBytes);
                    doorbell.awake();
                    if (!keepGoing)
                    {
                        return 0;
                    }
                }
                else
                {
                    idle.idle();
                }
            }
        }
        finally
        {
            if (doorbell != null)
            {
                doorbell.close();
            }
        }
    }

    private boolean isMailboxQuiet()
    {
        try
        {
            return mailbox.poll() == ChildMailbox.NOTHING;
        }
        catch (final MailboxProtocolException ex)
        {
            // Not quiet: the main loop polls again and reports it.
            return false;
        }
    }

    private void runTask()
    {
        mailbox.take();
        final long callable = fields.callable();
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
