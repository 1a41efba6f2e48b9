package dev.simpler.engine;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.simpler.engine.scheduler.RunListener;
import dev.simpler.engine.scheduler.RunReport;

/**
 * The handle of one run submitted with {@link Worker#submit}. The driving thread finishes it ({@link RunListener});
 * its future, whose dependent actions are user code, is completed later by the thread that finished the run, once
 * that thread gave up the driving role ({@link Worker}).
 */
final class SubmittedRun implements RunHandle, RunListener
{
    private final Worker worker;
    private final CountDownLatch done = new CountDownLatch(1);
    private int run;
    private Throwable orchestrationError;
    /** What join throws; null when the run succeeded. Written before the latch opens. */
    private volatile Throwable outcome;
    private volatile boolean finished;
    private CompletableFuture<Void> future;

    SubmittedRun(final Worker worker)
    {
        this.worker = worker;
    }

    void started(final int run)
    {
        this.run = run;
    }

    int run()
    {
        return run;
    }

    void orchestrationFailed(final Throwable error)
    {
        orchestrationError = error;
    }

    @Override
    public void runFinished(final int finishedRun, final RunReport report)
    {
        final TaskFailedException failure = Worker.failureOf(report);
        Throwable result = failure;
        if (orchestrationError != null)
        {
            if (failure != null)
            {
                orchestrationError.addSuppressed(failure);
            }
            result = orchestrationError;
        }
        finish(result);
    }

    @Override
    public void runAbandoned(final int abandonedRun, final Throwable error)
    {
        finish(error);
    }

    /**
     * Finish the run with an outcome, once: later calls do nothing.
     *
     * @param error what join throws, or null.
     * @return true when this call finished it.
     */
    boolean finish(final Throwable error)
    {
        final boolean futurePending;
        synchronized (this)
        {
            if (finished)
            {
                return false;
            }
            outcome = error;
            finished = true;
            futurePending = future != null;
        }
        done.countDown();
        worker.runFinished(this, futurePending);
        return true;
    }

    /**
     * Complete the future of a finished run; called outside the driving role.
     */
    void completeFuture()
    {
        final CompletableFuture<Void> target;
        synchronized (this)
        {
            target = future;
        }
        complete(target);
    }

    @Override
    public boolean isDone()
    {
        return finished;
    }

    @Override
    public void join()
    {
        await(Long.MAX_VALUE);
        rethrow();
    }

    @Override
    public boolean join(final Duration timeout)
    {
        Objects.requireNonNull(timeout, "timeout");
        if (!await(Math.max(0, timeout.toNanos())))
        {
            return false;
        }
        rethrow();
        return true;
    }

    @Override
    public CompletableFuture<Void> toCompletableFuture()
    {
        final CompletableFuture<Void> created;
        synchronized (this)
        {
            if (future != null)
            {
                return future;
            }
            future = new CompletableFuture<>();
            created = future;
            if (!finished)
            {
                return created;
            }
        }
        complete(created);
        return created;
    }

    @Override
    public String toString()
    {
        return "RunHandle{run=" + run + ", done=" + finished + '}';
    }

    private void complete(final CompletableFuture<Void> target)
    {
        if (target == null)
        {
            return;
        }
        final Throwable error = outcome;
        if (error == null)
        {
            target.complete(null);
        }
        else
        {
            target.completeExceptionally(error);
        }
    }

    private boolean await(final long timeoutNs)
    {
        if (finished)
        {
            return true;
        }
        final long deadline = timeoutNs == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + timeoutNs;
        // Drive the engine when nobody else does: the run's completions are taken here, with no hand-off.
        if (worker.driveUntilFinished(this, deadline))
        {
            return true;
        }
        boolean interrupted = false;
        try
        {
            while (!finished)
            {
                final long remaining = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
                if (remaining <= 0)
                {
                    return false;
                }
                try
                {
                    done.await(remaining, TimeUnit.NANOSECONDS);
                }
                catch (final InterruptedException ex)
                {
                    interrupted = true;
                }
            }
            return true;
        }
        finally
        {
            if (interrupted)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void rethrow()
    {
        final Throwable error = outcome;
        if (error != null)
        {
            Worker.throwUnchecked(error);
        }
    }
}
