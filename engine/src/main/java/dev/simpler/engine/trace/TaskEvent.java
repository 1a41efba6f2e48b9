package dev.simpler.engine.trace;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JDK Flight Recorder event of one task (one member of a group) of a simpler engine (SPEC §14), disabled by default.
 * In THREAD mode it spans the task's run and is committed on the worker thread that ran it, so a recording shows it
 * over that thread's CPU samples. In PROCESS mode the task runs in a child JVM, which has no part in the engine's
 * recording: the event spans the task's round trip as the engine saw it (from handing it to the child to taking its
 * result), on the engine thread that took the result, and names the child's pid and the time the child itself
 * measured.
 */
@Name(TaskEvent.NAME)
@Label("Simpler Task")
@Category({"Simpler", "Tasks"})
@Description("A task run by a worker of a simpler engine: in THREAD mode on the worker thread that ran it; in PROCESS "
    + "mode the round trip through the child JVM, on the engine thread that took its result")
@Enabled(false)
@StackTrace(false)
public final class TaskEvent extends Event
{
    /** The event's name, for recording settings. */
    public static final String NAME = "dev.simpler.Task";

    @Label("Engine")
    @Description("The id of the Worker that ran the task")
    String engine;

    @Label("Slot")
    @Description("The task's slot in the engine's slot table (reused by later tasks)")
    int slot;

    @Label("Run")
    @Description("The number of the run the task belongs to")
    int run;

    @Label("Claim")
    @Description("The task's number among all tasks of the engine")
    long claim;

    @Label("Callable")
    @Description("Sub callable id, chip callable handle or orchestration handle")
    long callable;

    @Label("Kind")
    String kind;

    @Label("Member")
    @Description("The member of a group, 0 for a single task")
    int member;

    @Label("Worker")
    String worker;

    @Label("Failed")
    boolean failed;

    @Label("Child Pid")
    @Description("The pid of the child JVM that ran the task (PROCESS mode), 0 in THREAD mode")
    long childPid;

    @Label("Time In Child")
    @Description("How long the task ran as the child measured it (PROCESS mode, when it reported its times)")
    @Timespan(Timespan.NANOSECONDS)
    long childTime;
}
