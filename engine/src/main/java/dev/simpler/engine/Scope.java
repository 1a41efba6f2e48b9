package dev.simpler.engine;

/**
 * A nested scope of an orchestration function, opened by {@link Orchestrator#scope()}. Closing it does not
 * wait: it releases the scope's hold on its tasks so that they retire as soon as they and their consumers
 * complete.
 */
public interface Scope extends AutoCloseable
{
    /**
     * End the scope.
     *
     * @throws IllegalStateException if the scope is already closed or is not the innermost open scope.
     */
    @Override
    void close();
}
