package dev.simpler.engine;

/**
 * What a submit returns: the graph node ("task slot") the task occupies.
 *
 * @param taskSlot index of the task slot, unique among the live tasks of the engine.
 */
public record SubmitResult(int taskSlot)
{
}
