package dev.simpler.engine;

/**
 * Launch configuration of a next-level task (SPEC §2.6). Sub tasks carry {@link #DEFAULT}.
 *
 * @param blockDim         number of blocks a chip kernel splits its work into.
 * @param aicpuThreadNum   scheduler threads on the chip.
 * @param enableProfiling  whether the chip runtime profiles the run.
 * @param enableDumpTensor whether the chip runtime dumps tensors.
 */
public record CallConfig(int blockDim, int aicpuThreadNum, boolean enableProfiling, boolean enableDumpTensor)
{
    /** The default configuration: (24, 3, false, false). */
    public static final CallConfig DEFAULT = new CallConfig(24, 3, false, false);
}
