package dev.simpler.engine.worker;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.TaskArgsView;

/**
 * What a worker thread does with one task (or group member): call a sub callable or a next-level worker in this
 * process (THREAD mode), or drive a child through its mailbox (PROCESS mode).
 */
@FunctionalInterface
public interface TaskExecutor
{
    /**
     * Run one task to completion.
     *
     * @param callable sub callable id or next-level handle.
     * @param args     the task's arguments.
     * @param config   the task's launch configuration.
     * @throws TaskExecutionException with the error code and message the task fails with.
     * @throws Exception              anything the callable threw (error code 2).
     */
    void execute(long callable, TaskArgsView args, CallConfig config) throws Exception;
}
