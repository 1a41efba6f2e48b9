package dev.simpler.remote.node;

import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.OrchFn;
import dev.simpler.engine.TaskArgsView;
import dev.simpler.engine.TaskFailedException;
import dev.simpler.engine.Worker;
import dev.simpler.engine.worker.TaskExecutionException;
import dev.simpler.remote.codec.BooleanType;
import dev.simpler.remote.codec.CompletionEncoder;
import dev.simpler.remote.codec.DataPieceEncoder;
import dev.simpler.remote.codec.MessageHeaderEncoder;
import dev.simpler.remote.codec.TaskStatus;
import dev.simpler.remote.transport.ControlWriter;
import dev.simpler.remote.transport.RemoteConfiguration;
import dev.simpler.remote.transport.TaskLayout;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;

/**
 * The node's runner (SPEC §15): runs each complete task as a run of the node's L3 Worker with
 * {@link Worker#submit}, so that the tasks of several lanes are runs in flight together (SPEC §13), and, as each run
 * finishes, sends the task's output bytes and its completion back to its L4, then hands the task back to the
 * {@link NodeConductor}. A task whose L4 went away is dropped when its run finishes.
 *
 * <p>Single writer: the runner's thread is the only one that submits runs to the Worker and the only one that sends
 * data pieces and completions.
 */
final class NodeRunner implements Agent
{
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;
    private static final int PIECE_HEADER =
        HEADER + DataPieceEncoder.BLOCK_LENGTH + DataPieceEncoder.dataHeaderLength();
    private static final int COMPLETION_HEADER = HEADER + CompletionEncoder.BLOCK_LENGTH
        + CompletionEncoder.dataHeaderLength() + CompletionEncoder.errorMessageHeaderLength();
    private static final byte[] EMPTY = new byte[0];

    private final String name;
    private final Worker worker;
    private final Long2ObjectHashMap<OrchFn<TaskArgsView>> functions;
    private final String functionNames;
    private final OneToOneConcurrentArrayQueue<NodeTask> toRunner;
    private final OneToOneConcurrentArrayQueue<NodeTask> fromRunner;
    private final NodeTask[] inFlight;
    private int inFlightCount;

    private boolean completionClaimed;
    private final NodeFault fault;
    private final BufferClaim claim = new BufferClaim();
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final CompletionEncoder completion = new CompletionEncoder();
    private final DataPieceEncoder piece = new DataPieceEncoder();
    private final UnsafeBuffer tensorBytes = new UnsafeBuffer(0, 0);
    private final AtomicLong tasksSucceeded = new AtomicLong();
    private final AtomicLong tasksFailed = new AtomicLong();

    /**
     * A runner.
     *
     * @param name          the node, for messages.
     * @param worker        the node's L3 Worker, initialised.
     * @param functions     the node's functions by handle.
     * @param functionNames their names, for the message of an unknown handle.
     * @param toRunner      complete tasks from the conductor.
     * @param fromRunner    finished tasks back to the conductor.
     * @param maxTasks      tasks with the runner at most (one per staging slot).
     * @param fault         what breaks the node.
     */
    NodeRunner(
        final String name,
        final Worker worker,
        final Long2ObjectHashMap<OrchFn<TaskArgsView>> functions,
        final String functionNames,
        final OneToOneConcurrentArrayQueue<NodeTask> toRunner,
        final OneToOneConcurrentArrayQueue<NodeTask> fromRunner,
        final int maxTasks,
        final NodeFault fault)
    {
        this.fault = fault;
        this.name = name;
        this.worker = worker;
        this.functions = functions;
        this.functionNames = functionNames;
        this.toRunner = toRunner;
        this.fromRunner = fromRunner;
        this.inFlight = new NodeTask[maxTasks];
    }

    @Override
    public String roleName()
    {
        return "simpler-node-runner";
    }

    @Override
    public int doWork()
    {
        if (fault.isBroken())
        {
            // The conductor ends every session; this runner's state can no longer be trusted.
            return 0;
        }
        int work = 0;
        NodeTask task;
        while ((task = toRunner.poll()) != null)
        {
            start(task);
            work++;
        }
        for (int i = 0; i < inFlightCount;)
        {
            final NodeTask t = inFlight[i];
            final int progress = progress(t);
            if (progress < 0)
            {
                System.arraycopy(inFlight, i + 1, inFlight, i, inFlightCount - i - 1);
                inFlight[--inFlightCount] = null;
                t.handle = null;
                // The task goes back before its completion is committed: once the L4 can see the completion it
                // may send its next task, and the conductor must find this one returned by then.
                if (!fromRunner.offer(t))
                {
                    throw new IllegalStateException("the conductor's queue is full: it holds a task per session");
                }
                if (completionClaimed)
                {
                    completionClaimed = false;
                    claim.commit();
                }
                work++;
            }
            else
            {
                work += progress;
                i++;
            }
        }
        return work;
    }

    private void start(final NodeTask task)
    {
        // A task whose L4 went away while it was on its way here is not run: progress() hands it back at once.
        if (!task.failed && task.session.open)
        {
            final OrchFn<TaskArgsView> fn = functions.get(task.function);
            if (fn == null)
            {
                fail(task, TaskExecutionException.RUN_FAILED, "no function with handle " + task.function + " on "
                    + name + "; its functions are " + functionNames);
            }
            else
            {
                task.buildArgs();
                clearOutputs(task);
                try
                {
                    task.handle = worker.submit(fn, task.args);
                }
                catch (final Throwable ex)
                {
                    fail(task, TaskExecutionException.RUN_FAILED, name + " could not start the run: " + ex);
                }
            }
        }
        inFlight[inFlightCount++] = task;
    }

    /**
     * Zero the staging of the tensors that only come back (OUTPUT, OUTPUT_EXISTING): their bytes do not travel to
     * the node, and what a function leaves unwritten must come back as zeros, not as an earlier task's bytes.
     */
    private void clearOutputs(final NodeTask task)
    {
        for (int i = 0; i < task.tensorCount; i++)
        {
            if (!task.isNull[i] && task.nbytes[i] > 0 && TaskLayout.fromNode(task.tag[i])
                && !TaskLayout.toNode(task.tag[i]))
            {
                tensorBytes.wrap(task.base + task.blockOffset[i], (int)task.nbytes[i]);
                tensorBytes.setMemory(0, (int)task.nbytes[i], (byte)0);
            }
        }
    }

    /**
     * Move one task on: see its run finish, send its outputs and completion.
     *
     * @return 0 when nothing moved, a positive count of steps, or -1 when the task is done with (sent or dropped).
     */
    private int progress(final NodeTask task)
    {
        if (task.handle != null)
        {
            if (!task.handle.isDone())
            {
                return 0;
            }
            outcome(task);
            task.handle = null;
            task.beginOutbound();
        }
        final NodeSession session = task.session;
        if (!session.open)
        {
            return -1;
        }
        final Publication publication = session.publication;
        final long result;
        if (task.failed)
        {
            result = claimFailure(task, publication);
        }
        else
        {
            final long outbound = task.outboundBytes();
            if (outbound + COMPLETION_HEADER <= publication.maxPayloadLength())
            {
                result = completeInline(task, publication, (int)outbound);
            }
            else
            {
                if (!task.outputsSent)
                {
                    final int pieces = sendPieces(task, publication);
                    if (!task.outputsSent)
                    {
                        return pieces < 0 ? -1 : pieces;
                    }
                }
                result = complete(task, publication, BooleanType.FALSE, 0);
            }
        }
        if (ControlWriter.sent(result))
        {
            completionClaimed = true;
            (task.failed ? tasksFailed : tasksSucceeded).incrementAndGet();
            return -1;
        }
        return ControlWriter.failedForGood(result) ? -1 : 0;
    }

    /**
     * Tasks whose success went back to their L4.
     *
     * @return the count, read from any thread.
     */
    long tasksSucceeded()
    {
        return tasksSucceeded.get();
    }

    /**
     * Tasks whose failure went back to their L4.
     *
     * @return the count, read from any thread.
     */
    long tasksFailed()
    {
        return tasksFailed.get();
    }

    private void outcome(final NodeTask task)
    {
        try
        {
            task.handle.join(Duration.ZERO);
        }
        catch (final TaskFailedException ex)
        {
            fail(task, ex.errorCode(), ex.getMessage());
        }
        catch (final Throwable ex)
        {
            fail(task, TaskExecutionException.CALLABLE_THREW, "the function threw " + ex);
        }
    }

    private static void fail(final NodeTask task, final int errorCode, final String message)
    {
        task.failed = true;
        task.errorCode = errorCode;
        task.errorMessage = message;
    }

    /**
     * Send the next pieces of a task's outputs until all went or the publication pushes back.
     *
     * @return pieces sent, or -1 when the publication is gone.
     */
    private int sendPieces(final NodeTask task, final Publication publication)
    {
        final int maxPiece = publication.maxPayloadLength() - PIECE_HEADER;
        int sent = 0;
        while (task.outTensor < task.tensorCount)
        {
            final int i = task.outTensor;
            final int length = (int)Math.min(maxPiece, task.nbytes[i] - task.outOffset);
            final long result = publication.tryClaim(PIECE_HEADER + length, claim);
            if (!ControlWriter.sent(result))
            {
                return ControlWriter.failedForGood(result) ? -1 : sent;
            }
            final MutableDirectBuffer buffer = claim.buffer();
            piece.wrapAndApplyHeader(buffer, claim.offset(), header)
                .sessionToken(task.session.token)
                .taskId(task.taskId)
                .blockOffset(task.blockOffset[i] + task.outOffset);
            final int dataAt = piece.limit();
            buffer.putInt(dataAt, length, ByteOrder.LITTLE_ENDIAN);
            tensorBytes.wrap(task.base + task.blockOffset[i] + task.outOffset, length);
            buffer.putBytes(dataAt + DataPieceEncoder.dataHeaderLength(), tensorBytes, 0, length);
            claim.commit();
            task.outOffset += length;
            task.seekOutbound();
            sent++;
        }
        task.outputsSent = true;
        return sent;
    }

    private long completeInline(final NodeTask task, final Publication publication, final int outbound)
    {
        return complete(task, publication, BooleanType.TRUE, outbound);
    }

    /** Claim and encode an OK completion with the given bytes of outputs inline (all or none); the caller commits. */
    private long complete(
        final NodeTask task, final Publication publication, final BooleanType dataInline, final int inlineBytes)
    {
        final long result = publication.tryClaim(COMPLETION_HEADER + inlineBytes, claim);
        if (!ControlWriter.sent(result))
        {
            return result;
        }
        final MutableDirectBuffer buffer = claim.buffer();
        completion.wrapAndApplyHeader(buffer, claim.offset(), header)
            .sessionToken(task.session.token)
            .taskId(task.taskId)
            .status(TaskStatus.OK)
            .errorCode(0)
            .dataInline(dataInline);
        final int dataAt = completion.limit();
        buffer.putInt(dataAt, inlineBytes, ByteOrder.LITTLE_ENDIAN);
        int at = dataAt + CompletionEncoder.dataHeaderLength();
        if (inlineBytes > 0)
        {
            for (int i = 0; i < task.tensorCount; i++)
            {
                if (!task.isNull[i] && TaskLayout.fromNode(task.tag[i]))
                {
                    final int bytes = (int)task.nbytes[i];
                    tensorBytes.wrap(task.base + task.blockOffset[i], bytes);
                    buffer.putBytes(at, tensorBytes, 0, bytes);
                    at += bytes;
                }
            }
        }
        completion.limit(at);
        completion.putErrorMessage(EMPTY, 0, 0);
        return result;
    }

    /** Claim and encode a FAILED completion; the caller commits it. */
    private long claimFailure(final NodeTask task, final Publication publication)
    {
        final byte[] text = ControlWriter.utf8(task.errorMessage, RemoteConfiguration.MAX_ERROR_MESSAGE_BYTES);
        final long result = publication.tryClaim(COMPLETION_HEADER + text.length, claim);
        if (ControlWriter.sent(result))
        {
            completion.wrapAndApplyHeader(claim.buffer(), claim.offset(), header)
                .sessionToken(task.session.token)
                .taskId(task.taskId)
                .status(TaskStatus.FAILED)
                .errorCode(task.errorCode)
                .dataInline(BooleanType.FALSE)
                .putData(EMPTY, 0, 0)
                .putErrorMessage(text, 0, text.length);
        }
        return result;
    }
}
