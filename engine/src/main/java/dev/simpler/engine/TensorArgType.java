package dev.simpler.engine;

/**
 * How a task uses a tensor's bytes; decides the dependencies inferred at submit time (SPEC §2.3, §3): a task waits
 * for every earlier task whose access conflicts with its own on at least one byte — a read after a write, a write
 * after a read or a write. Tags are consumed by the orchestrator and never travel through a mailbox; workers called
 * in the engine's process read them with {@link TaskArgsView#tag(int)}.
 */
public enum TensorArgType
{
    /** Read: waits for earlier writers of any of its bytes. */
    INPUT,
    /**
     * Write: waits for earlier readers and writers of any of its bytes; address 0 makes the engine allocate the
     * tensor, which is new memory and waits for nothing.
     */
    OUTPUT,
    /** Read then write: waits for earlier readers and writers of any of its bytes. */
    INOUT,
    /** Write into a caller buffer: waits for earlier readers and writers of any of its bytes. */
    OUTPUT_EXISTING,
    /** Passed through: conflicts with nothing, never recorded. */
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
