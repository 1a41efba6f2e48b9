package dev.simpler.perf.reference;

/**
 * Where a {@link ReferenceEngine} worker runs its tasks, as in the upstream runtime.
 */
public enum ReferenceMode
{
    /** The worker thread runs the task itself. */
    THREAD,

    /**
     * The worker thread hands each task to its own child JVM through a shared-memory mailbox and polls for
     * TASK_DONE, sleeping 50 µs between polls ({@link ReferenceProcessWorker}).
     */
    PROCESS
}
