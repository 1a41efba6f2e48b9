package dev.simpler.engine;

/**
 * What {@link Worker#run} throws, after the run has drained, when a task of the run failed. Names the first
 * failed task's slot, worker, error code and message, and how many dependent tasks were skipped.
 */
public class TaskFailedException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** Slot of the first task that failed. */
    private final int taskSlot;
    /** Its error code. */
    private final int errorCode;
    /** Tasks of the run not run because they depended on a failed task. */
    private final int skippedTasks;
    /** Tasks of the run that failed. */
    private final int failedTasks;

    /**
     * A failure report.
     *
     * @param taskSlot     slot of the first task that failed.
     * @param errorCode    its error code (1 unknown callable or run failure, 2 the callable threw).
     * @param message      the full message.
     * @param skippedTasks tasks of the run not run because they depended on a failed task.
     * @param failedTasks  tasks of the run that failed.
     * @param cause        the worker's exception, when it was in this process.
     */
    public TaskFailedException(
        final int taskSlot,
        final int errorCode,
        final String message,
        final int skippedTasks,
        final int failedTasks,
        final Throwable cause)
    {
        super(message, cause);
        this.taskSlot = taskSlot;
        this.errorCode = errorCode;
        this.skippedTasks = skippedTasks;
        this.failedTasks = failedTasks;
    }

    /**
     * Slot of the first failed task.
     *
     * @return the task slot.
     */
    public int taskSlot()
    {
        return taskSlot;
    }

    /**
     * Error code of the first failed task.
     *
     * @return 1 unknown callable or run failure, 2 the callable threw, 99 child initialisation failed.
     */
    public int errorCode()
    {
        return errorCode;
    }

    /**
     * Tasks that did not run because a producer failed or was skipped.
     *
     * @return skipped task count.
     */
    public int skippedTasks()
    {
        return skippedTasks;
    }

    /**
     * Tasks of the run that failed.
     *
     * @return failed task count, at least 1.
     */
    public int failedTasks()
    {
        return failedTasks;
    }
}
