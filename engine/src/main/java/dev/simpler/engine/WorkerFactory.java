package dev.simpler.engine;

import java.io.Serializable;

/**
 * Builds a next-level worker where it runs: in this process (THREAD mode) or in the child (PROCESS mode).
 */
@FunctionalInterface
public interface WorkerFactory extends Serializable
{
    /**
     * Create the worker.
     *
     * @return a worker ready to run tasks.
     * @throws Exception to fail {@link Worker#init()} with this exception's message.
     */
    IWorker create() throws Exception;
}
