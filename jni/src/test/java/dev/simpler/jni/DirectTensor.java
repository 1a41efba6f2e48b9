package dev.simpler.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.DataType;
import dev.simpler.engine.Tensor;

/**
 * A tensor over test-owned direct memory, followed by a guard zone the kernels must never write. The object keeps
 * its {@link ByteBuffer} referenced, so the memory lives as long as the tensor is in use.
 */
final class DirectTensor
{
    /** Bytes after the data that must stay untouched. */
    static final int GUARD_BYTES = 256;

    private static final byte GUARD_PATTERN = (byte)0xA5;
    private static final int ALIGNMENT = 64;

    private final ByteBuffer memory;
    private final UnsafeBuffer bytes;
    private final Tensor tensor;
    private final int dataBytes;

    private DirectTensor(final DataType dtype, final int[] shape)
    {
        final Tensor shapeOnly = Tensor.of(0, dtype, shape);
        this.dataBytes = Math.toIntExact(shapeOnly.nbytes());
        this.memory = BufferUtil.allocateDirectAligned(dataBytes + GUARD_BYTES, ALIGNMENT);
        this.bytes = new UnsafeBuffer(memory);
        this.tensor = shapeOnly.withAddress(BufferUtil.address(memory));
        bytes.setMemory(dataBytes, GUARD_BYTES, GUARD_PATTERN);
    }

    /**
     * A FLOAT32 tensor, every element NaN so that an element a kernel never writes shows.
     *
     * @param shape its dimensions.
     * @return the tensor.
     */
    static DirectTensor floats(final int... shape)
    {
        final DirectTensor t = new DirectTensor(DataType.FLOAT32, shape);
        t.fill(Float.NaN);
        return t;
    }

    /**
     * A FLOAT32 tensor holding the given values, shaped as one dimension.
     *
     * @param values the elements.
     * @return the tensor.
     */
    static DirectTensor floatsOf(final float... values)
    {
        final DirectTensor t = floats(values.length);
        t.set(values);
        return t;
    }

    /**
     * A zeroed tensor of any element type.
     *
     * @param dtype element type.
     * @param shape its dimensions.
     * @return the tensor.
     */
    static DirectTensor of(final DataType dtype, final int... shape)
    {
        final DirectTensor t = new DirectTensor(dtype, shape);
        t.bytes.setMemory(0, t.dataBytes, (byte)0);
        return t;
    }

    Tensor tensor()
    {
        return tensor;
    }

    int elements()
    {
        return dataBytes / tensor.dtype().elementSize();
    }

    float get(final int i)
    {
        return bytes.getFloat(i * Float.BYTES);
    }

    void set(final int i, final float value)
    {
        bytes.putFloat(i * Float.BYTES, value);
    }

    void set(final float[] values)
    {
        assertEquals(elements(), values.length, "element count");
        for (int i = 0; i < values.length; i++)
        {
            set(i, values[i]);
        }
    }

    void fill(final float value)
    {
        for (int i = 0; i < elements(); i++)
        {
            set(i, value);
        }
    }

    float[] toArray()
    {
        final float[] values = new float[elements()];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = get(i);
        }
        return values;
    }

    /**
     * Fail unless every element is bit for bit the expected one and the guard zone is untouched.
     *
     * @param expected the reference values.
     * @param what     what the tensor is, for the message.
     */
    void assertEqualsExactly(final float[] expected, final String what)
    {
        assertEquals(expected.length, elements(), what + ": element count");
        int mismatches = 0;
        int first = -1;
        for (int i = 0; i < expected.length; i++)
        {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(get(i)))
            {
                if (first < 0)
                {
                    first = i;
                }
                mismatches++;
            }
        }
        if (mismatches > 0)
        {
            fail(what + ": " + mismatches + " of " + expected.length + " elements differ; first at " + first
                + ": expected " + expected[first] + ", actual " + get(first));
        }
        assertGuardIntact(what);
    }

    /**
     * Fail when anything wrote past the end of the data.
     *
     * @param what what the tensor is, for the message.
     */
    void assertGuardIntact(final String what)
    {
        for (int i = 0; i < GUARD_BYTES; i++)
        {
            if (bytes.getByte(dataBytes + i) != GUARD_PATTERN)
            {
                fail(what + ": byte " + i + " past the end of the tensor was written");
            }
        }
    }

    @Override
    public String toString()
    {
        return tensor + " " + (elements() <= 8 ? Arrays.toString(toArray()) : "");
    }
}
