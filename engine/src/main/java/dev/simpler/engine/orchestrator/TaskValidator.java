package dev.simpler.engine.orchestrator;

import dev.simpler.engine.TaskArgsView;
import dev.simpler.mailbox.ChipArgsDescriptor;

/**
 * A check a worker pool imposes on the arguments of its tasks at submit time, e.g. that they fit a PROCESS-mode
 * mailbox or a chip's argument record. Throws to reject the task before anything is submitted.
 */
@FunctionalInterface
public interface TaskValidator
{
    /** Accepts every task. */
    TaskValidator ACCEPT_ALL = (kind, member, args) -> { };

    /**
     * At level 3 next-level workers are chips: a task must fit the chip-args record (SPEC §9).
     */
    TaskValidator CHIP_ARGS = (kind, member, args) ->
    {
        try
        {
            ChipArgsDescriptor.checkFits(args.tensorCount(), args.scalarCount());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("chip task" + (member == 0 ? "" : " (group member " + member + ")")
                + " rejected: " + ex.getMessage(), ex);
        }
    };

    /**
     * Check one task (or group member).
     *
     * @param kind   "sub" or "next-level", for messages.
     * @param member member index within the group (0 for a single task).
     * @param args   the caller's arguments.
     * @throws IllegalArgumentException when the task cannot run on this pool.
     */
    void validate(String kind, int member, TaskArgsView args);

    /**
     * This check, then another.
     *
     * @param next the other check.
     * @return both checks in order.
     */
    default TaskValidator andThen(final TaskValidator next)
    {
        return (kind, member, args) ->
        {
            validate(kind, member, args);
            next.validate(kind, member, args);
        };
    }
}
