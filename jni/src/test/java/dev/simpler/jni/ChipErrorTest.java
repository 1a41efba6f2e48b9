package dev.simpler.jni;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.DataType;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.TensorArgType;

/**
 * Bad input to a {@link ChipWorker} and its lifecycle rules (SPEC §9, §11): each fails with the documented
 * exception type and a message that names the kernel and what is wrong, never crashes the JVM, and leaves the
 * chip able to run a correct kernel afterwards.
 */
@Timeout(60)
class ChipErrorTest
{
    private static final String[] KERNELS = {"add_f32", "mul_f32", "scale_f32", "matmul_f32", "fail"};
    private static final String[] C_API = {"create_device_context", "destroy_device_context", "get_runtime_size",
        "set_device", "run_runtime", "finalize_device"};
    private static final CallConfig CONFIG = new CallConfig(4, 3, false, false);
    private static final Path LIBM = Path.of("/lib/x86_64-linux-gnu/libm.so.6");

    private ChipWorker chip;

    @BeforeEach
    void openChip()
    {
        chip = ChipWorker.openSim();
        chip.setDevice(0);
    }

    @AfterEach
    void closeChip()
    {
        chip.close();
    }

    @ParameterizedTest(name = "{0} tensors")
    @ValueSource(ints = {1, 2, 4})
    void addF32WithTheWrongTensorCountFailsNamingTheKernelAndTheCount(final int tensors)
    {
        final TaskArgs args = new TaskArgs();
        final List<DirectTensor> memory = new ArrayList<>(); // keeps the tensors' memory alive
        for (int i = 0; i < tensors; i++)
        {
            final DirectTensor t = DirectTensor.floats(4);
            memory.add(t);
            args.add(t.tensor(), i == tensors - 1 ? TensorArgType.OUTPUT : TensorArgType.INPUT);
        }

        final ChipRuntimeException ex = assertRunFails(ChipRuntimeException.class, "add_f32", args);

        assertTrue(ex.code() < 0, "negative code: " + ex.code());
        assertMentions(ex, "add_f32", "tensor");
        assertMentionsNumber(ex, tensors);
        assertStillRuns(chip);
    }

    @ParameterizedTest(name = "{0} scalars")
    @ValueSource(ints = {0, 2, 3})
    void scaleF32WithTheWrongScalarCountFailsNamingTheKernelAndTheCount(final int scalars)
    {
        final DirectTensor x = DirectTensor.floatsOf(1, 2, 3, 4);
        final DirectTensor out = DirectTensor.floats(4);
        final TaskArgs args = new TaskArgs().input(x.tensor()).output(out.tensor());
        for (int i = 0; i < scalars; i++)
        {
            args.addFloat(2f);
        }

        final ChipRuntimeException ex = assertRunFails(ChipRuntimeException.class, "scale_f32", args);

        assertTrue(ex.code() < 0, "negative code: " + ex.code());
        assertMentions(ex, "scale_f32", "scalar");
        assertMentionsNumber(ex, scalars);
        assertUntouched(out);
        assertStillRuns(chip);
    }

    @ParameterizedTest(name = "blockDim {0}")
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void aBlockDimBelowOneFailsTheRunNamingTheKernel(final int blockDim)
    {
        final DirectTensor x = DirectTensor.floatsOf(1, 2, 3, 4);
        final DirectTensor out = DirectTensor.floats(4);
        final TaskArgs args = new TaskArgs().input(x.tensor()).output(out.tensor()).addFloat(2f);

        final ChipRuntimeException ex = assertThrows(ChipRuntimeException.class,
            () -> chip.run(chip.kernel("scale_f32"), args, new CallConfig(blockDim, 3, false, false)));

        assertTrue(ex.code() < 0, "negative code: " + ex.code());
        assertMentions(ex, "scale_f32", "block");
        assertUntouched(out);
        assertStillRuns(chip);
    }

    static Stream<Arguments> nonFloatTensors()
    {
        final List<Arguments> cases = new ArrayList<>();
        final DataType[] dtypes = {DataType.INT32, DataType.FLOAT16, DataType.INT64, DataType.UINT8};
        for (int position = 0; position < 3; position++)
        {
            for (final DataType dtype : dtypes)
            {
                cases.add(Arguments.of(position, dtype));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "tensor {0} is {1}")
    @MethodSource("nonFloatTensors")
    void aTensorThatIsNotFloat32FailsNamingTheKernelAndTheDtype(final int position, final DataType dtype)
    {
        final DirectTensor[] tensors = {DirectTensor.floats(8), DirectTensor.floats(8), DirectTensor.floats(8)};
        tensors[position] = DirectTensor.of(dtype, 8);
        final DirectTensor out = tensors[2];

        final ChipRuntimeException ex = assertRunFails(ChipRuntimeException.class, "add_f32", new TaskArgs()
            .input(tensors[0].tensor()).input(tensors[1].tensor()).output(out.tensor()));

        assertTrue(ex.code() < 0, "negative code: " + ex.code());
        assertMentions(ex, "add_f32", "dtype");
        if (position != 2)
        {
            assertUntouched(out);
        }
        assertStillRuns(chip);
    }

    static Stream<Arguments> mismatchedElementCounts()
    {
        return Stream.of(
            Arguments.of("add_f32", new int[] {4, 5, 4}),
            Arguments.of("add_f32", new int[] {4, 4, 3}),
            Arguments.of("mul_f32", new int[] {6, 4, 6}),
            Arguments.of("mul_f32", new int[] {1, 1, 1000}),
            Arguments.of("scale_f32", new int[] {4, 7}),
            Arguments.of("scale_f32", new int[] {9, 3}));
    }

    @ParameterizedTest(name = "{0} with element counts {1}")
    @MethodSource("mismatchedElementCounts")
    void elementwiseTensorsWithDifferentElementCountsFailNamingTheKernel(final String kernel, final int[] counts)
    {
        final TaskArgs args = new TaskArgs();
        final DirectTensor[] tensors = new DirectTensor[counts.length];
        for (int i = 0; i < counts.length; i++)
        {
            tensors[i] = DirectTensor.floats(counts[i]);
            tensors[i].fill(1f);
            if (i == counts.length - 1)
            {
                tensors[i].fill(Float.NaN);
                args.output(tensors[i].tensor());
            }
            else
            {
                args.input(tensors[i].tensor());
            }
        }
        if ("scale_f32".equals(kernel))
        {
            args.addFloat(3f);
        }

        final ChipRuntimeException ex = assertRunFails(ChipRuntimeException.class, kernel, args);

        assertTrue(ex.code() < 0, "negative code: " + ex.code());
        assertMentions(ex, kernel, "element");
        assertUntouched(tensors[counts.length - 1]);
        assertStillRuns(chip);
    }

    static Stream<Arguments> matmulShapeMismatches()
    {
        // {A rows, A cols, B rows, B cols, C rows, C cols, offending rows, offending cols}
        return Stream.of(
            Arguments.of(new int[] {3, 2, 5, 4, 3, 4, 5, 4}),
            Arguments.of(new int[] {3, 2, 1, 4, 3, 4, 1, 4}),
            Arguments.of(new int[] {3, 2, 2, 4, 4, 3, 4, 3}),
            Arguments.of(new int[] {3, 2, 2, 4, 2, 4, 2, 4}),
            Arguments.of(new int[] {3, 2, 2, 4, 3, 5, 3, 5}),
            Arguments.of(new int[] {1, 1, 1, 1, 1, 2, 1, 2}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("matmulShapeMismatches")
    void matmulF32WithMismatchedShapesFailsNamingTheKernelAndTheOffendingShape(final int[] dims)
    {
        final DirectTensor a = DirectTensor.floats(dims[0], dims[1]);
        final DirectTensor b = DirectTensor.floats(dims[2], dims[3]);
        final DirectTensor c = DirectTensor.floats(dims[4], dims[5]);
        a.fill(1f);
        b.fill(1f);

        final ChipRuntimeException ex = assertRunFails(ChipRuntimeException.class, "matmul_f32",
            new TaskArgs().input(a.tensor()).input(b.tensor()).output(c.tensor()));

        assertTrue(ex.code() < 0, "negative code: " + ex.code());
        assertMentions(ex, "matmul_f32");
        final Pattern shape = Pattern.compile("\\b" + dims[6] + "\\s*[x×*,]\\s*" + dims[7] + "\\b");
        assertTrue(shape.matcher(ex.getMessage()).find(),
            "message names the offending shape " + dims[6] + "x" + dims[7] + ": " + ex.getMessage());
        assertUntouched(c);
        assertStillRuns(chip);
    }

    @Test
    void matmulF32WithA1DTensorFailsNamingTheKernel()
    {
        final DirectTensor a = DirectTensor.floats(6);
        final DirectTensor b = DirectTensor.floats(6, 1);
        final DirectTensor c = DirectTensor.floats(1, 1);

        final ChipRuntimeException ex = assertRunFails(ChipRuntimeException.class, "matmul_f32",
            new TaskArgs().input(a.tensor()).input(b.tensor()).output(c.tensor()));

        assertTrue(ex.code() < 0, "negative code: " + ex.code());
        assertMentions(ex, "matmul_f32");
        assertUntouched(c);
        assertStillRuns(chip);
    }

    @Test
    void theFailKernelThrowsChipRuntimeExceptionWithANegativeCodeNamingIt()
    {
        final ChipRuntimeException ex = assertRunFails(ChipRuntimeException.class, "fail", new TaskArgs());

        assertTrue(ex.code() < 0, "negative code: " + ex.code());
        assertTrue(Pattern.compile("(?<![A-Za-z_])fail(?![A-Za-z_])").matcher(ex.getMessage()).find(),
            "message names the kernel 'fail': " + ex.getMessage());
        assertStillRuns(chip);
    }

    static Stream<Arguments> unmappedTensors()
    {
        return Stream.of(
            Arguments.of("add_f32", 0, 16L),
            Arguments.of("add_f32", 1, 16L),
            Arguments.of("add_f32", 2, 16L),
            Arguments.of("add_f32", 2, 4096L),
            Arguments.of("scale_f32", 0, 16L),
            Arguments.of("scale_f32", 1, 4096L),
            Arguments.of("matmul_f32", 0, 16L),
            Arguments.of("matmul_f32", 2, 4096L));
    }

    @ParameterizedTest(name = "{0}, tensor {1} at {2}")
    @MethodSource("unmappedTensors")
    void aTensorAtAnUnmappedAddressFailsTheRunInsteadOfCrashing(
        final String kernel, final int position, final long address)
    {
        final boolean matmul = "matmul_f32".equals(kernel);
        final int count = "scale_f32".equals(kernel) ? 2 : 3;
        final DirectTensor[] memory = new DirectTensor[count];
        final TaskArgs args = new TaskArgs();
        for (int i = 0; i < count; i++)
        {
            memory[i] = matmul ? DirectTensor.floats(4, 4) : DirectTensor.floats(64);
            memory[i].fill(1f);
            final Tensor t = i == position
                ? memory[i].tensor().withAddress(address)
                : memory[i].tensor();
            if (i == count - 1)
            {
                memory[i].fill(Float.NaN);
                args.output(t);
            }
            else
            {
                args.input(t);
            }
        }
        if (count == 2)
        {
            args.addFloat(2f);
        }

        final ChipRuntimeException ex = assertRunFails(ChipRuntimeException.class, kernel, args);

        assertTrue(ex.code() < 0, "negative code: " + ex.code());
        assertMentions(ex, kernel);
        assertTrue(Pattern.compile("0x0*" + Long.toHexString(address) + "\\b|\\b" + address + "\\b")
            .matcher(ex.getMessage()).find(), "message names the address " + address + ": " + ex.getMessage());
        if (position != count - 1)
        {
            assertUntouched(memory[count - 1]);
        }
        assertStillRuns(chip);
    }

    @Test
    void runBeforeSetDeviceThrowsIllegalStateExceptionAndSetDeviceThenMakesItWork()
    {
        try (ChipWorker fresh = ChipWorker.openSim())
        {
            final DirectTensor x = DirectTensor.floatsOf(1, 2);
            final DirectTensor out = DirectTensor.floats(2);

            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> fresh.run(
                fresh.kernel("scale_f32"), new TaskArgs().input(x.tensor()).output(out.tensor()).addFloat(2f), CONFIG));

            assertMentions(ex, "device");
            assertUntouched(out);
            fresh.setDevice(3);
            assertStillRuns(fresh);
        }
    }

    @ParameterizedTest(name = "device {0}")
    @ValueSource(ints = {16, -1, 17, 1000, Integer.MIN_VALUE})
    void setDeviceOutsideZeroToFifteenThrowsChipRuntimeExceptionNamingTheDevice(final int device)
    {
        final ChipRuntimeException ex = assertThrows(ChipRuntimeException.class, () -> chip.setDevice(device));

        assertTrue(ex.code() < 0, "negative code: " + ex.code());
        assertMentionsNumber(ex, device);
        assertStillRuns(chip); // the device selected before stays selected
        chip.setDevice(15);
        assertStillRuns(chip);
    }

    @Test
    void anUnknownKernelNameThrowsIllegalArgumentExceptionListingTheKnownKernels()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> chip.kernel("softmax_f32"));

        assertMentions(ex, "softmax_f32");
        assertMentions(ex, KERNELS);
        assertStillRuns(chip);
    }

    @Test
    void kernelNamesAreMatchedExactly()
    {
        assertThrows(IllegalArgumentException.class, () -> chip.kernel("ADD_F32"));
        assertThrows(IllegalArgumentException.class, () -> chip.kernel("add_f3"));
        assertThrows(IllegalArgumentException.class, () -> chip.kernel("add_f32 "));
        assertThrows(IllegalArgumentException.class, () -> chip.kernel(""));
        assertStillRuns(chip);
    }

    @Test
    void anUnknownHandleThrowsIllegalArgumentExceptionNamingIt()
    {
        final Set<Long> handles = new HashSet<>();
        for (final String name : KERNELS)
        {
            handles.add(chip.kernel(name));
        }
        long unused = 1;
        while (handles.contains(unused))
        {
            unused++;
        }
        final DirectTensor x = DirectTensor.floatsOf(1, 2);
        final DirectTensor out = DirectTensor.floats(2);
        final TaskArgs args = new TaskArgs().input(x.tensor()).output(out.tensor()).addFloat(2f);

        for (final long handle : new long[] {0, 999, -1, Long.MAX_VALUE, Long.MIN_VALUE, unused})
        {
            assertFalse(handles.contains(handle), "not a kernel's handle: " + handle);
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> chip.run(handle, args, CONFIG), "handle " + handle);
            assertMentionsNumber(ex, handle);
        }
        assertUntouched(out);
        assertStillRuns(chip);
    }

    @Test
    void moreThanSixteenTensorsThrowIllegalArgumentExceptionBeforeTheRuntimeIsCalled()
    {
        final DirectTensor t = DirectTensor.floats(4);
        final TaskArgs args = new TaskArgs();
        for (int i = 0; i < 17; i++)
        {
            args.input(t.tensor());
        }

        final IllegalArgumentException ex = assertRunFails(IllegalArgumentException.class, "fail", args);

        assertMentions(ex, "16", "17");
        assertStillRuns(chip);
    }

    @Test
    void moreThan128ScalarsThrowIllegalArgumentExceptionBeforeTheRuntimeIsCalled()
    {
        final TaskArgs args = new TaskArgs();
        for (int i = 0; i < 129; i++)
        {
            args.addScalar(i);
        }

        final IllegalArgumentException ex = assertRunFails(IllegalArgumentException.class, "fail", args);

        assertMentions(ex, "128", "129");
        assertStillRuns(chip);
    }

    @Test
    void sixteenTensorsAnd128ScalarsReachTheRuntime()
    {
        final DirectTensor t = DirectTensor.floats(4);
        final TaskArgs args = new TaskArgs();
        for (int i = 0; i < 16; i++)
        {
            args.input(t.tensor());
        }
        for (int i = 0; i < 128; i++)
        {
            args.addScalar(i);
        }

        // the fail kernel accepts any arguments, so the runtime's own failure shows the record got through
        final ChipRuntimeException ex = assertRunFails(ChipRuntimeException.class, "fail", args);

        assertTrue(ex.code() < 0, "negative code: " + ex.code());
        assertStillRuns(chip);
    }

    @Test
    void everyCallAfterCloseThrowsIllegalStateException()
    {
        final long scale = chip.kernel("scale_f32");
        final DirectTensor x = DirectTensor.floatsOf(1, 2);
        final DirectTensor out = DirectTensor.floats(2);
        chip.close();

        assertThrows(IllegalStateException.class, () -> chip.kernel("add_f32"));
        assertThrows(IllegalStateException.class, () -> chip.setDevice(0));
        assertThrows(IllegalStateException.class,
            () -> chip.run(scale, new TaskArgs().input(x.tensor()).output(out.tensor()).addFloat(2f), CONFIG));
        assertThrows(IllegalStateException.class, () -> chip.resetDevice());
        assertUntouched(out);
    }

    @Test
    void closeTwiceIsFine()
    {
        chip.close();

        assertDoesNotThrow(() -> chip.close());
    }

    @Test
    void closeWithoutADeviceIsFine()
    {
        final ChipWorker fresh = ChipWorker.openSim();

        assertDoesNotThrow(fresh::close);
        assertDoesNotThrow(fresh::close);
    }

    @Test
    void runAfterResetDeviceThrowsIllegalStateExceptionUntilSetDeviceIsCalledAgain()
    {
        assertStillRuns(chip);
        chip.resetDevice();
        final DirectTensor x = DirectTensor.floatsOf(1, 2);
        final DirectTensor out = DirectTensor.floats(2);

        assertThrows(IllegalStateException.class, () -> chip.run(chip.kernel("scale_f32"),
            new TaskArgs().input(x.tensor()).output(out.tensor()).addFloat(2f), CONFIG));

        assertUntouched(out);
        chip.setDevice(7);
        assertStillRuns(chip);
    }

    @Test
    void openOfALibraryWithoutTheChipApiThrowsIllegalArgumentExceptionListingAllSixSymbols()
    {
        assumeTrue(Files.isRegularFile(LIBM), LIBM + " exists");

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ChipWorker.open(LIBM));

        assertMentions(ex, C_API);
    }

    @Test
    void openOfALibraryWithSomeOfTheApiListsExactlyTheMissingSymbols(@TempDir final Path dir) throws Exception
    {
        final Path library = compilePartialRuntime(dir);

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> ChipWorker.open(library));

        final String message = ex.getMessage().replace(library.toString(), "<library>");
        for (final String missing : List.of("destroy_device_context", "get_runtime_size", "run_runtime",
            "finalize_device"))
        {
            assertTrue(message.contains(missing), "names missing " + missing + ": " + message);
        }
        assertFalse(message.contains("create_device_context"), "create_device_context is there: " + message);
        assertFalse(Pattern.compile("(?<![A-Za-z_])set_device").matcher(message).find(),
            "set_device is there: " + message);
    }

    @Test
    void openOfANonExistentPathThrowsIllegalArgumentExceptionNamingIt(@TempDir final Path dir)
    {
        final Path missing = dir.resolve("libno_such_runtime.so");

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> ChipWorker.open(missing));

        assertMentions(ex, "libno_such_runtime.so");
    }

    @Test
    void openOfAFileThatIsNotALibraryThrowsIllegalArgumentException(@TempDir final Path dir) throws IOException
    {
        final Path notALibrary = Files.writeString(dir.resolve("libtext.so"), "not an ELF file");

        assertThrows(IllegalArgumentException.class, () -> ChipWorker.open(notALibrary));
    }

    @Test
    void kernelHandlesAreTheSameInASeparatelyOpenedChipWorker()
    {
        try (ChipWorker other = ChipWorker.openSim())
        {
            final Set<Long> distinct = new HashSet<>();
            for (final String name : KERNELS)
            {
                assertEquals(chip.kernel(name), other.kernel(name), name);
                distinct.add(chip.kernel(name));
            }
            assertEquals(KERNELS.length, distinct.size(), "every kernel has its own handle: " + distinct);
        }
    }

    @Test
    void aHandleFromAnotherChipWorkerRunsTheSameKernel()
    {
        final long scale;
        try (ChipWorker other = ChipWorker.openSim())
        {
            scale = other.kernel("scale_f32");
        }
        final DirectTensor x = DirectTensor.floatsOf(1, -2, 3);
        final DirectTensor out = DirectTensor.floats(3);

        chip.run(scale, new TaskArgs().input(x.tensor()).output(out.tensor()).addFloat(-0.5f), CONFIG);

        out.assertEqualsExactly(new float[] {-0.5f, 1f, -1.5f}, "out");
    }

    @Test
    void eachOfTheSixteenDevicesRunsAKernel()
    {
        final List<ChipWorker> chips = new ArrayList<>();
        try
        {
            for (int device = 0; device < 16; device++)
            {
                final ChipWorker c = ChipWorker.openSim();
                chips.add(c);
                c.setDevice(device);
            }
            final DirectTensor x = DirectTensor.floatsOf(1, 2, 3);
            for (int device = 0; device < 16; device++)
            {
                final ChipWorker c = chips.get(device);
                final DirectTensor out = DirectTensor.floats(3);
                c.run(c.kernel("scale_f32"), new TaskArgs().input(x.tensor()).output(out.tensor())
                    .addFloat(device + 1), CONFIG);
                out.assertEqualsExactly(new float[] {device + 1, 2 * (device + 1), 3 * (device + 1)},
                    "out of device " + device);
            }
        }
        finally
        {
            chips.forEach(ChipWorker::close);
        }
    }

    @Test
    void oneChipWorkerRunsOnEveryDeviceItSelects()
    {
        for (int device = 0; device < 16; device++)
        {
            chip.setDevice(device);
            assertStillRuns(chip);
        }
    }

    private <T extends Throwable> T assertRunFails(final Class<T> type, final String kernel, final TaskArgs args)
    {
        return assertThrows(type, () -> chip.run(chip.kernel(kernel), args, CONFIG), kernel + " with " + args);
    }

    /** A correct add_f32 on the chip gives the right numbers. */
    private static void assertStillRuns(final ChipWorker c)
    {
        final DirectTensor a = DirectTensor.floatsOf(1, 2, 3, 4, 5);
        final DirectTensor b = DirectTensor.floatsOf(10, 20, 30, 40, 50);
        final DirectTensor out = DirectTensor.floats(5);

        c.run(c.kernel("add_f32"), new TaskArgs().input(a.tensor()).input(b.tensor()).output(out.tensor()), CONFIG);

        out.assertEqualsExactly(new float[] {11, 22, 33, 44, 55}, "add_f32 after the failure");
    }

    private static void assertUntouched(final DirectTensor out)
    {
        for (int i = 0; i < out.elements(); i++)
        {
            assertTrue(Float.isNaN(out.get(i)), "output element " + i + " was written by a failed run: " + out);
        }
        out.assertGuardIntact("output of a failed run");
    }

    private static void assertMentions(final Throwable ex, final String... words)
    {
        final String message = String.valueOf(ex.getMessage());
        for (final String word : words)
        {
            assertTrue(message.toLowerCase(Locale.ROOT).contains(word.toLowerCase(Locale.ROOT)),
                "message mentions '" + word + "': " + message);
        }
    }

    private static void assertMentionsNumber(final Throwable ex, final long number)
    {
        final String message = String.valueOf(ex.getMessage());
        assertTrue(Pattern.compile("(?<![0-9])" + Pattern.quote(Long.toString(number)) + "(?![0-9])")
            .matcher(message).find(), "message mentions " + number + ": " + message);
    }

    private static Path compilePartialRuntime(final Path dir) throws IOException, InterruptedException
    {
        final Path source = dir.resolve("partial_runtime.c");
        try (InputStream in = ChipErrorTest.class.getResourceAsStream("partial_runtime.c"))
        {
            assertNotNull(in, "test resource partial_runtime.c");
            Files.copy(in, source);
        }
        final Path library = dir.resolve("libpartial.so");
        final Process gcc = new ProcessBuilder("gcc", "-std=c11", "-O1", "-fPIC", "-shared", "-fvisibility=hidden",
            "-o", library.toString(), source.toString())
            .redirectErrorStream(true)
            .start();
        final String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        final boolean exited = gcc.waitFor(30, TimeUnit.SECONDS);
        if (!exited)
        {
            gcc.destroyForcibly();
        }
        assertTrue(exited && gcc.exitValue() == 0, "gcc compiled the partial runtime: " + output);
        return library;
    }
}
