package dev.simpler.engine;

/**
 * Anything that runs one task synchronously: a chip, a Java callable runner, or a whole lower-level Worker.
 */
public interface IWorker
{
    /**
     * Run one task to completion.
     *
     * @param callable sub callable id, chip callable handle, or orchestration function handle.
     * @param args     the task's tensors and scalars.
     * @param config   the task's launch configuration.
     * @throws Exception when the task fails.
     */
    void run(long callable, TaskArgsView args, CallConfig config) throws Exception;
}
