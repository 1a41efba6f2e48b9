package dev.simpler.jni;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.BufferUtil;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.DataType;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;

/**
 * Child JVM of {@link InaccessibleTensorTest}: runs scale_f32 with one tensor in a mapping of this process that
 * the kernel may not use that way (an input in a mapping with no access, an output in a read-only one), and
 * prints what happened. A JVM crash instead shows as the child's exit status.
 *
 * <p>Argument: the permissions of the mapping, as /proc/self/maps shows them ({@code ---p}, {@code r--p},
 * {@code r-xp}), or {@code unmapped} for address 16; {@code ---p} places the input there, the others the output.
 */
final class InaccessibleTensorMain
{
    /** Exit status when this process has no mapping with the requested permissions. */
    static final int NO_SUCH_MAPPING = 3;
    /** Printed before the outcome. */
    static final String RESULT = "RESULT ";

    private static final int ELEMENTS = 16;

    private InaccessibleTensorMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final String permissions = args[0];
        long address = "unmapped".equals(permissions) ? 16 : 0;
        for (final String line : Files.readAllLines(Path.of("/proc/self/maps")))
        {
            final String[] fields = line.split("\\s+");
            final String[] range = fields[0].split("-");
            final long start = Long.parseUnsignedLong(range[0], 16);
            final long end = Long.parseUnsignedLong(range[1], 16);
            if (address == 0 && fields[1].equals(permissions) && end - start >= (long)ELEMENTS * Float.BYTES)
            {
                address = start;
                break;
            }
        }
        if (address == 0)
        {
            System.out.println("no " + permissions + " mapping in this process");
            System.exit(NO_SUCH_MAPPING);
        }
        final ByteBuffer memory = BufferUtil.allocateDirectAligned(ELEMENTS * Float.BYTES, 64);
        final long accessible = BufferUtil.address(memory);
        final boolean badInput = "---p".equals(permissions);
        final Tensor in = Tensor.of(badInput ? address : accessible, DataType.FLOAT32, ELEMENTS);
        final Tensor out = Tensor.of(badInput ? accessible : address, DataType.FLOAT32, ELEMENTS);
        try (ChipWorker chip = ChipWorker.openSim())
        {
            chip.setDevice(0);
            try
            {
                chip.run(chip.kernel("scale_f32"), new TaskArgs().input(in).output(out).addFloat(2f),
                    CallConfig.DEFAULT);
                System.out.println(RESULT + "no exception");
            }
            catch (final RuntimeException ex)
            {
                System.out.println(RESULT + ex.getClass().getSimpleName() + ": " + ex.getMessage());
            }
        }
        Reference.reachabilityFence(memory);
    }
}
