package dev.simpler.engine.trace;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The HTML page written beside a trace's JSON: the template {@code trace-page.html} (inline CSS and JavaScript, no
 * network) with the JSON embedded, drawing the same lanes — a lane per process and thread, tasks as boxes coloured
 * by callable, submits and ready moments as ticks, runs as spans, flows as lines (all of a task's on hover) — with
 * zoom (wheel) and pan (drag).
 */
final class TracePage
{
    private static final String TEMPLATE = "trace-page.html";
    private static final String DATA_MARK = "/*@TRACE_JSON@*/null";
    private static final String TITLE_MARK = "@TITLE@";

    private TracePage()
    {
    }

    /**
     * Write the page.
     *
     * @param page  where.
     * @param json  the trace's JSON text.
     * @param title the page's title.
     * @throws IOException when the page cannot be written.
     */
    static void write(final Path page, final String json, final String title) throws IOException
    {
        final String template = template();
        final int at = template.indexOf(DATA_MARK);
        // "</" would end the script element; "<\/" is the same string in JSON and JavaScript.
        final String data = json.replace("</", "<\\/");
        final String html = template.substring(0, at).replace(TITLE_MARK, escapeHtml(title)) + data
            + template.substring(at + DATA_MARK.length());
        Files.writeString(page, html, UTF_8);
    }

    private static String template()
    {
        try (InputStream in = TracePage.class.getResourceAsStream(TEMPLATE))
        {
            if (in == null)
            {
                throw new IllegalStateException("the trace page template " + TEMPLATE + " is missing from the jar");
            }
            return new String(in.readAllBytes(), UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read the trace page template " + TEMPLATE, ex);
        }
    }

    private static String escapeHtml(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
