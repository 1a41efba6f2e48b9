package dev.simpler.engine.worker;

/**
 * A task failure that carries its own error code (SPEC §7: 1 unknown callable or run failure, 2 the callable
 * threw, 99 child initialisation failed). Any other exception from a task fails it with code 2.
 */
public final class TaskExecutionException extends Exception
{
    /** Unknown callable or run failure. */
    public static final int RUN_FAILED = 1;
    /** The callable threw. */
    public static final int CALLABLE_THREW = 2;

    private static final long serialVersionUID = 1L;

    private final int errorCode;

    /**
     * A failure with a code.
     *
     * @param errorCode the code.
     * @param message   what went wrong.
     */
    public TaskExecutionException(final int errorCode, final String message)
    {
        super(message);
        this.errorCode = errorCode;
    }

    /**
     * The error code.
     *
     * @return the code the task fails with.
     */
    public int errorCode()
    {
        return errorCode;
    }
}
