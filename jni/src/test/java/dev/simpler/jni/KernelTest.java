package dev.simpler.jni;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.TaskArgs;

/**
 * The sim runtime's kernels (SPEC §9) against a Java reference, over shapes from 1 to a few hundred thousand
 * elements and block dims from 1 to more than the element count. Elementwise results must match bit for bit
 * (IEEE single precision on both sides); matmul within a small relative tolerance.
 */
@Timeout(60)
class KernelTest
{
    private static final long SEED = 0x5EED_C41FL;
    private static final int[] BLOCK_DIMS = {1, 3, 24, 64};
    private static final int LARGEST_BLOCK_DIM = 1024;

    /** Fixed shapes: 1-D to 5-D, sizes around the block dims and the sim's parallel threshold, and big ones. */
    private static final int[][] SHAPES = {
        {1}, {2}, {5}, {23}, {24}, {25}, {64}, {1000}, {16_383}, {16_384}, {16_385}, {100_003}, {300_001},
        {1, 1}, {7, 13}, {128, 129}, {512, 513},
        {1, 1, 1}, {3, 5, 7}, {17, 31, 61}, {64, 64, 67},
        {2, 3, 4, 5}, {2, 3, 4, 5, 7},
    };

    /** Matmul problems as {M, K, N}: degenerate, non-square, and big enough for the parallel path. */
    private static final int[][] MATMULS = {
        {1, 1, 1}, {1, 1, 5}, {5, 1, 1}, {1, 9, 1}, {2, 3, 4}, {4, 3, 2}, {7, 13, 5}, {16, 16, 16},
        {33, 17, 65}, {100, 37, 53}, {3, 500, 2}, {64, 128, 32}, {600, 2, 300}, {257, 129, 65},
    };

    private static ChipWorker chip;
    private static long add;
    private static long mul;
    private static long scale;
    private static long matmul;

    @BeforeAll
    static void openChip()
    {
        chip = ChipWorker.openSim();
        chip.setDevice(0);
        add = chip.kernel("add_f32");
        mul = chip.kernel("mul_f32");
        scale = chip.kernel("scale_f32");
        matmul = chip.kernel("matmul_f32");
    }

    @AfterAll
    static void closeChip()
    {
        if (chip != null)
        {
            chip.close();
        }
    }

    static Stream<Arguments> elementwiseCases()
    {
        final List<Arguments> cases = new ArrayList<>();
        for (final int[] shape : SHAPES)
        {
            for (final int blockDim : blockDimsFor(elements(shape)))
            {
                cases.add(Arguments.of(shape, blockDim));
            }
        }
        return cases.stream();
    }

    /** A seeded sweep of 1-D to 3-D shapes up to about 400k elements, each with a random block dim. */
    static Stream<Arguments> randomElementwiseCases()
    {
        final Random random = new Random(SEED);
        final String[] kernels = {"add_f32", "mul_f32", "scale_f32"};
        final List<Arguments> cases = new ArrayList<>();
        for (int c = 0; c < 36; c++)
        {
            final int ndims = 1 + c % 3;
            final int[] shape = new int[ndims];
            final int maxPerDim = ndims == 1 ? 400_000 : ndims == 2 ? 640 : 74;
            for (int d = 0; d < ndims; d++)
            {
                shape[d] = 1 + random.nextInt(maxPerDim);
            }
            cases.add(Arguments.of(kernels[c % kernels.length], shape, 1 + random.nextInt(LARGEST_BLOCK_DIM)));
        }
        return cases.stream();
    }

    static Stream<Arguments> matmulCases()
    {
        final List<Arguments> cases = new ArrayList<>();
        for (final int[] mkn : MATMULS)
        {
            for (final int blockDim : blockDimsFor(mkn[0]))
            {
                cases.add(Arguments.of(mkn[0], mkn[1], mkn[2], blockDim));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "shape {0}, blockDim {1}")
    @MethodSource("elementwiseCases")
    void addF32WritesTheElementwiseSumOfItsInputs(final int[] shape, final int blockDim)
    {
        runElementwise("add_f32", shape, blockDim);
    }

    @ParameterizedTest(name = "shape {0}, blockDim {1}")
    @MethodSource("elementwiseCases")
    void mulF32WritesTheElementwiseProductOfItsInputs(final int[] shape, final int blockDim)
    {
        runElementwise("mul_f32", shape, blockDim);
    }

    @ParameterizedTest(name = "shape {0}, blockDim {1}")
    @MethodSource("elementwiseCases")
    void scaleF32MultipliesEveryElementByTheFloatScalar(final int[] shape, final int blockDim)
    {
        runElementwise("scale_f32", shape, blockDim);
    }

    @ParameterizedTest(name = "{0}, shape {1}, blockDim {2}")
    @MethodSource("randomElementwiseCases")
    void elementwiseKernelsMatchTheReferenceOnRandomShapesAndBlockDims(
        final String kernel, final int[] shape, final int blockDim)
    {
        runElementwise(kernel, shape, blockDim);
    }

    @ParameterizedTest(name = "M={0}, K={1}, N={2}, blockDim {3}")
    @MethodSource("matmulCases")
    void matmulF32MatchesATripleLoopWithinASmallRelativeTolerance(
        final int m, final int k, final int n, final int blockDim)
    {
        final Random random = new Random(SEED ^ (m * 1_000_003L + k * 1_009L + n) ^ blockDim);
        final DirectTensor a = DirectTensor.floats(m, k);
        final DirectTensor b = DirectTensor.floats(k, n);
        final DirectTensor c = DirectTensor.floats(m, n);
        final float[] av = matmulOperand(random, m * k);
        final float[] bv = matmulOperand(random, k * n);
        a.set(av);
        b.set(bv);

        chip.run(matmul, new TaskArgs().input(a.tensor()).input(b.tensor()).output(c.tensor()), config(blockDim));

        int mismatches = 0;
        String first = null;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double expected = 0;
                double magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    final double product = (double)av[i * k + p] * bv[p * n + j];
                    expected += product;
                    magnitude += Math.abs(product);
                }
                final float actual = c.get(i * n + j);
                if (!(Math.abs(actual - expected) <= 2e-5 * magnitude))
                {
                    if (first == null)
                    {
                        first = "C[" + i + "][" + j + "]: expected " + expected + ", actual " + actual;
                    }
                    mismatches++;
                }
            }
        }
        if (mismatches > 0)
        {
            fail(mismatches + " of " + m * n + " elements of C are wrong; first " + first);
        }
        c.assertGuardIntact("C");
        a.assertEqualsExactly(av, "A (input, unchanged)");
        b.assertEqualsExactly(bv, "B (input, unchanged)");
    }

    @Test
    void elementwiseTensorsNeedTheSameElementCountNotTheSameShape()
    {
        final DirectTensor a = DirectTensor.floats(2, 3);
        final DirectTensor b = DirectTensor.floats(6);
        final DirectTensor out = DirectTensor.floats(3, 1, 2);
        a.set(new float[] {1, 2, 3, 4, 5, 6});
        b.set(new float[] {0.5f, 0.25f, -1, 2, 10, -6});

        chip.run(add, new TaskArgs().input(a.tensor()).input(b.tensor()).output(out.tensor()), config(4));

        out.assertEqualsExactly(new float[] {1.5f, 2.25f, 2, 6, 15, 0}, "out");
    }

    private static void runElementwise(final String kernel, final int[] shape, final int blockDim)
    {
        final int n = elements(shape);
        final Random random = new Random(SEED ^ kernel.hashCode() ^ n * 31L ^ blockDim ^ shape.length);
        final float[] x = randomFloats(random, n);
        final DirectTensor in0 = DirectTensor.floats(shape);
        in0.set(x);
        final DirectTensor out = DirectTensor.floats(shape);
        final float[] expected = new float[n];
        final TaskArgs args = new TaskArgs().input(in0.tensor());
        DirectTensor in1 = null;
        float[] y = null;
        switch (kernel)
        {
            case "add_f32":
            case "mul_f32":
                y = randomFloats(random, n);
                in1 = DirectTensor.floats(shape);
                in1.set(y);
                args.input(in1.tensor()).output(out.tensor());
                for (int i = 0; i < n; i++)
                {
                    expected[i] = "add_f32".equals(kernel) ? x[i] + y[i] : x[i] * y[i];
                }
                break;
            case "scale_f32":
                final float s = (random.nextFloat() - 0.5f) * 8f;
                args.output(out.tensor()).addFloat(s);
                for (int i = 0; i < n; i++)
                {
                    expected[i] = x[i] * s;
                }
                break;
            default:
                throw new IllegalArgumentException(kernel);
        }

        chip.run(chip.kernel(kernel), args, config(blockDim));

        out.assertEqualsExactly(expected, kernel + " out, shape " + Arrays.toString(shape) + ", blockDim " + blockDim);
        in0.assertEqualsExactly(x, kernel + " input 0 (unchanged)");
        if (in1 != null)
        {
            in1.assertEqualsExactly(y, kernel + " input 1 (unchanged)");
        }
    }

    private static List<Integer> blockDimsFor(final int work)
    {
        final List<Integer> dims = new ArrayList<>();
        for (final int d : BLOCK_DIMS)
        {
            dims.add(d);
        }
        if (work + 1 <= LARGEST_BLOCK_DIM && !dims.contains(work + 1))
        {
            dims.add(work + 1); // more blocks than elements (or rows): some blocks are empty
        }
        if (work < LARGEST_BLOCK_DIM)
        {
            dims.add(LARGEST_BLOCK_DIM);
        }
        return dims;
    }

    private static CallConfig config(final int blockDim)
    {
        return new CallConfig(blockDim, 3, false, false);
    }

    private static int elements(final int[] shape)
    {
        int n = 1;
        for (final int d : shape)
        {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Values of every magnitude from about 1e-3 to 1e3 and both signs, so that rounding differences show. */
    private static float[] randomFloats(final Random random, final int n)
    {
        final float[] values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (float)((random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(7) - 3));
        }
        return values;
    }

    /** Magnitudes in [0.5, 1.5) with random signs: a missing or doubled term exceeds the tolerance. */
    private static float[] matmulOperand(final Random random, final int n)
    {
        final float[] values = new float[n];
        for (int i = 0; i < n; i++)
        {
            final float magnitude = 0.5f + random.nextFloat();
            values[i] = random.nextBoolean() ? magnitude : -magnitude;
        }
        return values;
    }
}
