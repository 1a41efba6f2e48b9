package dev.simpler.engine;

import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The data model and its checks at the call (SPEC §2, §11 first row).
 */
class ArgsValidationTest
{
    private static final long SOME_ADDRESS = 0x10_0000L;

    @ParameterizedTest
    @EnumSource(TensorArgType.class)
    void tensorAfterScalarIsRejectedWithIllegalStateException(final TensorArgType tag)
    {
        final TaskArgs args = new TaskArgs().input(Tensor.of(SOME_ADDRESS, DataType.INT32, 4)).addScalar(1);
        final Tensor late = Tensor.of(SOME_ADDRESS + 1024, DataType.INT32, 4);

        assertThrows(IllegalStateException.class, () -> args.add(late, tag));
        assertEquals(1, args.tensorCount(), "the rejected tensor was added");
        assertEquals(1, args.scalarCount());
    }

    @Test
    void everyTensorShortcutAfterScalarIsRejectedWithIllegalStateException()
    {
        final Tensor t = Tensor.of(SOME_ADDRESS, DataType.FLOAT32, 2);
        final TaskArgs args = new TaskArgs().addFloat(1.0f);

        assertThrows(IllegalStateException.class, () -> args.input(t));
        assertThrows(IllegalStateException.class, () -> args.output(t));
        assertThrows(IllegalStateException.class, () -> args.inout(t));
        assertThrows(IllegalStateException.class, () -> args.outputExisting(t));
        assertThrows(IllegalStateException.class, () -> args.noDep(t));
        assertEquals(0, args.tensorCount());
    }

    @Test
    void tensorWithMoreThanFiveDimensionsIsRejected()
    {
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(SOME_ADDRESS, DataType.INT8, 1, 1, 1, 1, 1, 1));
    }

    @Test
    void tensorWithoutDimensionsIsRejected()
    {
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(SOME_ADDRESS, DataType.INT8));
    }

    @Test
    void tensorWithNegativeDimensionIsRejected()
    {
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(SOME_ADDRESS, DataType.INT8, 4, -1));
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 9, 10, 255, Integer.MAX_VALUE})
    void unknownDtypeCodeIsRejected(final int code)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> DataType.fromCode(code));
        assertTrue(ex.getMessage().contains(Integer.toString(code)), "message names the code: " + ex.getMessage());
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void allocWithBadShapeIsRejectedAtTheCall(final WorkerMode mode)
    {
        final AtomicBoolean checked = new AtomicBoolean();
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            worker.run((orch, ignored) ->
            {
                assertThrows(IllegalArgumentException.class, () -> orch.alloc(DataType.INT32, 1, 1, 1, 1, 1, 1));
                assertThrows(IllegalArgumentException.class, () -> orch.alloc(DataType.INT32, 8, -2));
                assertThrows(IllegalArgumentException.class, () -> orch.alloc(DataType.INT32));
                orch.alloc(DataType.INT32, 1, 1, 1, 1, 1);
                checked.set(true);
            }, null);
        }
        assertTrue(checked.get());
    }

    @Test
    void dataTypeCodesAndSizesFollowTheWireTable()
    {
        final DataType[] expected = {
            DataType.FLOAT32, DataType.FLOAT16, DataType.INT32, DataType.INT16, DataType.INT8,
            DataType.UINT8, DataType.BFLOAT16, DataType.INT64, DataType.UINT64};
        final int[] sizes = {4, 2, 4, 2, 1, 1, 2, 8, 8};
        assertEquals(expected.length, DataType.values().length);
        for (int code = 0; code < expected.length; code++)
        {
            assertEquals(code, expected[code].code());
            assertEquals(expected[code], DataType.fromCode(code));
            assertEquals(sizes[code], expected[code].elementSize(), expected[code].name());
        }
    }

    @Test
    void tagCodesFollowTheWireTable()
    {
        assertEquals(0, TensorArgType.INPUT.code());
        assertEquals(1, TensorArgType.OUTPUT.code());
        assertEquals(2, TensorArgType.INOUT.code());
        assertEquals(3, TensorArgType.OUTPUT_EXISTING.code());
        assertEquals(4, TensorArgType.NO_DEP.code());
        assertEquals(5, TensorArgType.values().length);
    }

    @Test
    void defaultCallConfigIsTwentyFourBlocksThreeThreadsNoProfilingNoDump()
    {
        assertEquals(new CallConfig(24, 3, false, false), CallConfig.DEFAULT);
    }

    @Test
    void tensorSizeIsProductOfShapeTimesElementSize()
    {
        final Tensor t = Tensor.of(SOME_ADDRESS, DataType.BFLOAT16, 3, 5, 7);
        assertEquals(3, t.ndims());
        assertEquals(105, t.elementCount());
        assertEquals(210, t.nbytes());
        assertEquals(3, t.shape(0));
        assertEquals(7, t.shape(2));
        assertEquals(0, t.shape(3), "unused dims are 0");
        assertEquals(0, Tensor.of(SOME_ADDRESS, DataType.INT64, 4, 0).nbytes());
    }

    @Test
    void floatScalarTravelsAsRawBitsZeroExtended()
    {
        final float quietNanWithPayload = Float.intBitsToFloat(0x7FC0_1234);
        final TaskArgs args = new TaskArgs()
            .addFloat(-1.5f)
            .addFloat(quietNanWithPayload)
            .addFloat(-0.0f)
            .addDouble(-2.25)
            .addScalar(-1L);

        assertEquals(0x0000_0000_BFC0_0000L, args.scalar(0), "-1.5f zero-extended");
        assertEquals(0x0000_0000_7FC0_1234L, args.scalar(1), "NaN payload kept");
        assertEquals(0x0000_0000_8000_0000L, args.scalar(2), "-0.0f zero-extended");
        assertEquals(Double.doubleToRawLongBits(-2.25), args.scalar(3));
        assertEquals(-1L, args.scalar(4));
        assertEquals(-1.5f, args.scalarFloat(0));
        assertEquals(0x7FC0_1234, Float.floatToRawIntBits(args.scalarFloat(1)));
        assertEquals(-2.25, args.scalarDouble(3));
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 30, threadMode = SEPARATE_THREAD)
    void scalarsReachTheCallableBitForBit(final WorkerMode mode)
    {
        try (Worker worker = start(builder(mode).subWorkers(1)))
        {
            final int copyScalars = worker.register(Kernels.COPY_SCALARS);
            final Tensor out = worker.sharedTensor(DataType.INT64, 5);
            Kernels.zero(out);
            final TaskArgs args = new TaskArgs()
                .outputExisting(out)
                .addFloat(-1.5f)
                .addFloat(Float.intBitsToFloat(0x7FC0_1234))
                .addDouble(Math.PI)
                .addScalar(Long.MIN_VALUE)
                .addScalar(-1L);

            worker.run((orch, ignored) -> orch.submitSub(copyScalars, args), null);

            assertEquals(0x0000_0000_BFC0_0000L, out.buffer().getLong(0));
            assertEquals(0x0000_0000_7FC0_1234L, out.buffer().getLong(8));
            assertEquals(Double.doubleToRawLongBits(Math.PI), out.buffer().getLong(16));
            assertEquals(Long.MIN_VALUE, out.buffer().getLong(24));
            assertEquals(-1L, out.buffer().getLong(32));
        }
    }

    @Test
    void clearedTaskArgsAcceptTensorsAgain()
    {
        final TaskArgs args = new TaskArgs().input(Tensor.of(SOME_ADDRESS, DataType.INT8, 1)).addScalar(3);
        args.clear();
        args.output(Tensor.of(SOME_ADDRESS, DataType.INT8, 2));
        assertEquals(1, args.tensorCount());
        assertEquals(0, args.scalarCount());
        assertEquals(TensorArgType.OUTPUT, args.tag(0));
        assertFalse(args.tensor(0).address() == 0);
    }
}
