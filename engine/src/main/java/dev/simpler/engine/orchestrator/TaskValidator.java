package dev.simpler.engine.orchestrator;

import dev.simpler.engine.TaskArgsView;

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
     * Check one task (or group member).
     *
     * @param kind   "sub" or "next-level", for messages.
     * @param member member index within the group (0 for a single task).
     * @param args   the caller's arguments.
     * @throws IllegalArgumentException when the task cannot run on this pool.
     */
    void validate(String kind, int member, TaskArgsView args);
}
