package dev.simpler.engine.worker;

import java.util.Arrays;
import java.util.Objects;

import dev.simpler.engine.SubCallable;

/**
 * The sub callables of an engine by id. Registration copies the table and publishes it, so lookups on the
 * worker threads are a plain array read; ids are dense and never reused.
 */
public final class SubCallableRegistry
{
    private volatile SubCallable[] callables = new SubCallable[0];

    /**
     * Add a callable.
     *
     * @param callable the callable.
     * @return its id.
     */
    public synchronized int register(final SubCallable callable)
    {
        Objects.requireNonNull(callable, "callable");
        final SubCallable[] current = callables;
        final SubCallable[] grown = Arrays.copyOf(current, current.length + 1);
        grown[current.length] = callable;
        callables = grown;
        return current.length;
    }

    /**
     * Look a callable up.
     *
     * @param id the id.
     * @return the callable, or null for an unknown id.
     */
    public SubCallable get(final long id)
    {
        final SubCallable[] current = callables;
        return id >= 0 && id < current.length ? current[(int)id] : null;
    }

    /**
     * How many callables are registered.
     *
     * @return the count; valid ids are 0..count-1.
     */
    public int size()
    {
        return callables.length;
    }

    /**
     * A snapshot of every callable, by id.
     *
     * @return a copy of the table.
     */
    public SubCallable[] snapshot()
    {
        return callables.clone();
    }

    /**
     * The THREAD-mode executor of sub tasks: calls the registered callable in this process.
     *
     * @return the executor.
     */
    public TaskExecutor inProcessExecutor()
    {
        return (callable, args, config) ->
        {
            final SubCallable fn = get(callable);
            if (fn == null)
            {
                throw new TaskExecutionException(TaskExecutionException.RUN_FAILED, "unknown sub callable id "
                    + callable + ": " + size() + " callable(s) registered, ids 0.." + (size() - 1));
            }
            fn.call(args);
        };
    }
}
