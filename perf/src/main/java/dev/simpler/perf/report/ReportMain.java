package dev.simpler.perf.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Writes the benchmark report from JMH JSON results:
 * {@code ReportMain <jmh-json> [<gc-json>] <out.md> <out.svg>}. The markdown has the machine, JDK and date, the
 * SPEC §12 targets with met / missed, every result with its ratios to the baselines of the same shape and the
 * allocation figures of the {@code -prof gc} run; the SVG plots the latency percentile curves.
 */
public final class ReportMain
{
    private ReportMain()
    {
    }

    /**
     * Entry point.
     *
     * @param args {@code <jmh-json> [<gc-json>] <out.md> <out.svg>}.
     * @throws IOException when a file cannot be read or written.
     */
    public static void main(final String[] args) throws IOException
    {
        if (args.length != 3 && args.length != 4)
        {
            System.err.println("usage: ReportMain <jmh-json> [<gc-json>] <out.md> <out.svg>");
            System.exit(2);
            return;
        }
        final List<BenchmarkResult> results = read(Path.of(args[0]));
        final List<BenchmarkResult> gcResults = args.length == 4 ? read(Path.of(args[1])) : results;
        final Path md = Path.of(args[args.length - 2]);
        final Path svg = Path.of(args[args.length - 1]);
        String jdk = System.getProperty("java.vm.version");
        if (!results.isEmpty() && results.get(0).vmVersion != null)
        {
            jdk = results.get(0).vmVersion;
        }
        final String date = ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"));
        final String svgName = svg.getFileName().toString();
        final String markdown = new Report(results, gcResults).markdown(machine(), jdk, date, svgName);
        write(md, markdown);
        write(svg, LatencyPlot.svg(results));
        System.out.println("wrote " + md + " and " + svg);
    }

    private static List<BenchmarkResult> read(final Path path) throws IOException
    {
        return BenchmarkResult.parseAll(Files.readString(path, StandardCharsets.UTF_8));
    }

    private static void write(final Path path, final String text) throws IOException
    {
        final Path parent = path.toAbsolutePath().getParent();
        if (parent != null)
        {
            Files.createDirectories(parent);
        }
        Files.writeString(path, text, StandardCharsets.UTF_8);
    }

    /**
     * The CPU model from /proc/cpuinfo and the number of cores this JVM sees.
     *
     * @return the description.
     */
    static String machine()
    {
        String model = System.getProperty("os.arch");
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
            {
                if (line.startsWith("model name"))
                {
                    model = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // not Linux: keep the architecture
        }
        return model + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }
}
