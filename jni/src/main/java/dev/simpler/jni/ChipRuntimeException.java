package dev.simpler.jni;

/**
 * A chip runtime call returned a negative code. Names the call (the kernel, for a run), the device and the code,
 * with the runtime's own explanation when it gives one.
 */
public final class ChipRuntimeException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** The runtime's return code. */
    private final int code;

    /**
     * A failed call.
     *
     * @param code    the runtime's return code.
     * @param message the full message.
     */
    public ChipRuntimeException(final int code, final String message)
    {
        super(message);
        this.code = code;
    }

    /**
     * The runtime's return code.
     *
     * @return a negative code.
     */
    public int code()
    {
        return code;
    }
}
