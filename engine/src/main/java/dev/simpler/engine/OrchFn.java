package dev.simpler.engine;

/**
 * An orchestration function: builds a graph of tasks through the {@link Orchestrator} it receives.
 *
 * @param <A> the type of the argument handed to {@link Worker#run}.
 */
@FunctionalInterface
public interface OrchFn<A>
{
    /**
     * Submit the tasks of one run.
     *
     * @param orch the orchestrator of the run, valid only during this call.
     * @param args the argument given to {@link Worker#run}.
     * @throws Exception to abort the run; the tasks already submitted still drain before it is rethrown.
     */
    void orchestrate(Orchestrator orch, A args) throws Exception;
}
