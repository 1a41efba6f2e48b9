package dev.simpler.jni;

/**
 * The native methods of the JNI binding (src/main/c/simpler_jni.c). A handle owns one loaded runtime library,
 * its device context and its runtime buffer. Only {@link ChipWorker} calls these, never with a closed handle.
 */
final class NativeRuntime
{
    static
    {
        NativeLibraries.loadBinding();
    }

    private NativeRuntime()
    {
    }

    /**
     * Load a runtime library and create its device context.
     *
     * @param libraryPath absolute path of the library.
     * @return the handle.
     * @throws IllegalArgumentException when the library cannot be loaded or lacks C API symbols (all listed).
     */
    static native long open(String libraryPath);

    static native void close(long handle);

    /**
     * Number of kernels the runtime lists.
     *
     * @param handle the runtime.
     * @return the count, or -1 when the runtime does not list its kernels.
     */
    static native int kernelCount(long handle);

    static native String kernelName(long handle, int index);

    static native int setDevice(long handle, int deviceId);

    static native int finalizeDevice(long handle);

    /**
     * Run a kernel on the chip-args record at {@code argsAddress}.
     *
     * @return 0 or a negative error code; {@link #lastError} says why.
     */
    static native int run(
        long handle,
        int kernelIndex,
        long argsAddress,
        int blockDim,
        int aicpuThreadNum,
        int deviceId,
        boolean enableProfiling,
        boolean enableDumpTensor);

    static native String lastError(long handle);
}
