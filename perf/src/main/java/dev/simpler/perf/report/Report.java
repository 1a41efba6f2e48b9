package dev.simpler.perf.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The markdown report: machine, JDK and date, then one row per SPEC §12 target (figure, ratios to the baselines
 * of the same shape, target and verdict), then every result, then the allocation figures.
 */
final class Report
{
    static final String MET = "met";
    static final String MISSED = "**missed**";
    static final String NOT_RUN = "not run";
    /** Verdict of a row without a target. */
    static final String REPORTED = "reported";
    /** Allocation below this many bytes per task rounds to 0 B/task (JMH's gc accounting has sub-byte noise). */
    static final double ZERO_ALLOC_BYTES = 0.5;

    private final List<BenchmarkResult> results;
    private final List<BenchmarkResult> gcResults;

    /**
     * @param results   the main run.
     * @param gcResults the {@code -prof gc} run, or the main run when it was profiled itself.
     */
    Report(final List<BenchmarkResult> results, final List<BenchmarkResult> gcResults)
    {
        this.results = results;
        this.gcResults = gcResults;
    }

    /**
     * Render the report.
     *
     * @param machine the machine description.
     * @param jdk     the JDK version.
     * @param date    the date of the run.
     * @param svgName the plot's file name, linked from the report, or null for none.
     * @return the markdown.
     */
    String markdown(final String machine, final String jdk, final String date, final String svgName)
    {
        final StringBuilder md = new StringBuilder();
        md.append("| machine | JDK | date |\n| --- | --- | --- |\n");
        md.append("| ").append(machine).append(" | ").append(jdk).append(" | ").append(date).append(" |\n\n");

        md.append("### SPEC §12 targets\n\n");
        md.append("| target row | benchmark | figure | vs completableFuture | vs reference | vs raw | target ")
            .append("| verdict |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (final String[] row : targetRows())
        {
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        md.append("\nRatios: latency rows give p50 ÷ the baseline's p50 (lower is better); throughput rows give ")
            .append("tasks/s ÷ the baseline's tasks/s (higher is better). Allocation counts as 0 B/task below ")
            .append(ZERO_ALLOC_BYTES).append(" B/task.\n\n");

        md.append("### All results\n\n");
        md.append("| benchmark | params | figure | vs completableFuture | vs reference | vs raw |\n");
        md.append("| --- | --- | --- | --- | --- | --- |\n");
        for (final BenchmarkResult r : results)
        {
            md.append("| ").append(shortName(r)).append(" | ").append(r.paramString()).append(" | ")
                .append(figure(r));
            for (final String b : BenchmarkResult.BASELINES)
            {
                md.append(" | ").append(ratioText(r, baseline(r, b)));
            }
            md.append(" |\n");
        }

        md.append("\n### Allocation (`-prof gc`, `gc.alloc.rate.norm`)\n\n");
        final List<BenchmarkResult> profiled = profiled();
        if (profiled.isEmpty())
        {
            md.append("not run\n");
        }
        else
        {
            md.append("| benchmark | params | B/task |\n| --- | --- | --- |\n");
            for (final BenchmarkResult r : profiled)
            {
                md.append("| ").append(shortName(r)).append(" | ").append(r.paramString()).append(" | ")
                    .append(fmt(r.allocPerOp)).append(" |\n");
            }
            md.append("\nJMH already divides by `@OperationsPerInvocation`, so B/op is B/task.\n");
        }
        if (svgName != null)
        {
            md.append("\n### Latency distributions\n\n![latency percentiles](").append(svgName).append(")\n");
        }
        return md.toString();
    }

    /**
     * The SPEC §12 rows: name, benchmark, figure, three ratios, target, verdict.
     *
     * @return the rows.
     */
    List<String[]> targetRows()
    {
        final List<String[]> rows = new ArrayList<>();

        final BenchmarkResult mailbox = find("engine", "MailboxRoundTrip", null, "BUSY_SPIN");
        final BenchmarkResult raw = mailbox == null ? find("raw", "MailboxRoundTrip", null, null)
            : baseline(mailbox, "raw");
        String verdict = NOT_RUN;
        if (mailbox != null && raw != null)
        {
            verdict = verdict(p50(mailbox) <= 2 * p50(raw));
        }
        rows.add(row("mailbox round trip, busy-spin", mailbox, "p50 ≤ 2× raw ping-pong", verdict));

        final BenchmarkResult threadOne = find("engine", "OneTask", "THREAD", "BUSY_SPIN");
        final BenchmarkResult cfOne = threadOne == null ? find("completableFuture", "OneTask", null, null)
            : baseline(threadOne, "completableFuture");
        verdict = NOT_RUN;
        if (threadOne != null && cfOne != null)
        {
            verdict = verdict(p50(threadOne) <= 2.0 && p50(cfOne) >= 10 * p50(threadOne));
        }
        rows.add(row("one task, THREAD, busy-spin", threadOne, "p50 ≤ 2 µs and ≥ 10× better than CF", verdict));

        final BenchmarkResult processOne = find("engine", "OneTask", "PROCESS", "BUSY_SPIN");
        verdict = processOne == null ? NOT_RUN : verdict(p50(processOne) <= 3.0);
        rows.add(row("one task, PROCESS", processOne, "p50 ≤ 3 µs", verdict));

        for (final String shape : new String[] {"Independent", "Chain", "Diamond", "Group", "Pipeline"})
        {
            final BenchmarkResult engine = find("engine", shape, "THREAD", "BUSY_SPIN");
            final BenchmarkResult cf = engine == null ? null : baseline(engine, "completableFuture");
            verdict = engine == null || cf == null ? NOT_RUN : verdict(engine.score >= cf.score);
            rows.add(row("throughput, " + shape.toLowerCase(Locale.ROOT) + ", THREAD", engine,
                "≥ 1× CompletableFuture", verdict));
        }

        final List<BenchmarkResult> profiled = profiled();
        BenchmarkResult worst = null;
        for (final BenchmarkResult r : profiled)
        {
            if (worst == null || r.allocPerOp > worst.allocPerOp)
            {
                worst = r;
            }
        }
        if (worst == null)
        {
            rows.add(new String[] {"engine allocation", "–", NOT_RUN, "", "", "", "0 B/task", NOT_RUN});
        }
        else
        {
            rows.add(new String[] {"engine allocation", "worst: " + shortName(worst) + " " + worst.paramString(),
                fmt(worst.allocPerOp) + " B/task (worst of " + profiled.size() + " profiled)", "", "", "",
                "0 B/task",
                verdict(worst.allocPerOp < ZERO_ALLOC_BYTES)});
        }

        // Runs in flight (SPEC §13) have no target: the pipelined runs are reported next to back-to-back run().
        final String runsName = "runs of 100 tasks, pipelined, THREAD";
        final String runsTarget = "reported next to back-to-back run()";
        final BenchmarkResult pipelined = find("engine", "RunsPipelined", "THREAD", "BUSY_SPIN");
        final BenchmarkResult backToBack = pipelined == null ? null : find("engine", "RunsBackToBack", "THREAD",
            pipelined.params.get("strategy"));
        if (pipelined == null || backToBack == null)
        {
            rows.add(new String[] {runsName, "–", NOT_RUN, "", "", "", runsTarget, NOT_RUN});
        }
        else
        {
            rows.add(row(runsName, pipelined, runsTarget + ": " + fmt(pipelined.score / backToBack.score) + "×",
                REPORTED));
        }
        return rows;
    }

    private String[] row(final String name, final BenchmarkResult r, final String target, final String verdict)
    {
        if (r == null)
        {
            return new String[] {name, "–", NOT_RUN, "", "", "", target, NOT_RUN};
        }
        final String[] row = new String[8];
        row[0] = name;
        row[1] = shortName(r) + (r.params.isEmpty() ? "" : " " + r.paramString());
        row[2] = figure(r);
        for (int i = 0; i < BenchmarkResult.BASELINES.length; i++)
        {
            row[3 + i] = ratioText(r, baseline(r, BenchmarkResult.BASELINES[i]));
        }
        row[6] = target;
        row[7] = verdict;
        return row;
    }

    private List<BenchmarkResult> profiled()
    {
        final List<BenchmarkResult> list = new ArrayList<>();
        for (final BenchmarkResult r : gcResults)
        {
            if ("engine".equals(r.system) && !Double.isNaN(r.allocPerOp))
            {
                list.add(r);
            }
        }
        return list;
    }

    /**
     * The first result of a system and shape whose {@code mode} param (when asked) matches, preferring the
     * given {@code strategy} param when there is a choice.
     */
    BenchmarkResult find(final String system, final String shape, final String mode, final String strategy)
    {
        BenchmarkResult fallback = null;
        for (final BenchmarkResult r : results)
        {
            if (!system.equals(r.system) || !shape.equals(r.shape))
            {
                continue;
            }
            if (mode != null && !mode.equals(r.params.get("mode")))
            {
                continue;
            }
            if (strategy == null || strategy.equals(r.params.getOrDefault("strategy", strategy)))
            {
                return r;
            }
            if (fallback == null)
            {
                fallback = r;
            }
        }
        return fallback;
    }

    /**
     * The baseline result of the given system for a result: same shape, and equal values for the params both
     * have.
     */
    BenchmarkResult baseline(final BenchmarkResult r, final String baselineSystem)
    {
        if (baselineSystem.equals(r.system))
        {
            return null;
        }
        BenchmarkResult fallback = null;
        for (final BenchmarkResult b : results)
        {
            if (!baselineSystem.equals(b.system) || !b.shape.equals(r.shape) || b.isLatency() != r.isLatency())
            {
                continue;
            }
            boolean compatible = true;
            for (final Map.Entry<String, String> e : b.params.entrySet())
            {
                final String mine = r.params.get(e.getKey());
                if (mine != null && !mine.equals(e.getValue()))
                {
                    compatible = false;
                    break;
                }
            }
            if (compatible)
            {
                return b;
            }
            if (fallback == null)
            {
                fallback = b;
            }
        }
        return fallback;
    }

    /**
     * The ratio of a result to a baseline: p50 ÷ baseline p50 for latency, score ÷ baseline score otherwise.
     *
     * @return the ratio, NaN without a baseline.
     */
    static double ratio(final BenchmarkResult r, final BenchmarkResult b)
    {
        if (b == null)
        {
            return Double.NaN;
        }
        return r.isLatency() ? p50(r) / p50(b) : r.score / b.score;
    }

    private static String ratioText(final BenchmarkResult r, final BenchmarkResult b)
    {
        final double ratio = ratio(r, b);
        return Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f×", ratio);
    }

    static double p50(final BenchmarkResult r)
    {
        return r.percentileMicros(50.0);
    }

    static String figure(final BenchmarkResult r)
    {
        if (r.isLatency())
        {
            return "p50 " + fmt(p50(r)) + " µs, p99 " + fmt(r.percentileMicros(99.0)) + " µs, p99.9 "
                + fmt(r.percentileMicros(99.9)) + " µs";
        }
        if ("thrpt".equals(r.mode) && r.unit.startsWith("ops/"))
        {
            return fmt(r.score) + " tasks/" + r.unit.substring(4);
        }
        return fmt(r.score) + " " + r.unit;
    }

    private static String shortName(final BenchmarkResult r)
    {
        final String label = r.label();
        final int space = label.indexOf(' ');
        return space < 0 ? label : label.substring(0, space);
    }

    private static String verdict(final boolean met)
    {
        return met ? MET : MISSED;
    }

    static String fmt(final double v)
    {
        if (Double.isNaN(v))
        {
            return "–";
        }
        final double a = Math.abs(v);
        if (a >= 1000)
        {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 100)
        {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 10)
        {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
