package dev.simpler.remote.transport;

import dev.simpler.engine.TensorArgType;

/**
 * Which bytes of a remote task travel which way (SPEC §15), and where its tensors lie in its block: INPUT bytes go
 * with the task, OUTPUT and OUTPUT_EXISTING bytes come back with the completion, INOUT and NO_DEP both ways. In the
 * block, each tensor that is not null starts at the next multiple of {@link RemoteConfiguration#BLOCK_ALIGNMENT}
 * after the one before it.
 */
public final class TaskLayout
{
    private static final int INPUT = TensorArgType.INPUT.code();
    private static final int INOUT = TensorArgType.INOUT.code();
    private static final int NO_DEP = TensorArgType.NO_DEP.code();
    private static final int OUTPUT = TensorArgType.OUTPUT.code();
    private static final int OUTPUT_EXISTING = TensorArgType.OUTPUT_EXISTING.code();

    private TaskLayout()
    {
    }

    /**
     * Whether a tensor's bytes go from the L4 to the node.
     *
     * @param tagCode the tensor's tag code.
     * @return true for INPUT, INOUT and NO_DEP.
     */
    public static boolean toNode(final int tagCode)
    {
        return tagCode == INPUT || tagCode == INOUT || tagCode == NO_DEP;
    }

    /**
     * Whether a tensor's bytes come back from the node to the L4.
     *
     * @param tagCode the tensor's tag code.
     * @return true for OUTPUT, OUTPUT_EXISTING, INOUT and NO_DEP.
     */
    public static boolean fromNode(final int tagCode)
    {
        return tagCode == OUTPUT || tagCode == OUTPUT_EXISTING || tagCode == INOUT || tagCode == NO_DEP;
    }

    /**
     * The block offset of the next tensor.
     *
     * @param end where the tensor before it ends.
     * @return {@code end} rounded up to the alignment.
     */
    public static long align(final long end)
    {
        final long mask = RemoteConfiguration.BLOCK_ALIGNMENT - 1;
        return (end + mask) & ~mask;
    }
}
