package dev.simpler.jni;

import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.IWorker;
import dev.simpler.engine.JvmFlags;
import dev.simpler.engine.TaskArgsView;
import dev.simpler.engine.Tensor;
import dev.simpler.mailbox.ChipArgsDescriptor;
import dev.simpler.mailbox.TensorFlyweight;

/**
 * One accelerator chip (L2, SPEC §9): a chip runtime library opened through JNI, with its device context.
 * Lifecycle: {@link #openSim()} or {@link #open(Path)} → {@link #setDevice(int)} → {@link #run} … →
 * {@link #resetDevice()} → {@link #close()}. As an {@link IWorker} it is a next-level worker of an L3
 * {@code Worker}, in THREAD mode directly or built inside a PROCESS-mode child by a {@code WorkerFactory}.
 *
 * <p>A chip callable handle from {@link #kernel(String)} is the kernel's position in the runtime's kernel
 * table, plus one; the table is fixed in the library, so the handle means the same kernel in every process
 * that loads the same runtime. Calls are serialized on the instance.
 */
public final class ChipWorker implements IWorker, AutoCloseable
{
    private static final int NO_DEVICE = -1;

    private final Path library;
    private final String[] kernels;
    private final UnsafeBuffer record;
    private final TensorFlyweight tensorRecord = new TensorFlyweight();
    private final int[] shape = new int[Tensor.MAX_DIMS];
    private long handle;
    private int device = NO_DEVICE;

    private ChipWorker(final Path library, final long handle)
    {
        this.library = library;
        this.handle = handle;
        final int count = NativeRuntime.kernelCount(handle);
        this.kernels = new String[Math.max(count, 0)];
        for (int i = 0; i < kernels.length; i++)
        {
            kernels[i] = NativeRuntime.kernelName(handle, i);
        }
        this.record = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            BitUtil.align(ChipArgsDescriptor.ENCODED_LENGTH, 64), 64));
    }

    /**
     * Open the sim runtime that ships inside this jar: 16 CPU devices with the kernels of SPEC §9.
     *
     * @return the chip, with no device selected yet.
     */
    public static ChipWorker openSim()
    {
        return open(NativeLibraries.simRuntime());
    }

    /**
     * Open a chip runtime library that exports the C API of SPEC §9.
     *
     * @param runtimeLibrary path of the shared library.
     * @return the chip, with no device selected yet.
     * @throws IllegalArgumentException when the library cannot be loaded or lacks any of the six C API symbols
     *                                  (the message lists every missing one).
     * @throws IllegalStateException    when the JVM lacks the flags Agrona needs ({@code JvmFlags}).
     */
    public static ChipWorker open(final Path runtimeLibrary)
    {
        JvmFlags.check();
        Objects.requireNonNull(runtimeLibrary, "runtimeLibrary");
        if (!Files.isRegularFile(runtimeLibrary))
        {
            throw new IllegalArgumentException("chip runtime library not found: " + runtimeLibrary);
        }
        final Path absolute = runtimeLibrary.toAbsolutePath();
        return new ChipWorker(absolute, NativeRuntime.open(absolute.toString()));
    }

    /**
     * The handle of a kernel of this runtime.
     *
     * @param name kernel name, e.g. "add_f32".
     * @return the chip callable handle, the same in every process that loads this runtime.
     * @throws IllegalArgumentException for a kernel the runtime does not have (the message lists the ones it has).
     */
    public synchronized long kernel(final String name)
    {
        checkOpen();
        Objects.requireNonNull(name, "name");
        if (kernels.length == 0)
        {
            throw new UnsupportedOperationException("chip runtime " + library + " does not list its kernels "
                + "(simpler_kernel_count, simpler_kernel_name), so kernels cannot be looked up by name");
        }
        for (int i = 0; i < kernels.length; i++)
        {
            if (kernels[i].equals(name))
            {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("unknown kernel '" + name + "': chip runtime " + library.getFileName()
            + " has " + Arrays.toString(kernels));
    }

    /**
     * Select the device the following runs use.
     *
     * @param deviceId 0..15 for the sim.
     * @throws ChipRuntimeException when the runtime refuses the device.
     */
    public synchronized void setDevice(final int deviceId)
    {
        checkOpen();
        final int code = NativeRuntime.setDevice(handle, deviceId);
        if (code < 0)
        {
            throw new ChipRuntimeException(code, "set_device(" + deviceId + ") failed with code " + code + ": "
                + NativeRuntime.lastError(handle));
        }
        device = deviceId;
    }

    /**
     * Run a kernel synchronously on the task's tensors and scalars.
     *
     * @param callable handle from {@link #kernel(String)}.
     * @param args     at most 16 tensors and 128 scalars.
     * @param config   launch configuration; {@code blockDim} is the number of parallel blocks.
     * @throws ChipRuntimeException     naming the kernel, device and code when the runtime fails the run.
     * @throws IllegalArgumentException for an unknown handle or too many arguments.
     * @throws IllegalStateException    before {@link #setDevice(int)} or after {@link #close()}.
     */
    @Override
    public synchronized void run(final long callable, final TaskArgsView args, final CallConfig config)
    {
        checkOpen();
        Objects.requireNonNull(args, "args");
        Objects.requireNonNull(config, "config");
        if (callable < 1 || callable > kernels.length)
        {
            throw new IllegalArgumentException("unknown chip callable handle " + callable + ": this runtime has "
                + kernels.length + " kernels, handles 1.." + kernels.length);
        }
        if (device == NO_DEVICE)
        {
            throw new IllegalStateException("no device selected: call setDevice before running kernel '"
                + kernels[(int)callable - 1] + "'");
        }
        encode(args);
        final int code = NativeRuntime.run(handle, (int)callable - 1, record.addressOffset(), config.blockDim(),
            config.aicpuThreadNum(), device, config.enableProfiling(), config.enableDumpTensor());
        if (code < 0)
        {
            throw new ChipRuntimeException(code, "kernel '" + kernels[(int)callable - 1] + "' failed on device "
                + device + " with code " + code + ": " + NativeRuntime.lastError(handle));
        }
    }

    /**
     * Release the device; {@link #setDevice(int)} selects one again.
     *
     * @throws ChipRuntimeException when the runtime fails to release it.
     */
    public synchronized void resetDevice()
    {
        checkOpen();
        if (device == NO_DEVICE)
        {
            return;
        }
        device = NO_DEVICE;
        final int code = NativeRuntime.finalizeDevice(handle);
        if (code < 0)
        {
            throw new ChipRuntimeException(code, "finalize_device failed with code " + code + ": "
                + NativeRuntime.lastError(handle));
        }
    }

    /**
     * Release the device, destroy the context and unload the library. Idempotent.
     */
    @Override
    public synchronized void close()
    {
        if (handle == 0)
        {
            return;
        }
        try
        {
            if (device != NO_DEVICE)
            {
                NativeRuntime.finalizeDevice(handle);
                device = NO_DEVICE;
            }
        }
        finally
        {
            NativeRuntime.close(handle);
            handle = 0;
        }
    }

    @Override
    public String toString()
    {
        return "ChipWorker{" + library.getFileName() + ", device=" + (device == NO_DEVICE ? "none" : device)
            + (handle == 0 ? ", closed" : "") + '}';
    }

    private void encode(final TaskArgsView args)
    {
        final int tensors = args.tensorCount();
        final int scalars = args.scalarCount();
        ChipArgsDescriptor.checkFits(tensors, scalars);
        record.setMemory(0, ChipArgsDescriptor.SCALARS_OFFSET, (byte)0);
        for (int i = 0; i < tensors; i++)
        {
            final Tensor t = args.tensor(i);
            final int ndims = t.ndims();
            for (int d = 0; d < ndims; d++)
            {
                shape[d] = t.shape(d);
            }
            tensorRecord.wrap(record, ChipArgsDescriptor.tensorOffset(i));
            tensorRecord.encode(t.address(), t.dtype().code(), ndims, shape);
        }
        for (int i = 0; i < scalars; i++)
        {
            record.putLong(ChipArgsDescriptor.scalarOffset(i), args.scalar(i), ByteOrder.LITTLE_ENDIAN);
        }
        record.putInt(ChipArgsDescriptor.TENSOR_COUNT_OFFSET, tensors, ByteOrder.LITTLE_ENDIAN);
        record.putInt(ChipArgsDescriptor.SCALAR_COUNT_OFFSET, scalars, ByteOrder.LITTLE_ENDIAN);
    }

    private void checkOpen()
    {
        if (handle == 0)
        {
            throw new IllegalStateException("ChipWorker " + library.getFileName() + " is closed");
        }
    }
}
