package dev.simpler.engine.scheduler;

/**
 * What went wrong in one run: the first failed task and how many failed or were skipped. Written by the
 * orchestrating thread as it takes completions.
 */
public final class RunReport
{
    private int failedTasks;
    private int skippedTasks;
    private int firstFailedSlot = -1;
    private int firstErrorCode;
    private String firstErrorMessage;
    private String firstWorkerName;
    private Throwable firstCause;

    void reset()
    {
        failedTasks = 0;
        skippedTasks = 0;
        firstFailedSlot = -1;
        firstErrorCode = 0;
        firstErrorMessage = null;
        firstWorkerName = null;
        firstCause = null;
    }

    void failed(final int slot, final StoredArgs failedMember)
    {
        if (failedTasks++ == 0)
        {
            firstFailedSlot = slot;
            firstErrorCode = failedMember.errorCode;
            firstErrorMessage = failedMember.errorMessage;
            firstWorkerName = failedMember.workerName;
            firstCause = failedMember.errorCause;
        }
    }

    void skipped()
    {
        skippedTasks++;
    }

    /**
     * Whether any task of the run failed.
     *
     * @return true when at least one failed.
     */
    public boolean hasFailures()
    {
        return failedTasks > 0;
    }

    /**
     * Tasks that failed.
     *
     * @return count.
     */
    public int failedTasks()
    {
        return failedTasks;
    }

    /**
     * Tasks not run because a producer failed or was skipped.
     *
     * @return count.
     */
    public int skippedTasks()
    {
        return skippedTasks;
    }

    /**
     * Slot of the first failed task.
     *
     * @return slot index, -1 when none failed.
     */
    public int firstFailedSlot()
    {
        return firstFailedSlot;
    }

    /**
     * Error code of the first failed task.
     *
     * @return the code.
     */
    public int firstErrorCode()
    {
        return firstErrorCode;
    }

    /**
     * Message of the first failed task.
     *
     * @return the worker's message.
     */
    public String firstErrorMessage()
    {
        return firstErrorMessage;
    }

    /**
     * Worker that ran the first failed task.
     *
     * @return its name.
     */
    public String firstWorkerName()
    {
        return firstWorkerName;
    }

    /**
     * The exception of the first failed task, when it was thrown in this process.
     *
     * @return the cause or null.
     */
    public Throwable firstCause()
    {
        return firstCause;
    }
}
