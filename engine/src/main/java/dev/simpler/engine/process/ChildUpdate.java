package dev.simpler.engine.process;

import java.io.Serializable;

import dev.simpler.engine.SubCallable;

/**
 * What changed in the engine since a child started: sub callables registered after {@code init()} and shared
 * files created since. Sent as a control task before the first task that may need it.
 *
 * @param firstCallableId id of {@code callables[0]}.
 * @param callables       new sub callables, by id from {@code firstCallableId}.
 * @param regions         new shared files to map.
 */
public record ChildUpdate(int firstCallableId, SubCallable[] callables, SharedRegion[] regions)
    implements Serializable
{
    /** The callable value of the control task that carries an update (never a valid callable id or handle). */
    public static final long CONTROL_CALLABLE = Long.MIN_VALUE;
}
