package dev.simpler.remote.launcher;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;

import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;
import dev.simpler.remote.NodeFunctions;
import dev.simpler.remote.SecretFile;
import dev.simpler.remote.SimplerNode;

/**
 * The node launcher (SPEC §15), {@code remote/target/simpler-node.jar}:
 *
 * <pre>
 * java -jar simpler-node.jar --listen HOST:PORT --secret-file FILE [--sub-workers N] [--mode THREAD|PROCESS]
 *                            [--chips N] [--staging-size BYTES] [--max-sessions N]
 *                            [--wait-strategy BACKOFF|BUSY_SPIN]
 * </pre>
 *
 * <p>{@code --wait-strategy} is the node's L3 Worker's, and so its media driver's and its conductor's and runner's
 * (SPEC §15): BACKOFF (the default) idles on a shared machine; BUSY_SPIN, for a host whose cores the node may keep,
 * spins the driver's sender and receiver, the conductor, the runner and each worker, and warns when the process
 * has fewer cores than that.
 *
 * <p>It runs an L3 Worker with the built-in functions ({@link BuiltinFunctions}) and those of every
 * {@link NodeFunctions} found with {@link ServiceLoader} on its class path, prints
 * {@code simpler-node listening on HOST:PORT} once it accepts sessions, and runs until it is stopped (SIGTERM or
 * SIGINT close it cleanly). A bad option exits with status 2 and says what is wrong.
 */
public final class NodeMain
{
    /** The line printed once the node accepts sessions, followed by its address. */
    public static final String LISTENING = "simpler-node listening on ";

    private static final String USAGE = "usage: java -jar simpler-node.jar --listen HOST:PORT --secret-file FILE "
        + "[--sub-workers N] [--mode THREAD|PROCESS] [--chips N] [--staging-size BYTES] [--max-sessions N] "
        + "[--wait-strategy BACKOFF|BUSY_SPIN]";

    private NodeMain()
    {
    }

    /**
     * Run a node until the JVM is stopped.
     *
     * @param args the options.
     */
    public static void main(final String[] args)
    {
        final Options options;
        try
        {
            options = Options.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("simpler-node: " + ex.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        final SimplerNode node;
        try
        {
            node = start(options);
        }
        catch (final RuntimeException ex)
        {
            System.err.println("simpler-node: " + ex.getMessage());
            System.exit(ex instanceof IllegalArgumentException ? 2 : 1);
            return;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            node.close();
            stopped.countDown();
        }, "simpler-node-stop"));
        System.out.println(LISTENING + node.listenAddress());
        System.out.flush();
        try
        {
            stopped.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Build and start the node the options describe.
     *
     * @param options the options.
     * @return the node.
     */
    static SimplerNode start(final Options options)
    {
        final byte[] secret = SecretFile.read(options.secretFile);
        if (options.chips > 0)
        {
            ChipSupport.check();
        }
        final Worker.Builder builder = Worker.builder().mode(options.mode).subWorkers(options.subWorkers)
            .waitStrategy(options.waitStrategy);
        if (options.waitStrategy == WaitStrategy.BUSY_SPIN)
        {
            warnWhenShortOfCores(options);
        }
        for (int chip = 0; chip < options.chips; chip++)
        {
            builder.nextLevel(ChipSupport.chip(chip));
        }
        final Worker l3 = builder.build();
        final SimplerNode.Builder node = SimplerNode.builder().listen(options.listen).secret(secret).worker(l3);
        if (options.stagingSize > 0)
        {
            node.stagingSize(options.stagingSize);
        }
        if (options.maxSessions > 0)
        {
            node.maxSessions(options.maxSessions);
        }
        try
        {
            BuiltinFunctions.register(l3, node, options.subWorkers, options.chips > 0);
            for (final NodeFunctions provider : ServiceLoader.load(NodeFunctions.class))
            {
                provider.register(l3, node);
            }
        }
        catch (final RuntimeException ex)
        {
            l3.close();
            throw ex;
        }
        finally
        {
            Arrays.fill(secret, (byte)0);
        }
        return node.start();
    }

    /**
     * A busy-spinning node keeps a core per spinning thread: the media driver's sender and receiver, the conductor,
     * the runner (the orchestrating thread of its runs), a thread (THREAD mode) or a child process (PROCESS mode) per
     * sub worker, and a thread per chip.
     * With fewer cores they take turns, and every hand-off waits for the operating system's scheduler.
     */
    private static void warnWhenShortOfCores(final Options options)
    {
        final int spinners = 4 + options.subWorkers + options.chips;
        final int cores = Runtime.getRuntime().availableProcessors();
        if (cores < spinners)
        {
            System.err.println("simpler-node: --wait-strategy BUSY_SPIN spins " + spinners + " threads but this "
                + "process has " + cores + " cores: they will take turns; BACKOFF suits a shared machine");
        }
    }

    /**
     * The launcher's options.
     */
    static final class Options
    {
        String listen;
        Path secretFile;
        int subWorkers = 2;
        WorkerMode mode = WorkerMode.THREAD;
        int chips;
        long stagingSize;
        int maxSessions;
        WaitStrategy waitStrategy = WaitStrategy.BACKOFF;

        static Options parse(final String[] args)
        {
            final Options options = new Options();
            for (int i = 0; i < args.length; i++)
            {
                final String option = args[i];
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException(option + " needs a value");
                }
                final String value = args[++i];
                switch (option)
                {
                    case "--listen":
                        options.listen = value;
                        break;
                    case "--secret-file":
                        options.secretFile = Path.of(value);
                        break;
                    case "--sub-workers":
                        options.subWorkers = count(option, value, 0, 1024);
                        break;
                    case "--mode":
                        options.mode = choice(option, value, WorkerMode.class, "THREAD or PROCESS");
                        break;
                    case "--chips":
                        options.chips = count(option, value, 0, 16);
                        break;
                    case "--staging-size":
                        options.stagingSize = number(option, value);
                        break;
                    case "--max-sessions":
                        options.maxSessions = count(option, value, 1, 1024);
                        break;
                    case "--wait-strategy":
                        options.waitStrategy = choice(option, value, WaitStrategy.class, "BACKOFF or BUSY_SPIN");
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option " + option);
                }
            }
            if (options.listen == null || options.secretFile == null)
            {
                throw new IllegalArgumentException("--listen and --secret-file are required");
            }
            return options;
        }

        private static <E extends Enum<E>> E choice(
            final String option, final String value, final Class<E> type, final String choices)
        {
            try
            {
                return Enum.valueOf(type, value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException(option + " must be " + choices + ": " + value, ex);
            }
        }

        private static int count(final String option, final String value, final int min, final int max)
        {
            final long n = number(option, value);
            if (n < min || n > max)
            {
                throw new IllegalArgumentException(option + " must be " + min + " to " + max + ": " + value);
            }
            return (int)n;
        }

        private static long number(final String option, final String value)
        {
            try
            {
                return Long.parseLong(value);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException(option + " must be a number: " + value, ex);
            }
        }
    }
}
