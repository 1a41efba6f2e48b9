package dev.simpler.engine;

/**
 * Where a Worker runs its children (SPEC §6).
 */
public enum WorkerMode
{
    /** Children are called in the engine's own process, on the worker threads. */
    THREAD,
    /** Each child is a pre-started child JVM driven through a shared-memory mailbox. */
    PROCESS
}
