package dev.simpler.engine;

/**
 * How a task uses a tensor; decides the dependencies inferred at submit time (SPEC §2.3).
 * Tags are consumed by the orchestrator and never travel to workers.
 */
public enum TensorArgType
{
    /** Read: depends on the last writer of the address. */
    INPUT,
    /** Write: becomes the last writer; address 0 makes the engine allocate the tensor. */
    OUTPUT,
    /** Read then write: depends on the last writer, then becomes it. */
    INOUT,
    /** Write into a caller buffer: becomes the last writer without looking one up. */
    OUTPUT_EXISTING,
    /** Passed through: never looked up, never recorded. */
    NO_DEP;

    private static final TensorArgType[] BY_CODE = values();

    /**
     * The wire code of this tag.
     *
     * @return the ordinal.
     */
    public int code()
    {
        return ordinal();
    }

    /**
     * The tag with the given wire code.
     *
     * @param code wire code, 0..4.
     * @return the tag.
     * @throws IllegalArgumentException for an unknown code.
     */
    public static TensorArgType fromCode(final int code)
    {
        if (code < 0 || code >= BY_CODE.length)
        {
            throw new IllegalArgumentException(
                "unknown tensor tag code: code=" + code + ", known codes are 0.." + (BY_CODE.length - 1));
        }
        return BY_CODE[code];
    }
}
