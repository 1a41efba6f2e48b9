package dev.simpler.engine.trace;

import java.nio.file.Path;

/**
 * What {@code Worker.stopTrace} wrote.
 *
 * @param json          the Chrome trace-event JSON.
 * @param html          the page that draws it.
 * @param taskEvents    complete events of task runs written.
 * @param droppedEvents events lost because a thread's ring was full (the oldest ones).
 */
public record TraceSummary(Path json, Path html, int taskEvents, long droppedEvents)
{
}
