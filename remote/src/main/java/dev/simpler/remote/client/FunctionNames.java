package dev.simpler.remote.client;

import java.util.concurrent.ConcurrentHashMap;

import dev.simpler.engine.Worker;

/**
 * The names behind the function handles this process made with {@code RemoteWorker.functionHandle(name)}, so that an
 * error about a task can name its function rather than a 64-bit hash.
 */
public final class FunctionNames
{
    private static final ConcurrentHashMap<Long, String> NAMES = new ConcurrentHashMap<>();

    private FunctionNames()
    {
    }

    /**
     * The handle of a name, remembered.
     *
     * @param name the function's name.
     * @return {@link Worker#orchestrationHandle(String)} of it.
     */
    public static long handle(final String name)
    {
        final long handle = Worker.orchestrationHandle(name);
        NAMES.putIfAbsent(handle, name);
        return handle;
    }

    /**
     * A function as an error message names it.
     *
     * @param handle the handle.
     * @return {@code function "name"}, or {@code function handle N} for a handle made elsewhere.
     */
    public static String describe(final long handle)
    {
        final String name = NAMES.get(handle);
        return name != null ? "function \"" + name + "\"" : "function handle " + handle;
    }
}
