package dev.simpler.mailbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import org.agrona.concurrent.UnsafeBuffer;

class ArgsBlobPropertiesTest
{
    private static final int CAPACITY = MailboxDescriptor.ARGS_CAPACITY;
    private static final int MAX_TENSORS =
        (CAPACITY - ArgsBlobDescriptor.HEADER_LENGTH) / TensorDescriptor.ENCODED_LENGTH;

    private final ArgsBlobFlyweight writer = new ArgsBlobFlyweight();
    private final ArgsBlobFlyweight reader = new ArgsBlobFlyweight();

    @Property
    void blobReadsBackTheSameTensorsAndScalars(@ForAll("blobs") final Blob expected)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[CAPACITY]);
        write(expected, writer.wrap(buffer, 0, CAPACITY));

        reader.wrap(buffer, 0, CAPACITY);
        assertEquals(expected.tensors.size(), reader.tensorCount());
        assertEquals(expected.scalars.size(), reader.scalarCount());
        for (int i = 0; i < expected.tensors.size(); i++)
        {
            final Tensor tensor = expected.tensors.get(i);
            final TensorFlyweight actual = reader.tensor(i);
            assertEquals(tensor.address, actual.address());
            assertEquals(tensor.dtypeCode, actual.dtypeCode());
            assertEquals(tensor.shape.length, actual.ndims());
            for (int dim = 0; dim < tensor.shape.length; dim++)
            {
                assertEquals(tensor.shape[dim], actual.shape(dim));
            }
        }
        for (int i = 0; i < expected.scalars.size(); i++)
        {
            assertEquals(expected.scalars.get(i), reader.scalar(i));
        }
    }

    @Property
    void blobLengthAndScalarPositionsMatchTheSpecFormula(@ForAll("blobs") final Blob expected)
    {
        final byte[] bytes = new byte[CAPACITY];
        write(expected, writer.wrap(new UnsafeBuffer(bytes), 0, CAPACITY));

        final int tensorCount = expected.tensors.size();
        final int scalarCount = expected.scalars.size();
        assertEquals(8 + 40 * tensorCount + 8 * scalarCount, writer.encodedLength());

        final ByteBuffer raw = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(tensorCount, raw.getInt(0));
        assertEquals(scalarCount, raw.getInt(4));
        for (int i = 0; i < scalarCount; i++)
        {
            assertEquals(expected.scalars.get(i), raw.getLong(8 + 40 * tensorCount + 8 * i));
        }
        for (int i = 0; i < tensorCount; i++)
        {
            assertEquals(expected.tensors.get(i).address, raw.getLong(8 + 40 * i));
        }
    }

    @Provide
    Arbitrary<Blob> blobs()
    {
        // The combined edge cases of nested lists run to thousands; mix in the two that matter instead.
        final Arbitrary<Blob> randomBlobs = Arbitraries.integers().between(0, MAX_TENSORS).flatMap(tensorCount ->
        {
            final int maxScalars = (CAPACITY - ArgsBlobDescriptor.encodedLength(tensorCount, 0)) / 8;
            return Combinators.combine(
                tensors().list().ofSize(tensorCount),
                Arbitraries.longs().list().ofMaxSize(maxScalars))
                .as(Blob::new);
        }).withoutEdgeCases();

        return Arbitraries.frequencyOf(
            Tuple.of(1, Arbitraries.just(new Blob(List.of(), List.of()))),
            Tuple.of(1, Arbitraries.just(fullBlob())),
            Tuple.of(18, randomBlobs));
    }

    private static Blob fullBlob()
    {
        final Tensor tensor = new Tensor(-1L, TensorDescriptor.MAX_DTYPE_CODE, new int[] { 1, 2, 3, 4, 5 });
        return new Blob(Collections.nCopies(MAX_TENSORS, tensor), Collections.nCopies(3, Long.MIN_VALUE));
    }

    private static Arbitrary<Tensor> tensors()
    {
        final Arbitrary<int[]> shapes = Arbitraries.integers().between(0, Integer.MAX_VALUE)
            .array(int[].class).ofMinSize(1).ofMaxSize(TensorDescriptor.MAX_DIMS);
        return Combinators.combine(
            Arbitraries.longs(),
            Arbitraries.integers().between(0, TensorDescriptor.MAX_DTYPE_CODE),
            shapes)
            .as(Tensor::new);
    }

    private static void write(final Blob blob, final ArgsBlobFlyweight writer)
    {
        writer.reset(blob.tensors.size(), blob.scalars.size());
        for (int i = 0; i < blob.tensors.size(); i++)
        {
            final Tensor tensor = blob.tensors.get(i);
            writer.putTensor(i, tensor.address, tensor.dtypeCode, tensor.shape.length, tensor.shape);
        }
        for (int i = 0; i < blob.scalars.size(); i++)
        {
            writer.scalar(i, blob.scalars.get(i));
        }
    }

    static final class Tensor
    {
        final long address;
        final int dtypeCode;
        final int[] shape;

        Tensor(final long address, final int dtypeCode, final int[] shape)
        {
            this.address = address;
            this.dtypeCode = dtypeCode;
            this.shape = shape;
        }
    }

    static final class Blob
    {
        final List<Tensor> tensors;
        final List<Long> scalars;

        Blob(final List<Tensor> tensors, final List<Long> scalars)
        {
            this.tensors = tensors;
            this.scalars = scalars;
        }
    }
}
