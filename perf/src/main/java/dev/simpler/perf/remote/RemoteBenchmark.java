package dev.simpler.perf.remote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.HdrHistogram.Histogram;
import org.agrona.BufferUtil;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.DataType;
import dev.simpler.engine.OrchFn;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.remote.RemoteWorker;
import dev.simpler.remote.SecretFile;

/**
 * SPEC §12's three remote rows, measured from an L4 against nodes in other JVMs (other network namespaces when
 * {@code perf/remote-bench.sh} can make them), each next to its baseline in the same run, rounds of the two
 * interleaved so that a change in the machine's load falls on both:
 *
 * <ol>
 *   <li>one-task round trip: {@code run} of one task of the node's {@code echo} on one 4-byte INOUT tensor, one lane
 *       to node 1, against a 4-byte ping through the raw Aeron echo peer ({@link RawEchoPeer}) on node 1's host;
 *       p50, p99, p99.9 (HdrHistogram) over all measured rounds;</li>
 *   <li>throughput of tiny tasks (the same echo, each on a 4-byte INOUT cell of its own) on two nodes, k lanes per
 *       node against one lane per node (one task in flight per node, upstream's design); a fresh L4 and fresh lanes
 *       for each round, so that the idle lanes of the other configuration cost the measured one nothing;</li>
 *   <li>a 64 MiB INOUT tensor there and back ({@code echo} again) against the raw echo of the same bytes, sent in
 *       pieces of one frame and sent back once the peer had them all, as a node does.</li>
 * </ol>
 *
 * <p>Every thread backs off when idle (the remote module's default and the raw echo's), unless {@code
 * --wait-strategy BUSY_SPIN}: then rows 1 and 3 run with an L4 Worker, a lane and a raw echo client that busy-spin
 * (and {@code perf/remote-bench.sh} starts node 1 and the echo peer busy-spinning too), as on hosts with cores to
 * spare; row 2 keeps backing off, since each of its 2k lanes has a thread of its own. The load average of the
 * machine is printed before and after each row. Arguments: {@code --secret-file FILE --node1 HOST:PORT --node2
 * HOST:PORT --echo HOST:PORT [--lanes K] [--rounds N] [--samples N] [--seconds S] [--pids NODE1,NODE2,ECHO]
 * [--rows 123] [--wait-strategy BACKOFF|BUSY_SPIN]}: the process ids of the nodes and the peer, where known, add
 * the CPU time each process used per task to rows 1 and 2.
 */
public final class RemoteBenchmark
{
    /** The node function every row runs: INOUT bytes come back as they went. */
    static final String ECHO = "echo";

    /** Bytes of a tiny task's tensor and of a raw ping. */
    static final int TINY_BYTES = 4;

    /** Bytes of the large transfer. */
    static final int BULK_BYTES = 64 << 20;

    /** Tasks of one run in the throughput row: large, so that the drain at the end of a run costs little. */
    static final int BATCH = 4096;

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final int WARMUP_ROUNDS = 2;
    private static final int BULK_WARMUP_ROUNDS = 1;
    private static final double THROUGHPUT_WARMUP_SECONDS = 0.5;
    private static final double NS_PER_US = 1_000.0;

    private RemoteBenchmark()
    {
    }

    /**
     * Run the three rows and print them.
     *
     * @param args the options (see the class comment).
     * @throws Exception when a node or the echo peer cannot be reached, or a task fails.
     */
    public static void main(final String[] args) throws Exception
    {
        final Options options = Options.parse(args);
        ProcessHandle.current().parent().ifPresent((parent) -> parent.onExit().thenRun(() -> System.exit(3)));
        final byte[] secret = SecretFile.read(options.secretFile);
        System.out.printf(Locale.ROOT, "remote benchmark, %s, JDK %s, %d CPUs; node 1 %s (echo peer %s), node 2 %s; "
            + "rows 1 and 3 %s%n", Instant.now(), Runtime.version(), Runtime.getRuntime().availableProcessors(),
            options.node1, options.echo, options.node2, options.waitStrategy);
        final double[] ratios = new double[3];
        final CpuMeter meter = new CpuMeter(ProcessHandle.current().pid(), options.pids[0], options.pids[1],
            options.pids[2]);
        if (options.rows.contains("1") || options.rows.contains("3"))
        {
            latencyAndTransfer(options, secret, meter, ratios);
        }
        if (options.rows.contains("2"))
        {
            ratios[1] = throughput(options, secret, meter);
        }
        System.out.printf(Locale.ROOT, "%nSPEC 12 remote rows: round trip p50 %.2fx raw Aeron (target <= 1.5x); "
            + "throughput k=%d %.1fx k=1 (target >= 10x); 64 MiB there and back %.2fx raw Aeron's rate "
            + "(target >= 0.7x)%n", ratios[0], options.lanes, ratios[1], ratios[2]);
        System.out.flush();
        System.exit(0);
    }

    private static void latencyAndTransfer(
        final Options options, final byte[] secret, final CpuMeter meter, final double[] ratios) throws Exception
    {
        try (RawEchoClient raw = RawEchoClient.connect(options.echo, CONNECT_TIMEOUT, options.waitStrategy))
        {
            final RemoteWorker lane = RemoteWorker.connect(options.node1, secret, CONNECT_TIMEOUT,
                options.waitStrategy);
            try (Worker l4 = Worker.builder().level(4).nextLevel(lane).heapRingSize(1 << 20)
                .waitStrategy(options.waitStrategy).build())
            {
                l4.init();
                if (options.rows.contains("1"))
                {
                    ratios[0] = roundTrip(options, l4, raw, meter);
                }
                if (options.rows.contains("3"))
                {
                    ratios[2] = transfer(options, l4, raw);
                }
            }
            finally
            {
                lane.close();
            }
        }
    }

    /** Row 1; returns remote p50 ÷ raw p50 over all measured rounds. */
    private static double roundTrip(
        final Options options, final Worker l4, final RawEchoClient raw, final CpuMeter meter)
    {
        final Tensor tiny = l4.sharedTensor(DataType.INT32, TINY_BYTES / Integer.BYTES);
        final TaskArgs args = new TaskArgs().inout(tiny);
        final long echo = RemoteWorker.functionHandle(ECHO);
        final OrchFn<Void> oneTask = (orch, unused) -> orch.submitNextLevel(echo, args, CallConfig.DEFAULT);
        final Histogram rawAll = new Histogram(3);
        final Histogram remoteAll = new Histogram(3);
        final double[] roundRatios = new double[options.rounds];
        final RoundCpu rawCpu = new RoundCpu();
        final RoundCpu remoteCpu = new RoundCpu();
        final String loadBefore = loadAverage();
        for (int round = -WARMUP_ROUNDS; round < options.rounds; round++)
        {
            final Histogram rawRound = new Histogram(3);
            final Histogram remoteRound = new Histogram(3);
            for (int pass = 0; pass < 2; pass++)
            {
                final CpuMeter.Sample before = meter.sample();
                final boolean isRaw = (pass == 0) == (round % 2 == 0);
                if (isRaw)
                {
                    for (int i = 0; i < options.samples; i++)
                    {
                        final long start = System.nanoTime();
                        raw.ping(i, TINY_BYTES);
                        rawRound.recordValue(System.nanoTime() - start);
                    }
                }
                else
                {
                    for (int i = 0; i < options.samples; i++)
                    {
                        tiny.buffer().putInt(0, i);
                        final long start = System.nanoTime();
                        l4.run(oneTask, null);
                        remoteRound.recordValue(System.nanoTime() - start);
                        if (tiny.buffer().getInt(0) != i)
                        {
                            throw new IllegalStateException("the echo of " + i + " came back as "
                                + tiny.buffer().getInt(0));
                        }
                    }
                }
                if (round >= 0)
                {
                    (isRaw ? rawCpu : remoteCpu).add(options.samples, before, meter.sample());
                }
            }
            if (round >= 0)
            {
                rawAll.add(rawRound);
                remoteAll.add(remoteRound);
                roundRatios[round] = (double)remoteRound.getValueAtPercentile(50)
                    / rawRound.getValueAtPercentile(50);
            }
        }
        final double ratio = (double)remoteAll.getValueAtPercentile(50) / rawAll.getValueAtPercentile(50);
        System.out.printf(Locale.ROOT, "%n1. one-task round trip, 4 bytes: %d rounds x %d samples each, after %d "
            + "warm-up rounds; load average %s -> %s%n", options.rounds, options.samples, WARMUP_ROUNDS, loadBefore,
            loadAverage());
        System.out.println("| system | p50 µs | p99 µs | p99.9 µs | max µs | samples | CPU µs per round trip: "
            + "L4 / node 1 / echo peer | machine busy |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        printLatency("raw Aeron echo", rawAll, rawCpu);
        printLatency("remote task (L4 -> node -> L4)", remoteAll, remoteCpu);
        System.out.printf(Locale.ROOT, "p50 ratio remote / raw: %.2fx (rounds: %s; median %.2fx)%n", ratio,
            format(roundRatios, "%.2f"), median(roundRatios));
        return ratio;
    }

    /** Row 3; returns raw time ÷ remote time (the remote's rate as a share of raw's), medians of the rounds. */
    private static double transfer(final Options options, final Worker l4, final RawEchoClient raw)
    {
        final Tensor big = l4.sharedTensor(DataType.INT32, BULK_BYTES / Integer.BYTES);
        final UnsafeBuffer from = new UnsafeBuffer(BufferUtil.allocateDirectAligned(BULK_BYTES, 64));
        final UnsafeBuffer back = new UnsafeBuffer(BufferUtil.allocateDirectAligned(BULK_BYTES, 64));
        for (int i = 0; i < BULK_BYTES; i += Integer.BYTES)
        {
            from.putInt(i, i * 31 + 7);
            big.buffer().putInt(i, i * 31 + 7);
        }
        final TaskArgs args = new TaskArgs().inout(big);
        final long echo = RemoteWorker.functionHandle(ECHO);
        final OrchFn<Void> oneTask = (orch, unused) -> orch.submitNextLevel(echo, args, CallConfig.DEFAULT);
        final double[] rawSeconds = new double[options.rounds];
        final double[] remoteSeconds = new double[options.rounds];
        final String loadBefore = loadAverage();
        for (int round = -BULK_WARMUP_ROUNDS; round < options.rounds; round++)
        {
            for (int pass = 0; pass < 2; pass++)
            {
                if ((pass == 0) == (round % 2 == 0))
                {
                    back.setMemory(0, BULK_BYTES, (byte)0);
                    final long start = System.nanoTime();
                    raw.transfer(from, back);
                    final long elapsed = System.nanoTime() - start;
                    if (!sameBytes(from, back))
                    {
                        throw new IllegalStateException("the raw echo of 64 MiB came back with other bytes");
                    }
                    if (round >= 0)
                    {
                        rawSeconds[round] = elapsed / 1e9;
                    }
                }
                else
                {
                    final long start = System.nanoTime();
                    l4.run(oneTask, null);
                    final long elapsed = System.nanoTime() - start;
                    if (round >= 0)
                    {
                        remoteSeconds[round] = elapsed / 1e9;
                    }
                }
            }
        }
        final double rawMedian = median(rawSeconds);
        final double remoteMedian = median(remoteSeconds);
        final double ratio = rawMedian / remoteMedian;
        System.out.printf(Locale.ROOT, "%n3. 64 MiB INOUT there and back: %d rounds each, after %d warm-up round; "
            + "load average %s -> %s%n", options.rounds, BULK_WARMUP_ROUNDS, loadBefore, loadAverage());
        System.out.println("| system | median s | rounds s | GB/s (2 x 64 MiB moved) |");
        System.out.println("| --- | --- | --- | --- |");
        System.out.printf(Locale.ROOT, "| raw Aeron echo | %.3f | %s | %.3f |%n", rawMedian, format(rawSeconds, "%.3f"),
            2.0 * BULK_BYTES / rawMedian / 1e9);
        System.out.printf(Locale.ROOT, "| remote task (echo) | %.3f | %s | %.3f |%n", remoteMedian,
            format(remoteSeconds, "%.3f"), 2.0 * BULK_BYTES / remoteMedian / 1e9);
        System.out.printf(Locale.ROOT, "rate ratio remote / raw (raw time / remote time): %.2fx%n", ratio);
        return ratio;
    }

    /** Row 2; returns the median tasks/s with k lanes per node ÷ that with one. */
    private static double throughput(final Options options, final byte[] secret, final CpuMeter meter)
        throws Exception
    {
        final double[] single = new double[options.rounds];
        final double[] many = new double[options.rounds];
        final double[] roundRatios = new double[options.rounds];
        final RoundCpu singleCpu = new RoundCpu();
        final RoundCpu manyCpu = new RoundCpu();
        final String loadBefore = loadAverage();
        for (int round = -1; round < options.rounds; round++)
        {
            final boolean singleFirst = round % 2 == 0;
            final RoundCpu firstCpu = round < 0 ? new RoundCpu() : singleFirst ? singleCpu : manyCpu;
            final RoundCpu secondCpu = round < 0 ? new RoundCpu() : singleFirst ? manyCpu : singleCpu;
            final double first = throughputRound(options, secret, singleFirst ? 1 : options.lanes, meter, firstCpu);
            final double second = throughputRound(options, secret, singleFirst ? options.lanes : 1, meter, secondCpu);
            if (round >= 0)
            {
                single[round] = singleFirst ? first : second;
                many[round] = singleFirst ? second : first;
                roundRatios[round] = many[round] / single[round];
            }
        }
        final double ratio = median(many) / median(single);
        System.out.printf(Locale.ROOT, "%n2. throughput of tiny tasks (echo, one 4-byte INOUT cell each) on 2 nodes: "
            + "%d rounds of %.1f s each, a fresh L4 per round after %.1f s of warm-up, runs of %d tasks; load average "
            + "%s -> %s%n", options.rounds, options.seconds, THROUGHPUT_WARMUP_SECONDS, BATCH, loadBefore,
            loadAverage());
        System.out.println("| lanes per node | tasks in flight | median tasks/s | rounds tasks/s | CPU µs per task: "
            + "L4 / node 1 / node 2 | machine busy |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        System.out.printf(Locale.ROOT, "| 1 (upstream's design) | 2 | %.0f | %s | %s | %s |%n", median(single),
            format(single, "%.0f"), singleCpu.perTask(0, 1, 2), singleCpu.busy());
        System.out.printf(Locale.ROOT, "| %d | %d | %.0f | %s | %s | %s |%n", options.lanes, 2 * options.lanes,
            median(many), format(many, "%.0f"), manyCpu.perTask(0, 1, 2), manyCpu.busy());
        System.out.printf(Locale.ROOT, "ratio k=%d / k=1: %.1fx (rounds: %s)%n", options.lanes, ratio,
            format(roundRatios, "%.1f"));
        return ratio;
    }

    /**
     * One round of the throughput row: a fresh L4 with {@code lanesPerNode} lanes to each node; tasks/s. The CPU the
     * measured part used goes to {@code cpu}.
     */
    private static double throughputRound(
        final Options options, final byte[] secret, final int lanesPerNode, final CpuMeter meter, final RoundCpu cpu)
    {
        final List<RemoteWorker> lanes = new ArrayList<>();
        try
        {
            final Worker.Builder builder = Worker.builder().level(4).heapRingSize(1 << 20);
            for (int i = 0; i < lanesPerNode; i++)
            {
                for (final String node : List.of(options.node1, options.node2))
                {
                    final RemoteWorker lane = RemoteWorker.connect(node, secret, CONNECT_TIMEOUT);
                    lanes.add(lane);
                    builder.nextLevel(lane);
                }
            }
            try (Worker l4 = builder.build())
            {
                l4.init();
                final Tensor cells = l4.sharedTensor(DataType.INT32, BATCH);
                final TaskArgs[] args = new TaskArgs[BATCH];
                for (int i = 0; i < BATCH; i++)
                {
                    args[i] = new TaskArgs().inout(cells.slice(i, i + 1));
                }
                final long echo = RemoteWorker.functionHandle(ECHO);
                final OrchFn<Void> batch = (orch, unused) ->
                {
                    for (final TaskArgs task : args)
                    {
                        orch.submitNextLevel(echo, task, CallConfig.DEFAULT);
                    }
                };
                runFor(l4, batch, THROUGHPUT_WARMUP_SECONDS);
                final CpuMeter.Sample before = meter.sample();
                final long start = System.nanoTime();
                final long tasks = runFor(l4, batch, options.seconds);
                final long elapsed = System.nanoTime() - start;
                cpu.add(tasks, before, meter.sample());
                return tasks * 1e9 / elapsed;
            }
        }
        finally
        {
            lanes.forEach(CloseHelper::quietClose);
        }
    }

    /** Run batches until {@code seconds} passed; the tasks run. */
    private static long runFor(final Worker l4, final OrchFn<Void> batch, final double seconds)
    {
        final long end = System.nanoTime() + (long)(seconds * 1e9);
        long tasks = 0;
        do
        {
            l4.run(batch, null);
            tasks += BATCH;
        }
        while (System.nanoTime() - end < 0);
        return tasks;
    }

    private static boolean sameBytes(final UnsafeBuffer a, final UnsafeBuffer b)
    {
        for (int i = 0; i < a.capacity(); i += Long.BYTES)
        {
            if (a.getLong(i) != b.getLong(i))
            {
                return false;
            }
        }
        return true;
    }

    private static void printLatency(final String system, final Histogram histogram, final RoundCpu cpu)
    {
        System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.1f | %d | %s | %s |%n", system,
            histogram.getValueAtPercentile(50) / NS_PER_US, histogram.getValueAtPercentile(99) / NS_PER_US,
            histogram.getValueAtPercentile(99.9) / NS_PER_US, histogram.getMaxValue() / NS_PER_US,
            histogram.getTotalCount(), cpu.perTask(0, 1, 3), cpu.busy());
    }

    private static double median(final double[] values)
    {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static String format(final double[] values, final String format)
    {
        final StringBuilder text = new StringBuilder();
        for (final double value : values)
        {
            text.append(text.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, format, value));
        }
        return text.toString();
    }

    /** The machine's load average over 1, 5 and 15 minutes, from {@code /proc/loadavg}. */
    private static String loadAverage()
    {
        try
        {
            final String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        }
        catch (final IOException ex)
        {
            return "unknown";
        }
    }

    /** CPU used by the measured parts of a configuration's rounds: this JVM's, node 1's, node 2's, the peer's. */
    private static final class RoundCpu
    {
        private long tasks;
        private final double[] seconds = new double[4];
        private double busy;
        private int rounds;

        void add(final long roundTasks, final CpuMeter.Sample before, final CpuMeter.Sample after)
        {
            tasks += roundTasks;
            for (int i = 0; i < seconds.length; i++)
            {
                seconds[i] += after.secondsSince(before, i);
            }
            busy += after.busySince(before);
            rounds++;
        }

        String perTask(final int... processes)
        {
            final StringBuilder text = new StringBuilder();
            for (final int i : processes)
            {
                text.append(text.length() == 0 ? "" : " / ")
                    .append(String.format(Locale.ROOT, "%.0f", seconds[i] * 1e6 / tasks));
            }
            return text.toString();
        }

        String busy()
        {
            return String.format(Locale.ROOT, "%.0f %%", 100 * busy / rounds);
        }
    }

    /** The command line. */
    private static final class Options
    {
        Path secretFile;
        String node1;
        String node2;
        String echo;
        int lanes = 16;
        int rounds = 5;
        int samples = 4000;
        double seconds = 2.0;
        long[] pids = {0, 0, 0};
        /** Which rows to run, by number: 1 round trip, 2 throughput, 3 the 64 MiB transfer. */
        String rows = "123";
        /** How the L4, its lane and the raw echo client of rows 1 and 3 wait. */
        WaitStrategy waitStrategy = WaitStrategy.BACKOFF;

        static Options parse(final String[] args)
        {
            final Options options = new Options();
            for (int i = 0; i < args.length; i += 2)
            {
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException("option " + args[i] + " needs a value");
                }
                final String value = args[i + 1];
                switch (args[i])
                {
                    case "--secret-file" -> options.secretFile = Path.of(value);
                    case "--node1" -> options.node1 = value;
                    case "--node2" -> options.node2 = value;
                    case "--echo" -> options.echo = value;
                    case "--lanes" -> options.lanes = positive(args[i], Integer.parseInt(value));
                    case "--rounds" -> options.rounds = positive(args[i], Integer.parseInt(value));
                    case "--samples" -> options.samples = positive(args[i], Integer.parseInt(value));
                    case "--seconds" -> options.seconds = positive(args[i], Double.parseDouble(value));
                    case "--pids" -> options.pids = pids(value);
                    case "--rows" -> options.rows = rows(value);
                    case "--wait-strategy" -> options.waitStrategy = waitStrategy(value);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (options.secretFile == null || options.node1 == null || options.node2 == null || options.echo == null)
            {
                throw new IllegalArgumentException("usage: RemoteBenchmark --secret-file FILE --node1 HOST:PORT "
                    + "--node2 HOST:PORT --echo HOST:PORT [--lanes K] [--rounds N] [--samples N] [--seconds S] "
                    + "[--pids NODE1,NODE2,ECHO] [--rows 123] [--wait-strategy BACKOFF|BUSY_SPIN]");
            }
            return options;
        }

        private static String rows(final String value)
        {
            if (!value.matches("[123]+"))
            {
                throw new IllegalArgumentException("--rows takes the numbers of the rows to run, from 1, 2 and 3 "
                    + "(1 round trip, 2 throughput, 3 the 64 MiB transfer): " + value);
            }
            return value;
        }

        private static WaitStrategy waitStrategy(final String value)
        {
            try
            {
                return WaitStrategy.valueOf(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("--wait-strategy must be BACKOFF or BUSY_SPIN: " + value, ex);
            }
        }

        private static long[] pids(final String value)
        {
            final long[] pids = Arrays.stream(value.split(",")).mapToLong(Long::parseLong).toArray();
            if (pids.length != 3)
            {
                throw new IllegalArgumentException("--pids takes three process ids, NODE1,NODE2,ECHO: " + value);
            }
            return pids;
        }

        private static int positive(final String option, final int value)
        {
            if (value <= 0)
            {
                throw new IllegalArgumentException(option + " must be positive: " + value);
            }
            return value;
        }

        private static double positive(final String option, final double value)
        {
            if (value <= 0)
            {
                throw new IllegalArgumentException(option + " must be positive: " + value);
            }
            return value;
        }
    }
}
