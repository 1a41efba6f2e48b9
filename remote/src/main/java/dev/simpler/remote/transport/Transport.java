package dev.simpler.remote.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import dev.simpler.engine.WaitStrategy;
import io.aeron.Aeron;
import io.aeron.Subscription;
import io.aeron.exceptions.RegistrationException;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;

/**
 * The process's one embedded Aeron media driver and its client (SPEC §15), shared by every node and RemoteWorker of
 * the process and closed when the last of them is. The driver's directory is a fresh one under {@code /dev/shm},
 * deleted at close, at JVM exit, or by the next process's sweep when this one was killed.
 *
 * <p>The driver runs its conductor, sender and receiver on one thread that backs off when idle (the
 * {@link WaitStrategy#BACKOFF} default, right for a small machine); the first user asking for
 * {@link WaitStrategy#BUSY_SPIN} gets a driver whose sender and receiver spin on threads of their own.
 * All access goes through {@link #acquire} and {@link #release}, under the class lock.
 */
public final class Transport
{
    /** Driver directories are named {@code simpler-aeron-<pid>-<hex>}. */
    public static final String DIRECTORY_PREFIX = "simpler-aeron-";

    private static final Pattern DIRECTORY_PATTERN = Pattern.compile("simpler-aeron-(\\d{1,19})-[0-9a-f]{16}");
    private static final long DRIVER_TIMEOUT_MS = 10_000L;
    private static final long LOG_INTERVAL_NS = 1_000_000_000L;

    private static Transport shared;
    private static int users;
    private static Thread shutdownHook;

    /** Attempts at binding a reply endpoint on a port another process took between its choice and the bind. */
    private static final int REPLY_BIND_ATTEMPTS = 5;

    private final Path directory;
    private final MediaDriver driver;
    private final Aeron aeron;
    /** The reply port of this process's lanes, per local address; guarded by this. */
    private final Map<InetAddress, Integer> replyPorts = new HashMap<>();

    private Transport(final Path directory, final MediaDriver driver, final Aeron aeron)
    {
        this.directory = directory;
        this.driver = driver;
        this.aeron = aeron;
    }

    /**
     * Take a reference to the process's transport, starting it on first use.
     *
     * @param strategy how the driver's threads wait, when this call starts it.
     * @return the transport; give it back with {@link #release}.
     */
    public static synchronized Transport acquire(final WaitStrategy strategy)
    {
        if (shared == null)
        {
            shared = start(strategy);
            if (shutdownHook == null)
            {
                shutdownHook = new Thread(Transport::closeAtExit, "simpler-remote-exit");
                Runtime.getRuntime().addShutdownHook(shutdownHook);
            }
        }
        users++;
        return shared;
    }

    /**
     * Give back a reference; the last one closes the client and the driver and deletes the driver's directory.
     *
     * @param transport what {@link #acquire} returned.
     */
    public static synchronized void release(final Transport transport)
    {
        if (transport == null || transport != shared)
        {
            return;
        }
        if (--users == 0)
        {
            shared = null;
            transport.closeNow();
        }
    }

    /**
     * The Aeron client.
     *
     * @return the client.
     */
    public Aeron aeron()
    {
        return aeron;
    }

    /**
     * How the driver's one thread waits when it runs conductor, sender and receiver together (a backing-off Worker).
     *
     * @return the strategy, or null when the driver runs them on threads of their own (busy-spin).
     */
    public IdleStrategy sharedIdleStrategy()
    {
        final MediaDriver.Context context = driver.context();
        return context.threadingMode() == ThreadingMode.SHARED ? context.sharedIdleStrategy() : null;
    }

    /**
     * The driver's directory.
     *
     * @return its path.
     */
    public Path directory()
    {
        return directory;
    }

    /**
     * Delete driver directories of processes that no longer run (killed before they could remove theirs).
     *
     * @param parent where the directories are.
     * @return how many were deleted.
     */
    public static int sweepStale(final Path parent)
    {
        if (!Files.isDirectory(parent))
        {
            return 0;
        }
        int deleted = 0;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(parent, DIRECTORY_PREFIX + "*"))
        {
            for (final Path dir : stream)
            {
                final Matcher matcher = DIRECTORY_PATTERN.matcher(dir.getFileName().toString());
                if (!matcher.matches())
                {
                    continue;
                }
                final long pid = Long.parseLong(matcher.group(1));
                if (pid == ProcessHandle.current().pid()
                    || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                {
                    continue;
                }
                final BasicFileAttributes attributes = Files.readAttributes(dir, BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
                if (attributes.isDirectory())
                {
                    IoUtil.delete(dir.toFile(), true);
                    deleted++;
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to sweep stale Aeron directories in " + parent, ex);
        }
        return deleted;
    }

    /**
     * Where driver directories go: {@code /dev/shm} when it exists, as Aeron's own default.
     *
     * @return the parent directory.
     */
    public static Path parentDirectory()
    {
        final Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * The port on which every lane of this process that sends from {@code local} takes its node's replies: one UDP
     * endpoint for them all, each lane subscribing to the stream its node sends on (numbered by the session id of the
     * lane's own publication), so that the media driver reads one socket however many lanes there are. Bound on first
     * use, and held by a subscription of its own until the transport closes, so that the port stays this process's
     * while lanes come and go.
     *
     * @param local the local address the lanes send from.
     * @return the port.
     * @throws IllegalStateException when no port could be bound.
     */
    public synchronized int replyPort(final InetAddress local)
    {
        final Integer known = replyPorts.get(local);
        if (known != null)
        {
            return known;
        }
        RuntimeException last = null;
        for (int attempt = 0; attempt < REPLY_BIND_ATTEMPTS; attempt++)
        {
            // An explicit port, not 0: the driver shares an endpoint between channels that name the same address
            // and port, while each channel on port 0 would bind a socket of its own.
            final int port = freeUdpPort(local);
            try
            {
                final Subscription anchor = aeron.addSubscription(replyChannel(local, port),
                    RemoteConfiguration.REPLY_ANCHOR_STREAM_ID);
                assert anchor != null;
                replyPorts.put(local, port);
                return port;
            }
            catch (final RegistrationException ex)
            {
                last = ex;
            }
        }
        throw new IllegalStateException("no UDP port for the replies of nodes could be bound on " + local + " in "
            + REPLY_BIND_ATTEMPTS + " attempts: " + (last != null ? last.getMessage() : "?"), last);
    }

    /**
     * The channel of the lanes' reply subscriptions: the same string for every lane on a local address, so that
     * the driver shares one endpoint between them.
     *
     * @param local the local address.
     * @param port  the reply port ({@link #replyPort}).
     * @return the channel URI.
     */
    public static String replyChannel(final InetAddress local, final int port)
    {
        return "aeron:udp?endpoint=" + HostAndPort.endpoint(local, port) + "|so-rcvbuf="
            + RemoteConfiguration.REPLY_SO_RCVBUF;
    }

    private static int freeUdpPort(final InetAddress local)
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(local, 0)))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("no UDP port free on " + local + ": " + ex.getMessage(), ex);
        }
    }

    private static Transport start(final WaitStrategy strategy)
    {
        final Path parent = parentDirectory();
        sweepStale(parent);
        final Path directory = parent.resolve(DIRECTORY_PREFIX + ProcessHandle.current().pid() + "-"
            + String.format("%016x", ThreadLocalRandom.current().nextLong()));
        final MediaDriver.Context driverContext = new MediaDriver.Context()
            .aeronDirectoryName(directory.toString())
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .warnIfDirectoryExists(false)
            .termBufferSparseFile(true)
            .publicationTermBufferLength(RemoteConfiguration.TERM_LENGTH)
            .mtuLength(RemoteConfiguration.MTU)
            .errorHandler(Transport::logError)
            .conductorThreadFactory(daemon())
            .senderThreadFactory(daemon())
            .receiverThreadFactory(daemon())
            .sharedThreadFactory(daemon())
            .sharedNetworkThreadFactory(daemon());
        if (strategy == WaitStrategy.BUSY_SPIN)
        {
            driverContext.threadingMode(ThreadingMode.DEDICATED)
                .conductorIdleStrategy(backoff())
                .senderIdleStrategy(new BusySpinIdleStrategy())
                .receiverIdleStrategy(new BusySpinIdleStrategy());
        }
        else
        {
            driverContext.threadingMode(ThreadingMode.SHARED).sharedIdleStrategy(new BackoffIdleStrategy(
                RemoteConfiguration.DRIVER_IDLE_MAX_SPINS, RemoteConfiguration.DRIVER_IDLE_MAX_YIELDS,
                RemoteConfiguration.IDLE_MIN_PARK_NS, RemoteConfiguration.IDLE_MAX_PARK_NS));
        }
        MediaDriver driver = null;
        Aeron aeron = null;
        try
        {
            driver = MediaDriver.launchEmbedded(driverContext);
            aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(driver.aeronDirectoryName())
                .driverTimeoutMs(DRIVER_TIMEOUT_MS)
                .errorHandler(Transport::logError)
                .threadFactory(daemon()));
            return new Transport(directory, driver, aeron);
        }
        catch (final RuntimeException | Error ex)
        {
            CloseHelper.quietCloseAll(aeron, driver);
            IoUtil.delete(directory.toFile(), true);
            throw ex;
        }
    }

    /**
     * The idle strategy of a thread of this module that backs off.
     *
     * @return a new strategy.
     */
    public static IdleStrategy backoff()
    {
        return new BackoffIdleStrategy(RemoteConfiguration.IDLE_MAX_SPINS, RemoteConfiguration.IDLE_MAX_YIELDS,
            RemoteConfiguration.IDLE_MIN_PARK_NS, RemoteConfiguration.IDLE_MAX_PARK_NS);
    }

    /**
     * The idle strategy for a thread of this module that follows a Worker's wait strategy.
     *
     * @param strategy the wait strategy.
     * @return a new strategy.
     */
    public static IdleStrategy idleStrategy(final WaitStrategy strategy)
    {
        return strategy == WaitStrategy.BUSY_SPIN ? new BusySpinIdleStrategy() : backoff();
    }

    /**
     * A thread factory of daemon threads, so that nothing of this module keeps a JVM alive that its user forgot to
     * close; the shutdown hook still closes the transport.
     *
     * @return the factory.
     */
    public static ThreadFactory daemon()
    {
        return (runnable) ->
        {
            final Thread thread = new Thread(runnable);
            thread.setDaemon(true);
            return thread;
        };
    }

    private static long lastLogNs = System.nanoTime() - 2 * LOG_INTERVAL_NS;
    private static long unlogged;

    /** Aeron's errors and warnings (a peer unreachable: one per datagram), at most one line a second. */
    private static synchronized void logError(final Throwable error)
    {
        final long now = System.nanoTime();
        if (now - lastLogNs < LOG_INTERVAL_NS)
        {
            unlogged++;
            return;
        }
        lastLogNs = now;
        System.err.println("simpler-remote: aeron: " + error
            + (unlogged > 0 ? " (and " + unlogged + " more since the last line)" : ""));
        unlogged = 0;
    }

    private static synchronized void closeAtExit()
    {
        if (shared != null)
        {
            shared.closeNow();
            shared = null;
            users = 0;
        }
    }

    private void closeNow()
    {
        CloseHelper.closeAll(aeron, driver);
        // dirDeleteOnShutdown removes it; this covers a driver that failed half way through its close.
        IoUtil.delete(directory.toFile(), true);
    }
}
