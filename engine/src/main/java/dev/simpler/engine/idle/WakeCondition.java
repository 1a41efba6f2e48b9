package dev.simpler.engine.idle;

/**
 * The condition a {@link Waiter} waits for, re-checked just before it parks.
 */
@FunctionalInterface
public interface WakeCondition
{
    /**
     * Whether the waiter may stop waiting.
     *
     * @return true when the awaited event happened (or the wait must end for another reason).
     */
    boolean isMet();
}
