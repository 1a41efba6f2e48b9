package dev.simpler.mailbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import org.agrona.concurrent.UnsafeBuffer;

class TensorFlyweightPropertiesTest
{
    private final TensorFlyweight tensor = new TensorFlyweight();

    @Property
    void encodedRecordReadsBackTheSameFields(
        @ForAll final long address,
        @ForAll @IntRange(min = 0, max = 8) final int dtypeCode,
        @ForAll @IntRange(min = 1, max = 5) final int ndims,
        @ForAll("shapes") final int[] shape)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);

        tensor.wrap(buffer, 24).encode(address, dtypeCode, ndims, shape);

        assertEquals(address, tensor.address());
        assertEquals(dtypeCode, tensor.dtypeCode());
        assertEquals(ndims, tensor.ndims());
        for (int dim = 0; dim < TensorDescriptor.MAX_DIMS; dim++)
        {
            assertEquals(dim < ndims ? shape[dim] : 0, tensor.shape(dim));
        }
    }

    @Property
    void encodedRecordMatchesAnIndependentLittleEndianEncoding(
        @ForAll final long address,
        @ForAll @IntRange(min = 0, max = 8) final int dtypeCode,
        @ForAll @IntRange(min = 1, max = 5) final int ndims,
        @ForAll("shapes") final int[] shape)
    {
        final byte[] bytes = new byte[TensorDescriptor.ENCODED_LENGTH];
        Arrays.fill(bytes, (byte)0xEE);

        tensor.wrap(new UnsafeBuffer(bytes), 0).encode(address, dtypeCode, ndims, shape);

        final ByteBuffer expected = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        expected.putLong(0, address);
        for (int dim = 0; dim < ndims; dim++)
        {
            expected.putInt(8 + 4 * dim, shape[dim]);
        }
        expected.putInt(28, ndims);
        expected.put(32, (byte)dtypeCode);
        assertArrayEquals(expected.array(), bytes);
    }

    @Property
    void nbytesMatchesTheDescriptorForSmallShapes(
        @ForAll @IntRange(min = 0, max = 8) final int dtypeCode,
        @ForAll @IntRange(min = 1, max = 5) final int ndims,
        @ForAll("smallShapes") final int[] shape)
    {
        tensor.wrap(new UnsafeBuffer(new byte[40]), 0).encode(1L, dtypeCode, ndims, shape);

        long expected = TensorDescriptor.elementSize(dtypeCode);
        for (int dim = 0; dim < ndims; dim++)
        {
            expected *= shape[dim];
        }
        assertEquals(expected, tensor.nbytes());
        assertEquals(expected, TensorDescriptor.nbytes(dtypeCode, ndims, shape));
    }

    @Provide
    Arbitrary<int[]> shapes()
    {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE)
            .array(int[].class).ofSize(TensorDescriptor.MAX_DIMS);
    }

    @Provide
    Arbitrary<int[]> smallShapes()
    {
        return Arbitraries.integers().between(0, 1000).array(int[].class).ofSize(TensorDescriptor.MAX_DIMS);
    }
}
