package dev.simpler.remote.node;

import java.util.Arrays;

import dev.simpler.engine.DataType;
import dev.simpler.engine.RunHandle;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.TensorArgType;
import dev.simpler.remote.transport.RemoteConfiguration;
import dev.simpler.remote.transport.TaskLayout;

/**
 * The one task a session may have in flight on a node, reused for each of the session's tasks: its tensors'
 * descriptors and place in the block, its scalars, how much of its data arrived, and, once it runs, its run and
 * outcome.
 *
 * <p>The node conductor writes it until it hands it to the node runner and after the runner handed it back; the
 * queues between them order those writes.
 */
final class NodeTask
{
    /** No task: the session may send one. */
    static final int IDLE = 0;
    /** A large task waits for staging memory before the node grants it. */
    static final int AWAITING_STAGING = 1;
    /** Its data is arriving. */
    static final int RECEIVING = 2;
    /** With the runner: queued, running, or sending its outputs and completion. */
    static final int WITH_RUNNER = 3;

    final NodeSession session;
    int state = IDLE;

    long taskId;
    long function;
    long stagingBytes;
    /** Address of the block's first byte in this process. */
    long base;
    /** Whether the block came from the arena (a large task) rather than the session's slot. */
    boolean inArena;
    boolean grantPending;

    int tensorCount;
    final long[] blockOffset = new long[RemoteConfiguration.MAX_TENSORS];
    final long[] nbytes = new long[RemoteConfiguration.MAX_TENSORS];
    final int[] tag = new int[RemoteConfiguration.MAX_TENSORS];
    final int[] dtype = new int[RemoteConfiguration.MAX_TENSORS];
    final int[] ndims = new int[RemoteConfiguration.MAX_TENSORS];
    final boolean[] isNull = new boolean[RemoteConfiguration.MAX_TENSORS];
    final int[][] shape = new int[RemoteConfiguration.MAX_TENSORS][];
    int scalarCount;
    final long[] scalars = new long[RemoteConfiguration.MAX_SCALARS];

    /** The tensor whose bytes arrive next, and how many of them arrived. */
    int inTensor;
    long inOffset;
    long inboundLeft;

    final TaskArgs args = new TaskArgs();
    RunHandle handle;
    boolean failed;
    int errorCode;
    String errorMessage;
    /** The tensor whose bytes go back next, and how many of them went. */
    int outTensor;
    long outOffset;
    boolean outputsSent;

    NodeTask(final NodeSession session)
    {
        this.session = session;
        for (int i = 0; i < shape.length; i++)
        {
            shape[i] = new int[Tensor.MAX_DIMS];
        }
    }

    /**
     * Start receiving a new task's data.
     */
    void beginInbound()
    {
        inTensor = 0;
        inOffset = 0;
        inboundLeft = 0;
        for (int i = 0; i < tensorCount; i++)
        {
            if (!isNull[i] && TaskLayout.toNode(tag[i]))
            {
                inboundLeft += nbytes[i];
            }
        }
        seekInbound();
    }

    /**
     * Move past tensors whose bytes all arrived or that send none.
     */
    void seekInbound()
    {
        while (inTensor < tensorCount
            && (isNull[inTensor] || !TaskLayout.toNode(tag[inTensor]) || inOffset == nbytes[inTensor]))
        {
            inTensor++;
            inOffset = 0;
        }
    }

    /**
     * Start sending a finished task's outputs.
     */
    void beginOutbound()
    {
        outTensor = 0;
        outOffset = 0;
        outputsSent = false;
        seekOutbound();
    }

    /**
     * Move past tensors whose bytes all went or that return none.
     */
    void seekOutbound()
    {
        while (outTensor < tensorCount
            && (isNull[outTensor] || !TaskLayout.fromNode(tag[outTensor]) || outOffset == nbytes[outTensor]))
        {
            outTensor++;
            outOffset = 0;
        }
    }

    /**
     * Bytes that go back to the L4.
     *
     * @return the sum over the returning tensors.
     */
    long outboundBytes()
    {
        long total = 0;
        for (int i = 0; i < tensorCount; i++)
        {
            if (!isNull[i] && TaskLayout.fromNode(tag[i]))
            {
                total += nbytes[i];
            }
        }
        return total;
    }

    /**
     * Build the arguments the node's function receives: the tensors at their place in the block, with their tags.
     */
    void buildArgs()
    {
        args.clear();
        for (int i = 0; i < tensorCount; i++)
        {
            final int[] dims = Arrays.copyOf(shape[i], ndims[i]);
            final Tensor tensor = Tensor.of(isNull[i] ? 0 : base + blockOffset[i], DataType.fromCode(dtype[i]), dims);
            args.add(tensor, TensorArgType.fromCode(tag[i]));
        }
        for (int i = 0; i < scalarCount; i++)
        {
            args.addScalar(scalars[i]);
        }
    }

    /**
     * Forget the run and outcome, for the next task.
     */
    void reset()
    {
        state = IDLE;
        handle = null;
        failed = false;
        errorCode = 0;
        errorMessage = null;
        grantPending = false;
        args.clear();
    }
}
