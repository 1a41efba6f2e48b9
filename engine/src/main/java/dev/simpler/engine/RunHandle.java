package dev.simpler.engine;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A run in flight (SPEC §13), returned by {@link Worker#submit} as soon as its orchestration function returned.
 * The run finishes when every task it submitted completed. Any thread may join it.
 */
public interface RunHandle
{
    /**
     * Whether the run finished (successfully or not).
     *
     * @return true once {@link #join()} would return or throw at once.
     */
    boolean isDone();

    /**
     * Wait until the run finished; the thread that calls this drives the engine meanwhile when no other thread
     * submits.
     *
     * @throws TaskFailedException when a task of the run failed (after the run drained), like {@link Worker#run};
     *                             an exception of the orchestration function is rethrown the same way.
     * @throws IllegalStateException when the Worker broke or was closed before the run finished.
     */
    void join();

    /**
     * Wait at most {@code timeout} for the run to finish.
     *
     * @param timeout how long to wait.
     * @return false when the run is still in flight; true when it finished successfully.
     * @throws TaskFailedException   when it finished and a task failed, as {@link #join()}.
     * @throws IllegalStateException when the Worker broke or was closed before the run finished.
     */
    boolean join(Duration timeout);

    /**
     * A future completed when the run finishes: normally, or exceptionally with what {@link #join()} would throw
     * (a {@link TaskFailedException} when a task failed). Its dependent actions run on the thread that finished
     * the run, after it gave the engine back, or on the caller when the run already finished.
     *
     * @return the future, the same one on every call.
     */
    CompletableFuture<Void> toCompletableFuture();
}
