package dev.simpler.engine.process;

import java.io.Serializable;

import dev.simpler.engine.SubCallable;
import dev.simpler.engine.WorkerFactory;

/**
 * Everything a child JVM needs to start, handed to it as a serialized file: its mailbox, the shared files to
 * map, and either the sub callables (a sub worker) or the factory of its next-level worker.
 *
 * @param workerName  the worker this child serves, for messages.
 * @param mailboxPath the mailbox file.
 * @param regions     shared files to map at start.
 * @param callables   sub callables by id (a sub worker), else empty.
 * @param factory     next-level worker factory (a next-level worker), else null.
 * @param busySpin    whether the child spins without parking while it waits for a task.
 * @param parentPid   the engine's pid; the child exits when it is gone.
 * @param doorbellPath the {@link Doorbell} file through which the parent wakes the child when it sleeps, or
 *                     null: the child then waits with timed parks.
 */
public record ChildSpec(
    String workerName,
    String mailboxPath,
    SharedRegion[] regions,
    SubCallable[] callables,
    WorkerFactory factory,
    boolean busySpin,
    long parentPid,
    String doorbellPath) implements Serializable
{
}
