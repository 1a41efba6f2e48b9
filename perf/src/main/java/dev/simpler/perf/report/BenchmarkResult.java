package dev.simpler.perf.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One entry of a JMH JSON result file, with the suite's naming convention decoded: the method
 * {@code <system><Shape>} gives the system ({@code engine}, {@code completableFuture}, {@code disruptor},
 * {@code reference}, {@code raw}) and the shape ({@code OneTask}, {@code Chain}, ...; {@code PingPong} is the shape
 * {@code MailboxRoundTrip}).
 */
final class BenchmarkResult
{
    static final String[] SYSTEMS = {"engine", "completableFuture", "disruptor", "reference", "raw"};
    static final String[] BASELINES = {"completableFuture", "disruptor", "reference", "raw"};

    final String benchmark;
    final String method;
    final String system;
    final String shape;
    final Map<String, String> params;
    final String mode;
    final String unit;
    final double score;
    /** Percentile (0..100) to value, in {@link #unit}. */
    final TreeMap<Double, Double> percentiles;
    /** Latency value (in {@link #unit}) to count, merged over forks and iterations; empty when absent. */
    final TreeMap<Double, Long> histogram;
    /** {@code gc.alloc.rate.norm} in B/op, NaN when not profiled. */
    double allocPerOp = Double.NaN;
    final String vmVersion;

    private BenchmarkResult(final Map<String, Object> json)
    {
        benchmark = String.valueOf(json.get("benchmark"));
        method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
        String sys = "";
        String shp = method;
        for (final String s : SYSTEMS)
        {
            if (method.startsWith(s) && method.length() > s.length()
                && Character.isUpperCase(method.charAt(s.length())))
            {
                sys = s;
                shp = method.substring(s.length());
                break;
            }
        }
        system = sys;
        shape = "PingPong".equals(shp) ? "MailboxRoundTrip" : shp;
        final Map<String, String> p = new TreeMap<>();
        final Object rawParams = json.get("params");
        if (rawParams instanceof Map)
        {
            for (final Map.Entry<?, ?> e : ((Map<?, ?>)rawParams).entrySet())
            {
                p.put(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
            }
        }
        params = Collections.unmodifiableMap(p);
        mode = String.valueOf(json.get("mode"));
        vmVersion = json.get("vmVersion") == null ? null : String.valueOf(json.get("vmVersion"));
        final Map<?, ?> primary = (Map<?, ?>)json.get("primaryMetric");
        unit = String.valueOf(primary.get("scoreUnit"));
        score = Json.number(primary.get("score"));
        percentiles = new TreeMap<>();
        final Object pct = primary.get("scorePercentiles");
        if (pct instanceof Map)
        {
            for (final Map.Entry<?, ?> e : ((Map<?, ?>)pct).entrySet())
            {
                percentiles.put(Double.parseDouble(String.valueOf(e.getKey())), Json.number(e.getValue()));
            }
        }
        histogram = new TreeMap<>();
        final Object hist = primary.get("rawDataHistogram");
        if (hist instanceof List)
        {
            for (final Object fork : (List<?>)hist)
            {
                for (final Object iteration : (List<?>)fork)
                {
                    for (final Object pair : (List<?>)iteration)
                    {
                        final List<?> vc = (List<?>)pair;
                        histogram.merge(Json.number(vc.get(0)), (long)Json.number(vc.get(1)), Long::sum);
                    }
                }
            }
        }
        final Object secondary = json.get("secondaryMetrics");
        if (secondary instanceof Map)
        {
            for (final Map.Entry<?, ?> e : ((Map<?, ?>)secondary).entrySet())
            {
                if (String.valueOf(e.getKey()).endsWith("gc.alloc.rate.norm"))
                {
                    allocPerOp = Json.number(((Map<?, ?>)e.getValue()).get("score"));
                }
            }
        }
    }

    /**
     * Read every entry of a JMH JSON result file.
     *
     * @param text the file's content.
     * @return the results, in file order.
     */
    static List<BenchmarkResult> parseAll(final String text)
    {
        final List<BenchmarkResult> results = new ArrayList<>();
        final Object root = Json.parse(text);
        if (root instanceof List)
        {
            for (final Object entry : (List<?>)root)
            {
                @SuppressWarnings("unchecked")
                final Map<String, Object> map = (Map<String, Object>)entry;
                results.add(new BenchmarkResult(map));
            }
        }
        return results;
    }

    /**
     * Whether this is a latency distribution (JMH SampleTime).
     *
     * @return true for {@code sample} mode.
     */
    boolean isLatency()
    {
        return "sample".equals(mode);
    }

    /**
     * The factor that converts this result's time unit to microseconds.
     *
     * @return the factor, 1 when the unit is not a time per op.
     */
    double toMicros()
    {
        if (unit.startsWith("ns/"))
        {
            return 1e-3;
        }
        if (unit.startsWith("ms/"))
        {
            return 1e3;
        }
        if (unit.startsWith("s/"))
        {
            return 1e6;
        }
        return 1.0;
    }

    /**
     * A percentile of the latency, in microseconds.
     *
     * @param p the percentile, 0..100.
     * @return the value, NaN when absent.
     */
    double percentileMicros(final double p)
    {
        final Double v = percentiles.get(p);
        return v == null ? Double.NaN : v * toMicros();
    }

    /**
     * The benchmark's short name with its params, e.g. {@code RoundTripBenchmark.engineOneTask [THREAD, BUSY_SPIN]}.
     *
     * @return the label.
     */
    String label()
    {
        final String[] parts = benchmark.split("\\.");
        final String shortName = parts.length >= 2 ? parts[parts.length - 2] + "." + method : method;
        return params.isEmpty() ? shortName : shortName + " " + paramString();
    }

    /**
     * The params as {@code k=v, ...}, or empty.
     *
     * @return the params.
     */
    String paramString()
    {
        final List<String> kv = new ArrayList<>();
        for (final Map.Entry<String, String> e : params.entrySet())
        {
            kv.add(e.getKey() + "=" + e.getValue());
        }
        return String.join(", ", kv);
    }

    /**
     * A key identifying the benchmark and its params, to join a main run with a gc-profiled run.
     *
     * @return the key.
     */
    String key()
    {
        return benchmark + new LinkedHashMap<>(params);
    }
}
