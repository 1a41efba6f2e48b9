package dev.simpler.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The trace page (SPEC §14) in a real browser: headless Chromium loads it from a file, with no network, runs its
 * script to the end and draws every task, flow and run of the JSON beside it. Skipped, saying so, where Chromium is
 * not installed ({@code apt-get install -y chromium}); the JSON and the page's content are tested without it
 * ({@link TraceTest}).
 */
@Timeout(180)
class TracePageInBrowserTest
{
    private static final long BROWSER_SECONDS = 120;
    private static final Pattern DRAWN = Pattern.compile("data-drawn=\"(\\d+) tasks, (\\d+) flows, (\\d+) runs\"");

    @TempDir
    Path dir;

    @Test
    void headlessChromiumRunsThePageAndDrawsEveryTaskFlowAndRun() throws IOException, InterruptedException
    {
        final Path chromium = findChromium();
        Assumptions.assumeTrue(chromium != null, "chromium is not installed (apt-get install -y chromium): the page "
            + "is not rendered in a browser here");
        final Path json = dir.resolve("browser.json");
        try (Worker worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(2)))
        {
            final int id = worker.register((args) -> { });
            final Tensor data = worker.sharedTensor(DataType.INT64, 8);
            final Tensor parts = worker.sharedTensor(DataType.INT64, 3, 8);
            worker.startTrace();
            for (int run = 0; run < 2; run++)
            {
                worker.run((orch, unused) ->
                {
                    orch.submitSub(id, new TaskArgs().outputExisting(data));
                    for (int b = 0; b < 3; b++)
                    {
                        orch.submitSub(id, new TaskArgs().input(data).outputExisting(parts.slice(b, b + 1)));
                    }
                    orch.submitSub(id, new TaskArgs().input(parts));
                }, null);
            }
            worker.stopTrace(json);
        }
        final JsonNode trace = new ObjectMapper().readTree(json.toFile());
        int tasks = 0;
        int flows = 0;
        int runs = 0;
        for (final JsonNode e : trace.get("traceEvents"))
        {
            final String phase = e.get("ph").asText();
            tasks += "X".equals(phase) ? 1 : 0;
            flows += "s".equals(phase) ? 1 : 0;
            runs += "b".equals(phase) ? 1 : 0;
        }

        final String dom = dumpDom(chromium, dir.resolve("browser.html"));
        final Matcher drawn = DRAWN.matcher(dom);
        assertTrue(drawn.find(), "the page's script did not run to the end; the DOM Chromium saw:\n" + dom);
        assertEquals(List.of(tasks, flows, runs), List.of(Integer.parseInt(drawn.group(1)),
            Integer.parseInt(drawn.group(2)), Integer.parseInt(drawn.group(3))), "drawn: tasks, flows, runs");
        assertEquals(10, tasks);
        assertTrue(flows >= 12, "source → 3 branches → sink twice: " + flows);
        assertEquals(2, runs);
    }

    private static Path findChromium()
    {
        for (final String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser",
            "/usr/bin/google-chrome"))
        {
            final Path path = Path.of(candidate);
            if (Files.isExecutable(path))
            {
                return path;
            }
        }
        return null;
    }

    private String dumpDom(final Path chromium, final Path page) throws IOException, InterruptedException
    {
        final Path out = dir.resolve("dom.html");
        // --no-sandbox: Chromium refuses to run as root without it; the page is a local file without network.
        final Process browser = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
            "--user-data-dir=" + dir.resolve("profile"), "--dump-dom", page.toUri().toString())
            .redirectOutput(out.toFile())
            .redirectError(dir.resolve("chromium.err").toFile())
            .start();
        try
        {
            if (!browser.waitFor(BROWSER_SECONDS, TimeUnit.SECONDS))
            {
                throw new AssertionError("chromium did not finish within " + BROWSER_SECONDS + " s");
            }
        }
        finally
        {
            browser.descendants().forEach(ProcessHandle::destroyForcibly);
            browser.destroyForcibly();
            browser.waitFor(BROWSER_SECONDS, TimeUnit.SECONDS);
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }
}
