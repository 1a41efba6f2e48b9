package dev.simpler.engine.trace;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JDK Flight Recorder event of one run of a simpler engine (SPEC §14), disabled by default: from the moment the
 * run began (before its orchestration function) to the moment its last task completed, committed on the thread
 * that saw it finish (the submitting thread, a joining thread or the engine's run finisher).
 */
@Name(RunEvent.NAME)
@Label("Simpler Run")
@Category({"Simpler", "Runs"})
@Description("A run of a simpler engine: from its start to the completion of its last task")
@Enabled(false)
@StackTrace(false)
public final class RunEvent extends Event
{
    /** The event's name, for recording settings. */
    public static final String NAME = "dev.simpler.Run";

    @Label("Engine")
    @Description("The id of the Worker")
    String engine;

    @Label("Run")
    @Description("The run's number")
    int run;

    @Label("Tasks")
    @Description("Tasks submitted in the run while the event was enabled")
    int tasks;

    @Label("Outcome")
    @Description("ok, failed (a task failed) or abandoned (the engine broke or closed)")
    String outcome;

    @Label("Failed Tasks")
    int failedTasks;

    @Label("Skipped Tasks")
    int skippedTasks;
}
