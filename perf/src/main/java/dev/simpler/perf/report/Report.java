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
    /** The shape of runs submitted with {@code Worker.submit}, each of which allocates its handle. */
    static final String SUBMITTED_RUNS = "RunsPipelined";

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
        md.append("| target row | benchmark | figure").append(baselineHeader()).append(" | target | verdict |\n");
        md.append("| --- | --- | ---").append(" | ---".repeat(BenchmarkResult.BASELINES.length))
            .append(" | --- | --- |\n");
        for (final String[] row : targetRows())
        {
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        md.append("\nRatios: latency rows give p50 ÷ the baseline's p50 (lower is better), the tail rows p99.9 ÷ ")
            .append("the floor's p99.9; throughput rows give tasks/s ÷ the baseline's tasks/s (higher is better). ")
            .append("The raw floor of THREAD rows is two threads on one cache line (`RoundTripBenchmark.rawOneTask`), ")
            .append("of PROCESS rows two JVMs (`MailboxRoundTripBenchmark.rawPingPong`). Allocation counts as ")
            .append("0 B/task below ").append(ZERO_ALLOC_BYTES).append(" B/task.\n\n");

        md.append("### All results\n\n");
        md.append("| benchmark | params | figure").append(baselineHeader()).append(" |\n");
        md.append("| --- | --- | ---").append(" | ---".repeat(BenchmarkResult.BASELINES.length)).append(" |\n");
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
     * The SPEC §12 rows: name, benchmark, figure, a ratio per baseline ({@link BenchmarkResult#BASELINES}), target,
     * verdict.
     *
     * @return the rows.
     */
    List<String[]> targetRows()
    {
        final List<String[]> rows = new ArrayList<>();

        final BenchmarkResult mailbox = find("engine", "MailboxRoundTrip", null, "BUSY_SPIN");
        final BenchmarkResult twoJvms = find("raw", "MailboxRoundTrip", null, null);
        String verdict = NOT_RUN;
        if (mailbox != null && twoJvms != null)
        {
            verdict = verdict(p50(mailbox) <= 1.3 * p50(twoJvms));
        }
        rows.add(row("mailbox round trip, busy-spin", mailbox, "p50 ≤ 1.3× raw two-JVM ping-pong", verdict));

        final BenchmarkResult threadOne = find("engine", "OneTask", "THREAD", "BUSY_SPIN");
        final BenchmarkResult twoThreads = find("raw", "OneTask", null, null);
        final BenchmarkResult disruptorOne = find("disruptor", "OneTask", null, null);
        verdict = NOT_RUN;
        if (threadOne != null && twoThreads != null && disruptorOne != null)
        {
            verdict = verdict(p50(threadOne) <= 1.5 * p50(twoThreads) && p50(threadOne) <= p50(disruptorOne));
        }
        rows.add(row("one task, THREAD, busy-spin", threadOne,
            "p50 ≤ 1.5× raw two-thread ping-pong and ≤ 1× Disruptor ping-pong", verdict));

        final BenchmarkResult processOne = find("engine", "OneTask", "PROCESS", "BUSY_SPIN");
        verdict = NOT_RUN;
        if (processOne != null && twoJvms != null)
        {
            verdict = verdict(p50(processOne) <= 1.5 * p50(twoJvms));
        }
        rows.add(row("one task, PROCESS, busy-spin", processOne, "p50 ≤ 1.5× raw two-JVM ping-pong", verdict));

        rows.add(tailRow("tail, one task, THREAD, busy-spin", threadOne, twoThreads));
        rows.add(tailRow("tail, one task, PROCESS, busy-spin", processOne, twoJvms));

        final BenchmarkResult independent = find("engine", "Independent", "THREAD", "BUSY_SPIN");
        final BenchmarkResult handOff = find("disruptor", "Independent", null, null);
        final BenchmarkResult cfIndependent = independent == null ? null
            : baseline(independent, "completableFuture");
        verdict = NOT_RUN;
        if (independent != null && handOff != null && cfIndependent != null)
        {
            verdict = verdict(independent.score >= 0.5 * handOff.score && independent.score >= cfIndependent.score);
        }
        rows.add(row("throughput, independent, THREAD", independent,
            "≥ 0.5× Disruptor hand-off and ≥ 1× CompletableFuture", verdict));

        for (final String shape : new String[] {"Chain", "Diamond", "Group", "Pipeline"})
        {
            rows.add(againstCompletableFuture("throughput, " + shape.toLowerCase(Locale.ROOT) + ", THREAD",
                find("engine", shape, "THREAD", "BUSY_SPIN")));
        }
        for (final String shape : new String[] {"Independent", "Chain"})
        {
            final BenchmarkResult engine = find("engine", shape, "PROCESS", "BUSY_SPIN");
            rows.add(againstCompletableFuture("throughput, " + shape.toLowerCase(Locale.ROOT) + ", PROCESS", engine));
        }

        // A run submitted with Worker.submit allocates the handle it returns (SPEC §13), as a user's TaskArgs are
        // the user's: the row judges the engine's own allocation per task, and the handles are reported below it.
        final List<BenchmarkResult> profiled = new ArrayList<>();
        BenchmarkResult handles = null;
        for (final BenchmarkResult r : profiled())
        {
            if (SUBMITTED_RUNS.equals(r.shape))
            {
                handles = handles == null || r.allocPerOp > handles.allocPerOp ? r : handles;
            }
            else
            {
                profiled.add(r);
            }
        }
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
            rows.add(plainRow("engine allocation", "–", NOT_RUN, "0 B/task", NOT_RUN));
        }
        else
        {
            rows.add(plainRow("engine allocation", "worst: " + shortName(worst) + " " + worst.paramString(),
                fmt(worst.allocPerOp) + " B/task (worst of " + profiled.size() + " profiled)", "0 B/task",
                verdict(worst.allocPerOp < ZERO_ALLOC_BYTES)));
        }
        if (handles != null)
        {
            rows.add(plainRow("allocation of submitted runs' handles", shortName(handles) + " "
                + handles.paramString(), fmt(handles.allocPerOp) + " B/task at 100 tasks a run", "reported: "
                + "the RunHandle each submit returns", REPORTED));
        }

        // Runs in flight (SPEC §13) have no target: the pipelined runs are reported next to back-to-back run().
        final String runsName = "runs of 100 tasks, pipelined, THREAD";
        final String runsTarget = "reported next to back-to-back run()";
        final BenchmarkResult pipelined = find("engine", "RunsPipelined", "THREAD", "BUSY_SPIN");
        final BenchmarkResult backToBack = pipelined == null ? null : find("engine", "RunsBackToBack", "THREAD",
            pipelined.params.get("strategy"));
        if (pipelined == null || backToBack == null)
        {
            rows.add(plainRow(runsName, "–", NOT_RUN, runsTarget, NOT_RUN));
        }
        else
        {
            rows.add(row(runsName, pipelined, runsTarget + ": " + fmt(pipelined.score / backToBack.score) + "×",
                REPORTED));
        }
        return rows;
    }

    private String[] againstCompletableFuture(final String name, final BenchmarkResult engine)
    {
        final BenchmarkResult cf = engine == null ? null : baseline(engine, "completableFuture");
        return row(name, engine, "≥ 1× CompletableFuture",
            engine == null || cf == null ? NOT_RUN : verdict(engine.score >= cf.score));
    }

    /** A tail row: p99.9 against the raw floor's p99.9 in the same run, the ratio with the target. */
    private static String[] tailRow(final String name, final BenchmarkResult engine, final BenchmarkResult floor)
    {
        final String target = "p99.9 ≤ 3× the raw floor's p99.9";
        if (engine == null || floor == null)
        {
            return plainRow(name, engine == null ? "–" : shortName(engine) + " " + engine.paramString(), NOT_RUN,
                target, NOT_RUN);
        }
        final double tail = engine.percentileMicros(99.9);
        final double floorTail = floor.percentileMicros(99.9);
        return plainRow(name, shortName(engine) + " " + engine.paramString(),
            "p99.9 " + fmt(tail) + " µs, floor " + fmt(floorTail) + " µs",
            target + ": " + String.format(Locale.ROOT, "%.2f×", tail / floorTail), verdict(tail <= 3 * floorTail));
    }

    private static String baselineHeader()
    {
        final StringBuilder header = new StringBuilder();
        for (final String b : BenchmarkResult.BASELINES)
        {
            header.append(" | vs ").append(b);
        }
        return header.toString();
    }

    private static String[] plainRow(
        final String name, final String benchmark, final String figure, final String target, final String verdict)
    {
        final int ratios = BenchmarkResult.BASELINES.length;
        final String[] row = new String[5 + ratios];
        row[0] = name;
        row[1] = benchmark;
        row[2] = figure;
        for (int i = 0; i < ratios; i++)
        {
            row[3 + i] = "";
        }
        row[3 + ratios] = target;
        row[4 + ratios] = verdict;
        return row;
    }

    private String[] row(final String name, final BenchmarkResult r, final String target, final String verdict)
    {
        if (r == null)
        {
            return plainRow(name, "–", NOT_RUN, target, NOT_RUN);
        }
        final String[] row = plainRow(name, shortName(r) + (r.params.isEmpty() ? "" : " " + r.paramString()),
            figure(r), target, verdict);
        for (int i = 0; i < BenchmarkResult.BASELINES.length; i++)
        {
            row[3 + i] = ratioText(r, baseline(r, BenchmarkResult.BASELINES[i]));
        }
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
        if ("raw".equals(baselineSystem) && "OneTask".equals(r.shape) && "PROCESS".equals(r.params.get("mode")))
        {
            // A PROCESS task crosses two JVMs: its floor is the two-JVM ping-pong, not two threads.
            return find("raw", "MailboxRoundTrip", null, null);
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
