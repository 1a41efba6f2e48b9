package dev.simpler.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.DataType;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.remote.RemoteWorker;
import dev.simpler.remote.SecretFile;
import dev.simpler.remote.launcher.NodeMain;

/**
 * The main job's multi-host part (SPEC §15): two node JVMs on loopback addresses of their own (127.0.0.2 and
 * 127.0.0.3), each started as {@code simpler-node.jar} would be, and an L4 in this JVM with two lanes to each. Each
 * run is a two-stage pipeline over four slices of a 1 MiB tensor — {@code y = 2x} ({@code scale}), then
 * {@code z = y + x} ({@code vector-add}) — whose INPUT bytes go to the nodes and whose OUTPUT bytes come back; every
 * element of {@code z} is checked against {@code 3x}. Then the round trip of one tiny task ({@code scale} of one
 * float, checked) is timed.
 */
final class RemotePipeline
{
    private static final int NODES = 2;
    private static final int LANES_PER_NODE = 2;
    private static final int LENGTH = 256 * 1024;
    private static final int WARMUP_RUNS = 10;
    private static final int MEASURED_RUNS = 40;
    private static final int WARMUP_TRIPS = 500;
    private static final int MEASURED_TRIPS = 2_000;
    private static final long NODE_START_TIMEOUT_S = 60;
    private static final long NODE_STOP_TIMEOUT_S = 10;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private RemotePipeline()
    {
    }

    /**
     * Start the nodes, run the pipeline and the round trips, check and print, stop the nodes.
     *
     * @throws Exception when a node does not start or a result is wrong.
     */
    static void run() throws Exception
    {
        System.out.println();
        System.out.println("simpler-java demo: an L4 across hosts - " + NODES + " node JVMs on loopback addresses, "
            + LANES_PER_NODE + " lanes to each, over Aeron UDP");
        final Path directory = Files.createTempDirectory("simpler-demo-");
        final List<Process> nodes = new ArrayList<>();
        final List<RemoteWorker> lanes = new ArrayList<>();
        try
        {
            final Path secretFile = secretFile(directory);
            final byte[] secret = SecretFile.read(secretFile);
            final List<String> addresses = new ArrayList<>();
            for (int n = 0; n < NODES; n++)
            {
                final String address = freeUdpAddress("127.0.0." + (2 + n));
                nodes.add(startNode(address, secretFile));
                addresses.add(address);
            }
            for (int n = 0; n < NODES; n++)
            {
                awaitListening(nodes.get(n), addresses.get(n));
            }
            final Worker.Builder builder = Worker.builder().level(4).waitStrategy(WaitStrategy.BACKOFF)
                .heapRingSize(8L << 20);
            for (int lane = 0; lane < LANES_PER_NODE; lane++)
            {
                for (final String address : addresses)
                {
                    final RemoteWorker worker = RemoteWorker.connect(address, secret, CONNECT_TIMEOUT);
                    lanes.add(worker);
                    builder.nextLevel(worker);
                }
            }
            try (Worker l4 = builder.build())
            {
                runOn(l4);
            }
        }
        finally
        {
            for (final RemoteWorker lane : lanes)
            {
                lane.close();
            }
            stopNodes(nodes);
            Files.deleteIfExists(directory.resolve("node.secret"));
            Files.deleteIfExists(directory);
        }
    }

    private static void runOn(final Worker l4)
    {
        final Tensor x = l4.sharedTensor(DataType.FLOAT32, LENGTH);
        final Tensor y = l4.sharedTensor(DataType.FLOAT32, LENGTH);
        final Tensor z = l4.sharedTensor(DataType.FLOAT32, LENGTH);
        final Tensor ping = l4.sharedTensor(DataType.FLOAT32, 1);
        final Tensor pong = l4.sharedTensor(DataType.FLOAT32, 1);
        l4.init();
        final long scale = RemoteWorker.functionHandle("scale");
        final long add = RemoteWorker.functionHandle("vector-add");
        final int parts = NODES * LANES_PER_NODE;
        final int part = LENGTH / parts;

        final Histogram runLatency = new Histogram(3_600_000_000_000L, 3);
        for (int run = 0; run < WARMUP_RUNS + MEASURED_RUNS; run++)
        {
            final float seed = run % 31;
            for (int i = 0; i < LENGTH; i++)
            {
                x.buffer().putFloat(i * Float.BYTES, seed + i % 1000);
            }
            final long start = System.nanoTime();
            l4.run((orch, ignored) ->
            {
                final List<TaskArgs> scales = new ArrayList<>();
                final List<TaskArgs> adds = new ArrayList<>();
                for (int p = 0; p < parts; p++)
                {
                    final Tensor xp = x.slice(p * part, (p + 1) * part);
                    final Tensor yp = y.slice(p * part, (p + 1) * part);
                    final Tensor zp = z.slice(p * part, (p + 1) * part);
                    scales.add(new TaskArgs().input(xp).outputExisting(yp).addFloat(2.0f));
                    adds.add(new TaskArgs().input(yp).input(xp).outputExisting(zp));
                }
                // Each stage is a group: its members run at once, one per lane, so every stage uses both nodes.
                orch.submitNextLevelGroup(scale, scales, CallConfig.DEFAULT);
                orch.submitNextLevelGroup(add, adds, CallConfig.DEFAULT);
            }, null);
            final long end = System.nanoTime();
            check(z, seed, run);
            if (run >= WARMUP_RUNS)
            {
                runLatency.recordValue(end - start);
            }
        }

        final Histogram tripLatency = new Histogram(3_600_000_000_000L, 3);
        for (int trip = 0; trip < WARMUP_TRIPS + MEASURED_TRIPS; trip++)
        {
            ping.buffer().putFloat(0, trip);
            pong.buffer().putFloat(0, -1.0f);
            final long start = System.nanoTime();
            l4.run((orch, ignored) -> orch.submitNextLevel(scale,
                new TaskArgs().input(ping).outputExisting(pong).addFloat(2.0f), CallConfig.DEFAULT), null);
            final long end = System.nanoTime();
            if (pong.buffer().getFloat(0) != 2.0f * trip)
            {
                throw new IllegalStateException("trip " + trip + ": scale(" + trip + ") came back as "
                    + pong.buffer().getFloat(0));
            }
            if (trip >= WARMUP_TRIPS)
            {
                tripLatency.recordValue(end - start);
            }
        }

        System.out.printf("  per run: %d x scale(%d KiB slice) -> %d x vector-add, every result element checked: OK%n",
            parts, part * Float.BYTES / 1024, parts);
        System.out.printf("  run latency (%d runs, %.1f MiB to the nodes and %.1f MiB back per run): p50 %.1f us,"
            + " p99 %.1f us, p99.9 %.1f us%n", MEASURED_RUNS, 3.0 * LENGTH * Float.BYTES / (1 << 20),
            2.0 * LENGTH * Float.BYTES / (1 << 20), us(runLatency, 50), us(runLatency, 99), us(runLatency, 99.9));
        System.out.printf("  one-task round trip, L4 -> node -> L4 (scale: one float there, one back; %d trips):"
            + " p50 %.1f us, p99 %.1f us, p99.9 %.1f us: OK%n", MEASURED_TRIPS, us(tripLatency, 50),
            us(tripLatency, 99), us(tripLatency, 99.9));
    }

    private static void check(final Tensor z, final float seed, final int run)
    {
        for (int i = 0; i < LENGTH; i++)
        {
            final float expected = 3.0f * (seed + i % 1000);
            final float actual = z.buffer().getFloat(i * Float.BYTES);
            if (actual != expected)
            {
                throw new IllegalStateException("run " + run + ", element " + i + ": " + actual + " instead of "
                    + expected);
            }
        }
    }

    private static double us(final Histogram histogram, final double percentile)
    {
        return histogram.getValueAtPercentile(percentile) / 1000.0;
    }

    private static Path secretFile(final Path directory) throws IOException
    {
        final byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        final Path file = Files.createFile(directory.resolve("node.secret"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(file, secret);
        return file;
    }

    /** A UDP port free now on a loopback address (the node binds it a moment later). */
    private static String freeUdpAddress(final String host) throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(host), 0)))
        {
            return host + ":" + socket.getLocalPort();
        }
    }

    private static Process startNode(final String address, final Path secretFile) throws IOException
    {
        final String jar;
        try
        {
            jar = Path.of(RemotePipeline.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException("cannot find the demo's own jar: " + ex.getMessage(), ex);
        }
        final List<String> command = List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
            "-cp", jar, DemoNode.class.getName(),
            "--listen", address, "--secret-file", secretFile.toString(), "--sub-workers", "1");
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** Wait for the node's "listening" line; its other output is passed on, prefixed. */
    private static void awaitListening(final Process node, final String address) throws InterruptedException
    {
        final BlockingQueue<String> listening = new ArrayBlockingQueue<>(1);
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = lines.readLine()) != null)
                {
                    if (line.startsWith(NodeMain.LISTENING))
                    {
                        listening.offer(line);
                    }
                    else
                    {
                        System.out.println("  [node " + address + "] " + line);
                    }
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }, "demo-node-output-" + address);
        reader.setDaemon(true);
        reader.start();
        final String line = listening.poll(NODE_START_TIMEOUT_S, TimeUnit.SECONDS);
        if (line == null)
        {
            throw new IllegalStateException("node " + address + " did not start within " + NODE_START_TIMEOUT_S
                + " s (alive: " + node.isAlive() + ")");
        }
        System.out.println("  node pid " + node.pid() + ": " + line);
    }

    private static void stopNodes(final List<Process> nodes) throws InterruptedException
    {
        for (final Process node : nodes)
        {
            // SIGTERM: the launcher's shutdown hook closes the node and removes its files.
            node.destroy();
        }
        for (final Process node : nodes)
        {
            if (!node.waitFor(NODE_STOP_TIMEOUT_S, TimeUnit.SECONDS))
            {
                node.destroyForcibly().waitFor(NODE_STOP_TIMEOUT_S, TimeUnit.SECONDS);
            }
        }
    }
}
