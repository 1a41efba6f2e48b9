package dev.simpler.perf.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class ReportTest
{
    private static String resource(final String name) throws IOException
    {
        try (InputStream in = ReportTest.class.getResourceAsStream("/report/" + name))
        {
            assertNotNull(in, name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<BenchmarkResult> fixture() throws IOException
    {
        return BenchmarkResult.parseAll(resource("jmh-fixture.json"));
    }

    private static List<BenchmarkResult> gcFixture() throws IOException
    {
        return BenchmarkResult.parseAll(resource("gc-fixture.json"));
    }

    @Test
    void parsesNamesParamsPercentilesAndHistogram() throws IOException
    {
        final List<BenchmarkResult> results = fixture();
        assertEquals(12, results.size());
        final BenchmarkResult engine = results.get(1);
        assertEquals("engine", engine.system);
        assertEquals("OneTask", engine.shape);
        assertEquals("THREAD", engine.params.get("mode"));
        assertEquals(1.5, Report.p50(engine), 1e-9);
        assertEquals(1000L, engine.histogram.values().stream().mapToLong(Long::longValue).sum());
        assertEquals(590L, engine.histogram.get(1.5));
        final BenchmarkResult raw = results.get(4);
        assertEquals("raw", raw.system);
        assertEquals("MailboxRoundTrip", raw.shape);
        assertEquals(3.5, Report.p50(results.get(2)), 1e-9, "ns/op is converted to µs");
        assertEquals("disruptor", results.get(10).system);
        assertEquals("OneTask", results.get(10).shape);
        assertEquals("Independent", results.get(11).shape);
        assertEquals(24.0, gcFixture().get(1).allocPerOp, 1e-9);
        assertTrue(Double.isNaN(engine.allocPerOp));
    }

    @Test
    void ratiosToBaselinesOfTheSameShape() throws IOException
    {
        final List<BenchmarkResult> results = fixture();
        final Report report = new Report(results, gcFixture());
        final BenchmarkResult oneTask = report.find("engine", "OneTask", "THREAD", "BUSY_SPIN");
        assertEquals(1.5 / 20.0, Report.ratio(oneTask, report.baseline(oneTask, "completableFuture")), 1e-9);
        final BenchmarkResult mailbox = report.find("engine", "MailboxRoundTrip", null, "BUSY_SPIN");
        assertEquals(0.9 / 0.5, Report.ratio(mailbox, report.baseline(mailbox, "raw")), 1e-9);
        final BenchmarkResult independent = report.find("engine", "Independent", "THREAD", "BUSY_SPIN");
        assertEquals("BACKOFF", independent.params.get("strategy"), "falls back to the strategy that ran");
        assertEquals(2.0, Report.ratio(independent, report.baseline(independent, "completableFuture")), 1e-9);
        assertEquals(0.5, Report.ratio(independent, report.baseline(independent, "reference")), 1e-9);
        assertEquals(2.0 / 3.0, Report.ratio(independent, report.baseline(independent, "disruptor")), 1e-9);
        assertEquals(null, report.baseline(independent, "raw"));
        assertEquals(1.5 / 1.2, Report.ratio(oneTask, report.baseline(oneTask, "raw")), 1e-9, "two threads");
        assertEquals(1.5 / 1.6, Report.ratio(oneTask, report.baseline(oneTask, "disruptor")), 1e-9);
        final BenchmarkResult processOne = report.find("engine", "OneTask", "PROCESS", "BUSY_SPIN");
        assertEquals(3.5 / 0.5, Report.ratio(processOne, report.baseline(processOne, "raw")), 1e-9,
            "a PROCESS task's floor is the two-JVM ping-pong");
    }

    @Test
    void targetVerdicts() throws IOException
    {
        final List<String[]> rows = new Report(fixture(), gcFixture()).targetRows();
        assertEquals(14, rows.size());
        // Columns: name, benchmark, figure, vs completableFuture, disruptor, reference, raw, target, verdict.
        assertEquals(Report.MISSED, rows.get(0)[8], "mailbox 0.9 µs > 1.3 × 0.5 µs");
        assertEquals("1.80×", rows.get(0)[6]);
        assertEquals(Report.MET, rows.get(1)[8], "THREAD one task 1.5 µs ≤ 1.5 × 1.2 µs and ≤ 1.6 µs");
        assertEquals("0.08×", rows.get(1)[3]);
        assertEquals("0.94×", rows.get(1)[4]);
        assertEquals("1.25×", rows.get(1)[6]);
        assertEquals(Report.MISSED, rows.get(2)[8], "PROCESS one task 3.5 µs > 1.5 × 0.5 µs");
        assertEquals("7.00×", rows.get(2)[6]);
        assertEquals(Report.MET, rows.get(3)[8], "THREAD p99.9 18 µs ≤ 3 × 6 µs");
        assertTrue(rows.get(3)[7].endsWith(": 3.00×"), rows.get(3)[7]);
        assertEquals(Report.MET, rows.get(4)[8], "PROCESS p99.9 9 µs ≤ 3 × 3 µs");
        assertEquals(Report.MET, rows.get(5)[8], "independent 2M/s ≥ 0.5 × 3M/s and ≥ 1M/s");
        assertEquals("2.00×", rows.get(5)[3]);
        assertEquals("0.67×", rows.get(5)[4]);
        assertEquals("0.50×", rows.get(5)[5]);
        assertEquals(Report.NOT_RUN, rows.get(6)[8], "no engine chain in the fixture");
        assertEquals(Report.NOT_RUN, rows.get(6)[2]);
        assertEquals(Report.NOT_RUN, rows.get(9)[8], "no engine pipeline in the fixture");
        assertEquals(Report.NOT_RUN, rows.get(10)[8], "no PROCESS independent in the fixture");
        assertEquals(Report.NOT_RUN, rows.get(11)[8], "no PROCESS chain in the fixture");
        assertEquals(Report.MISSED, rows.get(12)[8], "engineIndependent allocates 24 B/task");
        assertTrue(rows.get(12)[2].startsWith("24.00 B/task"), rows.get(12)[2]);
        assertEquals(Report.NOT_RUN, rows.get(13)[8], "no runs shapes in the fixture");
    }

    @Test
    void rowsWithoutTheirBaselinesAreNotRun() throws IOException
    {
        final List<BenchmarkResult> results = fixture();
        // Without the Disruptor's ping-pong the THREAD row cannot be judged; without its hand-off neither can
        // the independent row.
        final List<BenchmarkResult> noDisruptor = results.subList(0, 10);
        final List<String[]> rows = new Report(noDisruptor, gcFixture()).targetRows();
        assertEquals(Report.NOT_RUN, rows.get(1)[8]);
        assertEquals(Report.NOT_RUN, rows.get(5)[8]);
        // Without the two-thread floor the THREAD tail has no floor either.
        final List<String[]> noFloor = new Report(results.subList(0, 9), gcFixture()).targetRows();
        assertEquals(Report.NOT_RUN, noFloor.get(3)[8]);
        assertEquals(Report.MET, noFloor.get(4)[8], "the PROCESS tail's floor is the two-JVM ping-pong");
    }

    @Test
    void allocationMetWhenBelowHalfAByteAndNotRunWithoutProfile() throws IOException
    {
        final List<BenchmarkResult> gc = gcFixture();
        assertEquals(Report.MET, new Report(fixture(), gc.subList(0, 1)).targetRows().get(12)[8]);
        assertEquals(Report.NOT_RUN, new Report(fixture(), fixture()).targetRows().get(12)[8]);
    }

    @Test
    void handlesOfSubmittedRunsAreReportedBesideTheEnginesAllocationNotJudgedWithIt() throws IOException
    {
        final List<BenchmarkResult> gc = new ArrayList<>(gcFixture().subList(0, 1));
        gc.addAll(BenchmarkResult.parseAll("[{\"benchmark\": "
            + "\"dev.simpler.perf.ThroughputBenchmark.engineRunsPipelined\", "
            + "\"mode\": \"avgt\", \"params\": {\"mode\": \"THREAD\", \"strategy\": \"BUSY_SPIN\"}, "
            + "\"primaryMetric\": {\"score\": 0.1, \"scoreUnit\": \"us/op\"}, "
            + "\"secondaryMetrics\": {\"\u00b7gc.alloc.rate.norm\": {\"score\": 1.22}}}]"));
        final List<String[]> rows = new Report(fixture(), gc).targetRows();
        assertEquals(15, rows.size());
        assertEquals(Report.MET, rows.get(12)[8], "the engine's own allocation, the handles aside");
        assertEquals("allocation of submitted runs' handles", rows.get(13)[0]);
        assertTrue(rows.get(13)[2].startsWith("1.220 B/task"), rows.get(13)[2]);
        assertEquals(Report.REPORTED, rows.get(13)[8]);
    }

    @Test
    void markdownHasHeaderTablesAndPlotLink() throws IOException
    {
        final String md = new Report(fixture(), gcFixture()).markdown("Test CPU, 2 cores", "17.0.15+6-fixture",
            "2024-01-01", "latency.svg");
        assertTrue(md.contains("| Test CPU, 2 cores | 17.0.15+6-fixture | 2024-01-01 |"), md);
        assertTrue(md.contains("| one task, PROCESS, busy-spin | RoundTripBenchmark.engineOneTask mode=PROCESS, "
            + "strategy=BUSY_SPIN | p50 3.500 µs, p99 8.000 µs, p99.9 9.000 µs |"), md);
        assertTrue(md.contains("| target row | benchmark | figure | vs completableFuture | vs disruptor | vs reference "
            + "| vs raw | target | verdict |"), md);
        assertTrue(md.contains("2,000,000 tasks/s"), md);
        assertTrue(md.contains("![latency percentiles](latency.svg)"), md);
    }

    @Test
    void svgIsWellFormedWithOneCurvePerLatencySeries() throws Exception
    {
        final String svg = LatencyPlot.svg(fixture());
        final Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
            .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", doc.getDocumentElement().getTagName());
        final NodeList lines = doc.getElementsByTagName("polyline");
        assertEquals(7, lines.getLength(), "seven SampleTime series in the fixture");
        for (int i = 0; i < lines.getLength(); i++)
        {
            final Element line = (Element)lines.item(i);
            assertEquals("series", line.getAttribute("class"));
            assertTrue(line.getAttribute("points").split(" ").length >= 4);
        }
        assertTrue(svg.contains("RoundTripBenchmark.engineOneTask mode=PROCESS, strategy=BUSY_SPIN"));
        assertTrue(svg.contains(">99.9%<"));
    }

    @Test
    void curveFollowsTheHistogram() throws IOException
    {
        final List<double[]> curve = LatencyPlot.curve(fixture().get(1));
        assertEquals(0.0, curve.get(0)[0], 1e-9);
        assertEquals(1.2, curve.get(0)[1], 1e-9);
        assertEquals(3.0, curve.get(curve.size() - 1)[0], 1e-9, "1000 samples reach 99.9%");
        assertEquals(40.0, curve.get(curve.size() - 1)[1], 1e-9);
        double previous = 0;
        for (final double[] pt : curve)
        {
            assertTrue(pt[1] >= previous);
            previous = pt[1];
        }
        assertEquals("99.99%", LatencyPlot.percentileLabel(4));
        assertEquals("90%", LatencyPlot.percentileLabel(1));
    }

    @Test
    void mainWritesBothFiles(@TempDir final Path dir) throws IOException
    {
        final Path jmh = dir.resolve("jmh.json");
        final Path gc = dir.resolve("gc.json");
        Files.writeString(jmh, resource("jmh-fixture.json"));
        Files.writeString(gc, resource("gc-fixture.json"));
        ReportMain.main(new String[] {jmh.toString(), gc.toString(), dir.resolve("out.md").toString(),
            dir.resolve("out.svg").toString()});
        final String md = Files.readString(dir.resolve("out.md"));
        assertTrue(md.contains("17.0.15+6-fixture"));
        assertTrue(md.contains("](out.svg)"));
        assertTrue(Files.readString(dir.resolve("out.svg")).startsWith("<?xml"));
    }

    @Test
    void jsonParserHandlesEscapesAndLiterals()
    {
        final Object v = Json.parse("{\"a\": [1, -2.5e3, true, false, null, \"x\\\"\\u00b7y\"], \"b\": {}}");
        assertEquals("{a=[1.0, -2500.0, true, false, null, x\"·y], b={}}", String.valueOf(v));
        assertTrue(Double.isNaN(Json.number("NaN")));
    }
}
