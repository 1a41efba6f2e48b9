package dev.simpler.perf.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A hand-written SVG of the latency distributions, HdrHistogram style: one percentile curve per SampleTime
 * benchmark and param combination, x = percentile on a log scale of 1/(1-p), y = latency in µs on a log scale.
 */
final class LatencyPlot
{
    private static final String[] COLOURS = {
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
        "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd"};
    private static final int LEFT = 70;
    private static final int TOP = 30;
    private static final int PLOT_W = 620;
    private static final int PLOT_H = 400;
    private static final int LEGEND_W = 420;
    private static final int POINTS = 200;

    private LatencyPlot()
    {
    }

    /**
     * The curve of one result: (x = log10(1/(1-p)), y = latency µs) points, from the raw histogram when present,
     * else from JMH's percentiles; the last
     * histogram point is the maximum.
     *
     * @param r the result.
     * @return the points, in increasing x.
     */
    static List<double[]> curve(final BenchmarkResult r)
    {
        final List<double[]> points = new ArrayList<>();
        long total = 0;
        for (final long c : r.histogram.values())
        {
            total += c;
        }
        if (total > 0)
        {
            final double maxX = Math.log10(total);
            final double[] values = new double[r.histogram.size()];
            final long[] cumulative = new long[values.length];
            int i = 0;
            long sum = 0;
            for (final Map.Entry<Double, Long> e : r.histogram.entrySet())
            {
                sum += e.getValue();
                values[i] = e.getKey();
                cumulative[i] = sum;
                i++;
            }
            int at = 0;
            for (int k = 0; k <= POINTS; k++)
            {
                final double x = maxX * k / POINTS;
                final double p = 1.0 - Math.pow(10, -x);
                final double rank = k == POINTS ? total : Math.max(1, Math.ceil(p * total));
                while (at < values.length - 1 && cumulative[at] < rank)
                {
                    at++;
                }
                points.add(new double[] {x, values[at] * r.toMicros()});
            }
        }
        else
        {
            for (final Map.Entry<Double, Double> e : r.percentiles.entrySet())
            {
                final double p = e.getKey() / 100.0;
                if (p >= 1.0 || Double.isNaN(e.getValue()))
                {
                    continue;
                }
                points.add(new double[] {Math.log10(1.0 / (1.0 - p)), e.getValue() * r.toMicros()});
            }
        }
        return points;
    }

    /**
     * Render the plot of every latency result.
     *
     * @param results the results; non-latency ones are skipped.
     * @return the SVG document.
     */
    static String svg(final List<BenchmarkResult> results)
    {
        final List<BenchmarkResult> series = new ArrayList<>();
        final List<List<double[]>> curves = new ArrayList<>();
        double maxX = 1;
        double minY = Double.MAX_VALUE;
        double maxY = Double.MIN_VALUE;
        for (final BenchmarkResult r : results)
        {
            if (!r.isLatency())
            {
                continue;
            }
            final List<double[]> c = curve(r);
            if (c.isEmpty())
            {
                continue;
            }
            series.add(r);
            curves.add(c);
            for (final double[] pt : c)
            {
                maxX = Math.max(maxX, pt[0]);
                if (pt[1] > 0)
                {
                    minY = Math.min(minY, pt[1]);
                    maxY = Math.max(maxY, pt[1]);
                }
            }
        }
        if (series.isEmpty())
        {
            minY = 1;
            maxY = 10;
        }
        maxX = Math.ceil(maxX);
        final double lo = Math.floor(Math.log10(minY));
        final double hi = Math.max(lo + 1, Math.ceil(Math.log10(maxY)));
        final int legendH = 20 * series.size() + 20;
        final int width = LEFT + PLOT_W + 30 + LEGEND_W;
        final int height = Math.max(TOP + PLOT_H + 60, TOP + legendH);

        final StringBuilder s = new StringBuilder();
        s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\">Latency by percentile "
            + "(JMH SampleTime)</text>%n", LEFT));
        s.append("<g class=\"grid\" stroke=\"#ddd\">\n");
        for (int d = 0; d <= (int)maxX; d++)
        {
            final double x = LEFT + PLOT_W * d / maxX;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>%n",
                x, TOP, x, TOP + PLOT_H));
        }
        for (int d = (int)lo; d <= (int)hi; d++)
        {
            final double y = yOf(Math.pow(10, d), lo, hi);
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>%n",
                LEFT, y, LEFT + PLOT_W, y));
        }
        s.append("</g>\n<g class=\"axes\">\n");
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
            + "stroke=\"black\"/>%n", LEFT, TOP, PLOT_W, PLOT_H));
        for (int d = 0; d <= (int)maxX; d++)
        {
            final double x = LEFT + PLOT_W * d / maxX;
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                x, TOP + PLOT_H + 16, percentileLabel(d)));
        }
        for (int d = (int)lo; d <= (int)hi; d++)
        {
            final double y = yOf(Math.pow(10, d), lo, hi);
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                LEFT - 6, y + 4, Report.fmt(Math.pow(10, d)).replaceAll("\\.0+$", "")));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>%n",
            LEFT + PLOT_W / 2, TOP + PLOT_H + 36));
        s.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 16 %d)\">latency (µs)</text>%n", TOP + PLOT_H / 2, TOP + PLOT_H / 2));
        s.append("</g>\n");
        for (int i = 0; i < series.size(); i++)
        {
            final String colour = COLOURS[i % COLOURS.length];
            final String dash = i >= COLOURS.length ? " stroke-dasharray=\"6 3\"" : "";
            s.append("<polyline class=\"series\" data-series=\"").append(escape(series.get(i).label()))
                .append("\" fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"1.5\"").append(dash)
                .append(" points=\"");
            for (final double[] pt : curves.get(i))
            {
                final double y = pt[1] > 0 ? yOf(pt[1], lo, hi) : TOP + PLOT_H;
                s.append(String.format(Locale.ROOT, "%.1f,%.1f ", LEFT + PLOT_W * pt[0] / maxX, y));
            }
            s.setLength(s.length() - 1);
            s.append("\"/>\n");
        }
        s.append("<g class=\"legend\">\n");
        final int lx = LEFT + PLOT_W + 20;
        for (int i = 0; i < series.size(); i++)
        {
            final int ly = TOP + 10 + 20 * i;
            final String dash = i >= COLOURS.length ? " stroke-dasharray=\"6 3\"" : "";
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                + "stroke-width=\"2\"%s/>%n", lx, ly, lx + 24, ly, COLOURS[i % COLOURS.length], dash));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", lx + 30, ly + 4,
                escape(series.get(i).label())));
        }
        s.append("</g>\n</svg>\n");
        return s.toString();
    }

    private static double yOf(final double micros, final double lo, final double hi)
    {
        return TOP + PLOT_H - PLOT_H * (Math.log10(micros) - lo) / (hi - lo);
    }

    static String percentileLabel(final int decade)
    {
        if (decade == 0)
        {
            return "0%";
        }
        if (decade == 1)
        {
            return "90%";
        }
        return "99" + (decade > 2 ? "." + "9".repeat(decade - 2) : "") + "%";
    }

    static String escape(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
