package dev.simpler.engine;

/**
 * Element type of a tensor. The wire code of each type is its ordinal (SPEC §2.1).
 */
public enum DataType
{
    /** 32-bit IEEE float. */
    FLOAT32(4),
    /** 16-bit IEEE float. */
    FLOAT16(2),
    /** 32-bit signed integer. */
    INT32(4),
    /** 16-bit signed integer. */
    INT16(2),
    /** 8-bit signed integer. */
    INT8(1),
    /** 8-bit unsigned integer. */
    UINT8(1),
    /** bfloat16. */
    BFLOAT16(2),
    /** 64-bit signed integer. */
    INT64(8),
    /** 64-bit unsigned integer. */
    UINT64(8);

    private static final DataType[] BY_CODE = values();

    private final int elementSize;

    DataType(final int elementSize)
    {
        this.elementSize = elementSize;
    }

    /**
     * The wire code of this type.
     *
     * @return the ordinal, as carried in the tensor record.
     */
    public int code()
    {
        return ordinal();
    }

    /**
     * Size of one element.
     *
     * @return bytes per element.
     */
    public int elementSize()
    {
        return elementSize;
    }

    /**
     * The type with the given wire code.
     *
     * @param code wire code, 0..8.
     * @return the type.
     * @throws IllegalArgumentException for an unknown code.
     */
    public static DataType fromCode(final int code)
    {
        if (code < 0 || code >= BY_CODE.length)
        {
            throw new IllegalArgumentException(
                "unknown dtype code: code=" + code + ", known codes are 0.." + (BY_CODE.length - 1));
        }
        return BY_CODE[code];
    }
}
