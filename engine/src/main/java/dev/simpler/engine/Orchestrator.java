package dev.simpler.engine;

import java.util.List;

/**
 * The graph builder handed to an orchestration function. Each submit creates one task slot and infers its
 * dependencies from the byte ranges its tensors cover and their tags (SPEC §3). Valid only inside
 * {@link Worker#run}, on the thread that called it.
 */
public interface Orchestrator
{
    /**
     * Submit a task to one next-level worker.
     *
     * @param callable chip callable handle (L3) or orchestration function handle (L4).
     * @param args     tagged tensors and scalars; OUTPUT tensors with address 0 are allocated and patched in.
     * @param config   launch configuration.
     * @return the task's slot.
     */
    SubmitResult submitNextLevel(long callable, TaskArgs args, CallConfig config);

    /**
     * Submit one task that runs on {@code argsList.size()} next-level workers at the same time.
     *
     * @param callable callable handle run by every member.
     * @param argsList member i receives list i.
     * @param config   launch configuration.
     * @return the group's slot.
     */
    SubmitResult submitNextLevelGroup(long callable, List<TaskArgs> argsList, CallConfig config);

    /**
     * Submit a task to one sub worker.
     *
     * @param callableId id returned by {@link Worker#register}.
     * @param args       tagged tensors and scalars.
     * @return the task's slot.
     */
    SubmitResult submitSub(int callableId, TaskArgs args);

    /**
     * Submit one task that runs on {@code argsList.size()} sub workers at the same time.
     *
     * @param callableId id returned by {@link Worker#register}.
     * @param argsList   member i receives list i.
     * @return the group's slot.
     */
    SubmitResult submitSubGroup(int callableId, List<TaskArgs> argsList);

    /**
     * Carve a tensor from the current scope's heap ring. It acts as a completed task that last wrote the
     * buffer; its memory is reclaimed once every task that named it completed and its scope ended.
     *
     * @param dtype element type.
     * @param shape 1 to 5 dimensions.
     * @return the tensor, 1024-byte aligned.
     */
    Tensor alloc(DataType dtype, int... shape);

    /**
     * Open a nested scope (at most 64 deep).
     *
     * @return the scope, to close in a try-with-resources block.
     */
    Scope scope();
}
