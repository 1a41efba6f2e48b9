package dev.simpler.engine;

import java.io.Serializable;

/**
 * A Java function run by sub workers. Registered with {@link Worker#register}; serializable so that
 * PROCESS-mode children can receive it.
 */
@FunctionalInterface
public interface SubCallable extends Serializable
{
    /**
     * Run one task.
     *
     * @param args the task's tensors and scalars, valid only for the duration of the call.
     * @throws Exception to fail the task with code 2 and the exception's text.
     */
    void call(TaskArgsView args) throws Exception;
}
