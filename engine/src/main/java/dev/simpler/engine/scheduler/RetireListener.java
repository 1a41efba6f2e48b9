package dev.simpler.engine.scheduler;

/**
 * Told when a task retires, so the owner of the graph's side tables (the access index, heap rings) can release
 * what the task held. Called on the orchestrating thread.
 */
@FunctionalInterface
public interface RetireListener
{
    /**
     * The task completed, every consumer completed and its scope ended; its slot is reused after this returns.
     *
     * @param slot the retiring task.
     */
    void onRetire(TaskSlot slot);
}
