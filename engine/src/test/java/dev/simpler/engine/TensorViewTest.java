package dev.simpler.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Views and slices of a tensor (SPEC §2.6): a view is a plain tensor at an inner address, checked at the call to
 * lie inside its tensor, and a task can name it in either mode.
 */
@Timeout(60)
class TensorViewTest
{
    private static final long BASE = 1L << 20;

    @Test
    void aViewStartsAtTheOffsetWithItsOwnTypeAndShape()
    {
        final Tensor t = Tensor.of(BASE, DataType.FLOAT32, 4, 8);
        final Tensor v = t.view(16, DataType.INT8, 2, 3);
        assertEquals(BASE + 16, v.address());
        assertEquals(DataType.INT8, v.dtype());
        assertEquals(2, v.ndims());
        assertEquals(3, v.shape(1));
        assertEquals(6, v.nbytes());
    }

    @Test
    void aViewMayEndExactlyAtTheEndOfItsTensor()
    {
        final Tensor t = Tensor.of(BASE, DataType.INT32, 16);
        assertEquals(BASE + 60, t.view(60, DataType.INT32, 1).address());
        assertEquals(0, t.view(64, DataType.INT32, 0).nbytes());
    }

    @Test
    void rejectsAViewPastTheEndNamingTheOffsetItsSizeAndTheTensorsSize()
    {
        final Tensor t = Tensor.of(BASE, DataType.INT32, 16);
        final IndexOutOfBoundsException ex =
            assertThrows(IndexOutOfBoundsException.class, () -> t.view(40, DataType.INT64, 4));
        assertTrue(ex.getMessage().contains("32 bytes at byte offset 40"), ex.getMessage());
        assertTrue(ex.getMessage().contains("tensor of 64 bytes"), ex.getMessage());
    }

    @Test
    void rejectsAViewAtANegativeOffset()
    {
        final Tensor t = Tensor.of(BASE, DataType.INT32, 16);
        assertThrows(IndexOutOfBoundsException.class, () -> t.view(-4, DataType.INT32, 1));
    }

    @Test
    void rejectsAViewOfTheNullTensor()
    {
        final Tensor t = Tensor.of(0, DataType.INT32, 16);
        assertThrows(IllegalArgumentException.class, () -> t.view(0, DataType.INT32, 1));
    }

    @Test
    void aSliceIsTheRowsOfDimensionZero()
    {
        final Tensor t = Tensor.of(BASE, DataType.FLOAT32, 10, 3);
        final Tensor rows = t.slice(2, 5);
        assertEquals(BASE + 2 * 3 * Float.BYTES, rows.address());
        assertEquals(3, rows.shape(0));
        assertEquals(3, rows.shape(1));
        assertEquals(3 * 3 * Float.BYTES, rows.nbytes());
        assertEquals(0, t.slice(10, 10).nbytes());
    }

    @Test
    void rejectsRowsOutsideDimensionZeroNamingThem()
    {
        final Tensor t = Tensor.of(BASE, DataType.FLOAT32, 10, 3);
        final IndexOutOfBoundsException ex = assertThrows(IndexOutOfBoundsException.class, () -> t.slice(4, 11));
        assertTrue(ex.getMessage().contains("[4, 11)") && ex.getMessage().contains("10 rows"), ex.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> t.slice(5, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> t.slice(-1, 2));
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    void aTaskWritesThroughAViewIntoTheMiddleOfASharedTensor(final WorkerMode mode)
    {
        try (Worker worker = TestWorkers.builder(mode).subWorkers(1).build())
        {
            final int put = worker.register(Kernels.PUT_SCALAR);
            final Tensor whole = worker.sharedTensor(DataType.INT32, 64);
            worker.init();
            worker.run((orch, unused) ->
                orch.submitSub(put, new TaskArgs().outputExisting(whole.slice(40, 48)).addScalar(77)), null);
            for (int i = 0; i < 64; i++)
            {
                assertEquals(i == 40 ? 77 : 0, whole.buffer().getInt(i * Integer.BYTES), "element " + i);
            }
        }
    }
}
