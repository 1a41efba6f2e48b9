package dev.simpler.remote.client;

import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.agrona.BufferUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.TaskArgsView;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.TensorArgType;
import dev.simpler.engine.worker.NodeGauge;
import dev.simpler.engine.worker.TaskExecutionException;
import dev.simpler.remote.codec.AdmitDecoder;
import dev.simpler.remote.codec.BooleanType;
import dev.simpler.remote.codec.ChallengeDecoder;
import dev.simpler.remote.codec.CompletionDecoder;
import dev.simpler.remote.codec.DataGrantDecoder;
import dev.simpler.remote.codec.DataPieceDecoder;
import dev.simpler.remote.codec.DataPieceEncoder;
import dev.simpler.remote.codec.HeartbeatDecoder;
import dev.simpler.remote.codec.MessageHeaderDecoder;
import dev.simpler.remote.codec.MessageHeaderEncoder;
import dev.simpler.remote.codec.RefuseDecoder;
import dev.simpler.remote.codec.RefuseReason;
import dev.simpler.remote.codec.TaskEncoder;
import dev.simpler.remote.transport.ControlWriter;
import dev.simpler.remote.transport.DropCounters;
import dev.simpler.remote.transport.DropReason;
import dev.simpler.remote.transport.Handshake;
import dev.simpler.remote.transport.HostAndPort;
import dev.simpler.remote.transport.ImageProgress;
import dev.simpler.remote.transport.MessageValidator;
import dev.simpler.remote.transport.RemoteConfiguration;
import dev.simpler.remote.transport.TaskLayout;
import dev.simpler.remote.transport.Transport;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.Header;

/**
 * One L4 lane to a node (SPEC §15): an exclusive publication to the node's endpoint, a subscription on the reply
 * endpoint that every lane of the process shares (to the stream numbered by the publication's session id, which the
 * node replies on), and the session the handshake opened. The thread that runs a task owns the lane while it does: it
 * sends the task and its data, takes the outputs and the completion, and keeps the heartbeats going; between tasks
 * the {@link LaneConductor} owns it for the heartbeats. While several callers of the process wait for completions at
 * once, each parks once it has spun a little and leaves its lane to the conductor, which polls every such lane and
 * gives each back to its caller, waking it, when its task is done (a lone caller polls its own lane, so a single
 * round trip has no hand-off between threads). A node silent for the heartbeat timeout, or one that
 * ends the session, fails the task in flight with an error naming it; the next task reconnects.
 *
 * <p>Single writer: whoever holds {@link #owner} (the caller of {@link #run} or the lane conductor) touches
 * everything but {@link #closed}.
 */
public final class Lane
{
    static final int FREE = 0;
    static final int CONDUCTOR = 1;
    static final int CALLER = 2;
    /** The caller waits parked for its completion; the lane conductor may poll the lane and wakes it. */
    static final int PARKED = 3;

    /** Polls with nothing arrived, spinning, before a waiting caller yields or leaves the polling to the conductor. */
    private static final int AWAIT_SPINS = (int)RemoteConfiguration.IDLE_MAX_SPINS;
    /** Polls with nothing arrived, yielding, before a lone waiting caller backs off further. */
    private static final int AWAIT_YIELDS = (int)RemoteConfiguration.IDLE_MAX_YIELDS;
    /**
     * Longest park of a caller that left its lane to the conductor: it then looks at the lane itself, so that a lane
     * the conductor no longer serves (a RemoteWorker being closed) is not waited on forever.
     */
    private static final long PARKED_CHECK_NS = TimeUnit.MILLISECONDS.toNanos(20);

    private static final int HEADER = MessageHeaderDecoder.ENCODED_LENGTH;
    private static final int PIECE_HEADER =
        HEADER + DataPieceEncoder.BLOCK_LENGTH + DataPieceEncoder.dataHeaderLength();
    private static final int TENSOR_ENTRY = TaskEncoder.TensorsEncoder.sbeBlockLength();
    private static final int SCALAR_ENTRY = TaskEncoder.ScalarsEncoder.sbeBlockLength();
    private static final int TASK_FIXED = HEADER + TaskEncoder.BLOCK_LENGTH + TaskEncoder.TensorsEncoder.sbeHeaderSize()
        + TaskEncoder.ScalarsEncoder.sbeHeaderSize() + TaskEncoder.dataHeaderLength();
    private static final int MAX_TASK_MESSAGE = TASK_FIXED + RemoteConfiguration.MAX_TENSORS * TENSOR_ENTRY
        + RemoteConfiguration.MAX_SCALARS * SCALAR_ENTRY;

    private static final int HANDSHAKE_NONE = 0;
    private static final int AWAIT_CHALLENGE = 1;
    private static final int AWAIT_ADMIT = 2;
    private static final int ADMITTED = 3;
    private static final int REFUSED = 4;
    private static final int NODE_UNPROVEN = 5;
    private static final int GOT_CHALLENGE = 6;
    private static final long REQUEST_RESEND_NS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long FULL_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(200);

    private static final int TASK_NONE = 0;
    private static final int AWAIT_GRANT = 1;
    private static final int SEND_DATA = 2;
    private static final int AWAIT_COMPLETION = 3;
    private static final int TASK_DONE = 4;

    final AtomicInteger owner = new AtomicInteger(FREE);
    private volatile boolean closed;
    private volatile boolean connected;
    /** Guards changes of {@link #connected} and {@link #gauge}: the lane and its conductor both end sessions. */
    private final Object gaugeLock = new Object();
    private NodeGauge gauge;

    private final HostAndPort node;
    private final String nodeName;
    private final Transport transport;
    private final Handshake handshake;
    private final long connectTimeoutNs;
    private final IdleStrategy idle;
    /** Whether a waiting caller may park and leave the polling to the conductor (not with busy-spin). */
    private final boolean handOff;
    /** The thread parked in {@link #awaitCompletion}, woken by the conductor. */
    private volatile Thread waiter;
    private final DropCounters drops;
    private final MessageValidator validator = new MessageValidator();
    private final ControlWriter writer = new ControlWriter();
    private final FragmentAssembler assembler = new FragmentAssembler(this::onFragment);

    private ExclusivePublication publication;
    private Subscription subscription;
    private long token;
    private long heartbeatIntervalNs;
    private long heartbeatTimeoutNs;
    private long maxTaskBytes;
    private int slotBytes;
    private long nowNs;
    private long lastHeardNs;
    /** How far the node's bytes arrived: arrivals count as hearing from it (see {@link ImageProgress}). */
    private ImageProgress arrivals;
    private long lastSentNs;
    /** When a thread last looked at the node's silence. */
    private long lastCheckNs;
    private String endReason;

    private int handshakeState;
    private final byte[] clientNonce = new byte[Handshake.DIGEST_LENGTH];
    private final byte[] nodeNonce = new byte[Handshake.DIGEST_LENGTH];
    private final byte[] proof = new byte[Handshake.DIGEST_LENGTH];
    private final byte[] nodeMac = new byte[Handshake.DIGEST_LENGTH];
    private String refusal;
    private boolean refusedFull;

    private int taskState;
    private long nextTaskId;
    private long taskId;
    private long function;
    private int tensorCount;
    private int scalarCount;
    private final long[] address = new long[RemoteConfiguration.MAX_TENSORS];
    private final long[] nbytes = new long[RemoteConfiguration.MAX_TENSORS];
    private final long[] blockOffset = new long[RemoteConfiguration.MAX_TENSORS];
    private final int[] tag = new int[RemoteConfiguration.MAX_TENSORS];
    private final boolean[] isNull = new boolean[RemoteConfiguration.MAX_TENSORS];
    private final Tensor[] tensors = new Tensor[RemoteConfiguration.MAX_TENSORS];
    private TaskArgsView currentArgs;
    private long stagingBytes;
    private long toNodeBytes;
    private long fromNodeBytes;
    private int sendTensor;
    private long sendOffset;
    private int receiveTensor;
    private long receiveOffset;
    private boolean taskFailed;
    private int taskErrorCode;
    private String taskErrorMessage;

    private final BufferClaim claim = new BufferClaim();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final TaskEncoder taskEncoder = new TaskEncoder();
    private final DataPieceEncoder pieceEncoder = new DataPieceEncoder();
    private final UnsafeBuffer scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
        Integer.highestOneBit(MAX_TASK_MESSAGE) << 1, 64));
    private final UnsafeBuffer tensorBytes = new UnsafeBuffer(0, 0);

    private final ChallengeDecoder challengeDecoder = new ChallengeDecoder();
    private final AdmitDecoder admitDecoder = new AdmitDecoder();
    private final RefuseDecoder refuseDecoder = new RefuseDecoder();
    private final DataGrantDecoder grantDecoder = new DataGrantDecoder();
    private final DataPieceDecoder pieceDecoder = new DataPieceDecoder();
    private final CompletionDecoder completionDecoder = new CompletionDecoder();

    /**
     * A lane, not yet connected.
     *
     * @param node           the node's endpoint.
     * @param transport      the process's transport (its Aeron client and the lanes' reply port).
     * @param secret         the shared secret.
     * @param connectTimeout how long a (re)connect may take, in ns.
     * @param idle           how the thread in {@link #run} idles while it waits.
     */
    public Lane(
        final HostAndPort node,
        final Transport transport,
        final byte[] secret,
        final long connectTimeout,
        final IdleStrategy idle)
    {
        this.node = node;
        this.nodeName = "node " + node;
        this.transport = transport;
        this.handshake = new Handshake(secret);
        this.connectTimeoutNs = connectTimeout;
        this.idle = idle;
        this.handOff = !(idle instanceof BusySpinIdleStrategy);
        this.drops = new DropCounters("the L4 lane to " + nodeName);
    }

    /**
     * The node this lane drives.
     *
     * @return {@code host:port}.
     */
    public HostAndPort node()
    {
        return node;
    }

    /**
     * Whether the lane has a session now.
     *
     * @return true when connected.
     */
    public boolean isConnected()
    {
        return connected;
    }

    /**
     * Report this lane's session to a Worker's gauge of remote nodes connected from now on (SPEC §14).
     *
     * @param newGauge the gauge, or null to stop reporting.
     */
    public void nodeGauge(final NodeGauge newGauge)
    {
        synchronized (gaugeLock)
        {
            if (gauge != null && connected)
            {
                gauge.laneDown(nodeName);
            }
            gauge = newGauge;
            if (newGauge != null && connected)
            {
                newGauge.laneUp(nodeName);
            }
        }
    }

    private void connected(final boolean up)
    {
        synchronized (gaugeLock)
        {
            if (connected != up)
            {
                connected = up;
                if (gauge != null)
                {
                    if (up)
                    {
                        gauge.laneUp(nodeName);
                    }
                    else
                    {
                        gauge.laneDown(nodeName);
                    }
                }
            }
        }
    }

    /**
     * Messages this lane dropped.
     *
     * @return the count.
     */
    public long droppedMessages()
    {
        return drops.total();
    }

    // ------------------------------------------------------------------------------------------ ownership

    /**
     * Take the lane for the calling thread (the conductor holds it only for one short step).
     */
    public void acquire()
    {
        while (!owner.compareAndSet(FREE, CALLER))
        {
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /**
     * Take the lane, waiting at most until a deadline.
     *
     * @param deadlineNs the deadline.
     * @return true when taken.
     */
    public boolean tryAcquire(final long deadlineNs)
    {
        while (!owner.compareAndSet(FREE, CALLER))
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                return false;
            }
            Thread.onSpinWait();
            Thread.yield();
        }
        return true;
    }

    /**
     * Give the lane back.
     */
    public void release()
    {
        owner.set(FREE);
    }

    // ------------------------------------------------------------------------------------------ session

    /**
     * Open a session: fresh channels, the handshake, the node's proof; a node refusing because it is full is asked
     * again until the connect timeout. The caller owns the lane.
     *
     * @throws IllegalStateException naming the node and what went wrong (no answer in time, refused, a node that
     *                               does not hold the secret).
     */
    public void connect()
    {
        final long deadline = System.nanoTime() + connectTimeoutNs;
        while (true)
        {
            try
            {
                connect(deadline);
                return;
            }
            catch (final IllegalStateException ex)
            {
                // A full node is a passing state (an ended session's run still holds its place): try again.
                if (!refusedFull || System.nanoTime() - deadline > 0)
                {
                    throw ex;
                }
            }
            LockSupport.parkNanos(FULL_RETRY_NS);
        }
    }

    private void connect(final long deadline)
    {
        disconnect(null);
        refusedFull = false;
        final long timeoutMs = TimeUnit.NANOSECONDS.toMillis(connectTimeoutNs);
        try
        {
            final InetAddress local = node.localAddressTowards();
            final int replyPort = transport.replyPort(local);
            publication = transport.aeron().addExclusivePublication(node.publicationChannel(),
                RemoteConfiguration.REQUEST_STREAM_ID);
            if (publication.sessionId() == RemoteConfiguration.REPLY_ANCHOR_STREAM_ID)
            {
                // Replies on the anchor's stream would reach a subscription that is never polled.
                final ExclusivePublication taken = publication;
                publication = transport.aeron().addExclusivePublication(node.publicationChannel(),
                    RemoteConfiguration.REQUEST_STREAM_ID);
                taken.close();
            }
            // The node replies on the stream numbered by this publication's session id, to the port every lane of
            // this process shares.
            subscription = transport.aeron().addSubscription(Transport.replyChannel(local, replyPort),
                publication.sessionId());
            while (!publication.isConnected())
            {
                checkDeadline(deadline, "did not answer within " + timeoutMs + " ms: no node listens there, or UDP "
                    + "to it is dropped");
                idle.idle();
            }
            idle.reset();

            Handshake.nonce(clientNonce);
            handshakeState = AWAIT_CHALLENGE;
            refusal = null;
            // A node running as many handshakes as it may drops the request: it is sent again until answered.
            long resendAt = 0;
            while (handshakeState == AWAIT_CHALLENGE)
            {
                nowNs = System.nanoTime();
                if (nowNs - resendAt >= 0
                    && ControlWriter.sent(writer.sessionRequest(publication, replyPort, clientNonce)))
                {
                    resendAt = nowNs + REQUEST_RESEND_NS;
                }
                final int work = subscription.poll(assembler, RemoteConfiguration.FRAGMENT_LIMIT);
                checkDeadline(deadline, "did not answer the session request within " + timeoutMs + " ms");
                idle.idle(work);
            }
            checkHandshake();

            handshake.l4Proof(clientNonce, nodeNonce, proof);
            handshakeState = AWAIT_ADMIT;
            while (!ControlWriter.sent(writer.challengeResponse(publication, proof)))
            {
                checkDeadline(deadline, "took no challenge response within " + timeoutMs + " ms");
                idle.idle();
            }
            awaitHandshake(AWAIT_ADMIT, deadline, timeoutMs);
            nowNs = System.nanoTime();
            lastHeardNs = nowNs;
            lastSentNs = nowNs;
            lastCheckNs = nowNs;
            endReason = null;
            connected(true);
        }
        catch (final RuntimeException ex)
        {
            disconnect(null);
            if (ex instanceof IllegalStateException && ex.getMessage() != null
                && ex.getMessage().startsWith(nodeName))
            {
                throw ex;
            }
            throw new IllegalStateException(nodeName + ": cannot connect: " + ex.getMessage(), ex);
        }
    }

    private void awaitHandshake(final int waitingIn, final long deadline, final long timeoutMs)
    {
        while (handshakeState == waitingIn)
        {
            nowNs = System.nanoTime();
            final int work = subscription.poll(assembler, RemoteConfiguration.FRAGMENT_LIMIT);
            checkDeadline(deadline, "did not complete the handshake within " + timeoutMs + " ms");
            idle.idle(work);
        }
        idle.reset();
        checkHandshake();
    }

    private void checkHandshake()
    {
        if (handshakeState == REFUSED)
        {
            throw new IllegalStateException(nodeName + " refused the session: " + refusal);
        }
        if (handshakeState == NODE_UNPROVEN)
        {
            throw new IllegalStateException(nodeName + " failed to prove the shared secret in its answer: it is not "
                + "the node meant, or it holds another secret");
        }
    }

    private void checkDeadline(final long deadline, final String what)
    {
        if (closed)
        {
            throw new IllegalStateException(nodeName + ": the RemoteWorker was closed");
        }
        if (System.nanoTime() - deadline > 0)
        {
            throw new IllegalStateException(nodeName + " " + what);
        }
    }

    /**
     * Drop the session and its channels. The caller owns the lane.
     *
     * @param why when not null, why the node is considered gone (kept for the next error).
     */
    void disconnect(final String why)
    {
        connected(false);
        if (why != null)
        {
            endReason = why;
        }
        handshakeState = HANDSHAKE_NONE;
        CloseHelper.quietCloseAll(publication, subscription);
        publication = null;
        subscription = null;
        arrivals = null;
        assembler.clear();
    }

    /**
     * End the lane: tell the node, close the channels. Idempotent; a task running on another thread fails with an
     * error saying so within one of its waits.
     *
     * @param timeoutNs how long to wait for a task running on another thread to give the lane up.
     */
    public void close(final long timeoutNs)
    {
        closed = true;
        final Thread parked = waiter;
        if (parked != null)
        {
            LockSupport.unpark(parked);
        }
        if (!tryAcquire(System.nanoTime() + timeoutNs))
        {
            // A thread stuck in the lane: it sees closed at its next wait and gives the lane up.
            return;
        }
        try
        {
            if (connected && publication != null)
            {
                writer.sessionClose(publication, token);
            }
            disconnect(null);
        }
        finally
        {
            release();
        }
    }

    /**
     * One step of the lane conductor on an idle lane: take what the node sent, send a heartbeat when due, and drop
     * the session of a node that fell silent.
     *
     * @param now the time.
     * @return work done.
     */
    int service(final long now)
    {
        if (owner.get() == PARKED)
        {
            return serveParked(now);
        }
        if (!owner.compareAndSet(FREE, CONDUCTOR))
        {
            return 0;
        }
        try
        {
            if (!connected || closed)
            {
                return 0;
            }
            nowNs = now;
            creditStall();
            int work = subscription.poll(assembler, RemoteConfiguration.FRAGMENT_LIMIT);
            if (!connected)
            {
                System.err.println("simpler-remote: " + nodeName + " ended the session: " + endReason);
                disconnect(null);
                return work + 1;
            }
            if (now - lastHeardNs > heartbeatTimeoutNs)
            {
                final String why = "heard nothing for " + TimeUnit.NANOSECONDS.toMillis(now - lastHeardNs)
                    + " ms (heartbeat timeout " + TimeUnit.NANOSECONDS.toMillis(heartbeatTimeoutNs) + " ms)";
                System.err.println("simpler-remote: lost " + nodeName + ": " + why);
                disconnect(why);
                return work + 1;
            }
            if (now - lastSentNs >= heartbeatIntervalNs)
            {
                heartbeat();
                work++;
            }
            return work;
        }
        finally
        {
            owner.set(FREE);
        }
    }

    /**
     * One step of the lane conductor on a lane whose caller parked while it waits for its completion: take what the
     * node sent (outputs land in the caller's tensors), keep the heartbeats going, and give the lane back to the
     * caller, waking it, once the task is done, needs the caller to send data, or the session is in trouble.
     */
    private int serveParked(final long now)
    {
        if (!owner.compareAndSet(PARKED, CONDUCTOR))
        {
            return 0;
        }
        boolean wake = true;
        int work = 0;
        try
        {
            if (!connected || closed || subscription == null)
            {
                return 0;
            }
            nowNs = now;
            creditStall();
            work = subscription.poll(assembler, RemoteConfiguration.FRAGMENT_LIMIT);
            if (taskState == TASK_DONE || taskState == SEND_DATA || !connected
                || now - lastHeardNs > heartbeatTimeoutNs)
            {
                return work;
            }
            if (now - lastSentNs >= heartbeatIntervalNs)
            {
                heartbeat();
            }
            wake = false;
            return work;
        }
        finally
        {
            owner.set(wake ? CALLER : PARKED);
            if (wake)
            {
                LockSupport.unpark(waiter);
            }
        }
    }

    private void heartbeat()
    {
        final long result = writer.heartbeat(publication, token);
        if (ControlWriter.sent(result))
        {
            lastSentNs = nowNs;
        }
    }

    // ------------------------------------------------------------------------------------------ tasks

    /**
     * Run one task on the node and wait for its completion; the caller owns the lane. Its outputs are in the L4's
     * tensors when this returns.
     *
     * @param callable the function's handle.
     * @param args     the task's arguments.
     * @param config   the task's launch configuration (sent with it).
     * @throws TaskExecutionException with the node's error code when the task failed there, or code 1 when the node
     *                                is not reachable, stopped answering, ended the session, or the task cannot be
     *                                sent; the message names the node and the function.
     */
    public void run(final long callable, final TaskArgsView args, final CallConfig config)
        throws TaskExecutionException
    {
        if (closed)
        {
            throw new IllegalStateException("the RemoteWorker for " + nodeName + " is closed");
        }
        if (!connected)
        {
            try
            {
                connect();
            }
            catch (final IllegalStateException ex)
            {
                throw new TaskExecutionException(TaskExecutionException.RUN_FAILED, FunctionNames.describe(callable)
                    + " was not sent: " + nodeName + " is not connected"
                    + (endReason != null ? " (" + endReason + ")" : "") + ", and reconnecting failed: "
                    + ex.getMessage());
            }
        }
        function = callable;
        currentArgs = args;
        try
        {
            prepare(args);
            send(config);
            awaitCompletion();
        }
        finally
        {
            taskState = TASK_NONE;
            currentArgs = null;
            for (int i = 0; i < tensorCount; i++)
            {
                tensors[i] = null;
            }
        }
        if (taskFailed)
        {
            throw new TaskExecutionException(taskErrorCode, FunctionNames.describe(callable) + " failed on "
                + nodeName + ": " + taskErrorMessage);
        }
    }

    private void prepare(final TaskArgsView args) throws TaskExecutionException
    {
        final int tensorsGiven = args.tensorCount();
        final int scalarsGiven = args.scalarCount();
        tensorCount = 0;
        if (tensorsGiven > RemoteConfiguration.MAX_TENSORS || scalarsGiven > RemoteConfiguration.MAX_SCALARS)
        {
            throw new TaskExecutionException(TaskExecutionException.RUN_FAILED, "a remote task has at most "
                + RemoteConfiguration.MAX_TENSORS + " tensors and " + RemoteConfiguration.MAX_SCALARS + " scalars: "
                + FunctionNames.describe(function) + " has " + tensorsGiven + " and " + scalarsGiven);
        }
        tensorCount = tensorsGiven;
        scalarCount = scalarsGiven;
        long cursor = 0;
        toNodeBytes = 0;
        fromNodeBytes = 0;
        for (int i = 0; i < tensorCount; i++)
        {
            final Tensor tensor = args.tensor(i);
            tensors[i] = tensor;
            tag[i] = tagOf(args, i);
            address[i] = tensor.address();
            isNull[i] = address[i] == 0;
            nbytes[i] = tensor.nbytes();
            if (isNull[i])
            {
                blockOffset[i] = 0;
                continue;
            }
            blockOffset[i] = TaskLayout.align(cursor);
            cursor = blockOffset[i] + nbytes[i];
            if (TaskLayout.toNode(tag[i]))
            {
                toNodeBytes += nbytes[i];
            }
            if (TaskLayout.fromNode(tag[i]))
            {
                fromNodeBytes += nbytes[i];
            }
        }
        stagingBytes = TaskLayout.align(cursor);
        if (stagingBytes > slotBytes && stagingBytes > maxTaskBytes)
        {
            throw new TaskExecutionException(TaskExecutionException.RUN_FAILED, FunctionNames.describe(function)
                + " was not sent: its tensors need " + stagingBytes + " bytes of staging memory and " + nodeName
                + " takes at most " + maxTaskBytes + " per task (SimplerNode.Builder.stagingSize)");
        }
    }

    /** The tag of a tensor; arguments without tags (not the engine's) send and take back every tensor. */
    private static int tagOf(final TaskArgsView args, final int i)
    {
        try
        {
            return args.tag(i).code();
        }
        catch (final UnsupportedOperationException ex)
        {
            return TensorArgType.INOUT.code();
        }
    }

    private void send(final CallConfig config) throws TaskExecutionException
    {
        taskId = ++nextTaskId;
        taskFailed = false;
        taskErrorMessage = null;
        sendTensor = 0;
        sendOffset = 0;
        receiveTensor = 0;
        receiveOffset = 0;
        seekReceive();
        final int length = TASK_FIXED + tensorCount * TENSOR_ENTRY + scalarCount * SCALAR_ENTRY;
        final boolean inline = stagingBytes <= slotBytes && length + toNodeBytes <= publication.maxPayloadLength();
        if (inline)
        {
            final int total = length + (int)toNodeBytes;
            long result;
            while (!ControlWriter.sent(result = publication.tryClaim(total, claim)))
            {
                awaitRoom(result);
            }
            final int dataAt = encodeTask(claim.buffer(), claim.offset(), config, true);
            claim.buffer().putInt(dataAt, (int)toNodeBytes, ByteOrder.LITTLE_ENDIAN);
            int at = dataAt + TaskEncoder.dataHeaderLength();
            for (int i = 0; i < tensorCount; i++)
            {
                if (!isNull[i] && TaskLayout.toNode(tag[i]))
                {
                    tensorBytes.wrap(address[i], (int)nbytes[i]);
                    claim.buffer().putBytes(at, tensorBytes, 0, (int)nbytes[i]);
                    at += (int)nbytes[i];
                }
            }
            claim.commit();
            sendTensor = tensorCount;
        }
        else
        {
            final int dataAt = encodeTask(scratch, 0, config, false);
            scratch.putInt(dataAt, 0, ByteOrder.LITTLE_ENDIAN);
            long result;
            while (!ControlWriter.sent(result = publication.offer(scratch, 0, length)))
            {
                awaitRoom(result);
            }
            seekSend();
        }
        lastSentNs = System.nanoTime();
        if (sendTensor < tensorCount)
        {
            taskState = stagingBytes > slotBytes ? AWAIT_GRANT : SEND_DATA;
        }
        else
        {
            taskState = AWAIT_COMPLETION;
        }
    }

    /** Encode a task's fields and groups; returns where its data's length goes. */
    private int encodeTask(final MutableDirectBuffer buffer, final int offset, final CallConfig config,
        final boolean inline)
    {
        final TaskEncoder encoder = taskEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder)
            .sessionToken(token)
            .taskId(taskId)
            .function(function)
            .blockDim(config.blockDim())
            .aicpuThreadNum(config.aicpuThreadNum())
            .dataInline(inline ? BooleanType.TRUE : BooleanType.FALSE)
            .stagingBytes(stagingBytes);
        encoder.flags().clear().enableProfiling(config.enableProfiling()).enableDumpTensor(config.enableDumpTensor());
        final TaskEncoder.TensorsEncoder entries = encoder.tensorsCount(tensorCount);
        for (int i = 0; i < tensorCount; i++)
        {
            final Tensor tensor = tensors[i];
            entries.next()
                .blockOffset(blockOffset[i])
                .ndims((short)tensor.ndims())
                .dtype((short)tensor.dtype().code())
                .tag((short)tag[i])
                .isNull(isNull[i] ? BooleanType.TRUE : BooleanType.FALSE);
            for (int d = 0; d < Tensor.MAX_DIMS; d++)
            {
                entries.shape(d, tensor.shape(d));
            }
        }
        final TaskEncoder.ScalarsEncoder scalars = encoder.scalarsCount(scalarCount);
        for (int i = 0; i < scalarCount; i++)
        {
            scalars.next().bits(currentArgs.scalar(i));
        }
        return encoder.limit();
    }

    private void seekSend()
    {
        while (sendTensor < tensorCount
            && (isNull[sendTensor] || !TaskLayout.toNode(tag[sendTensor]) || sendOffset == nbytes[sendTensor]))
        {
            sendTensor++;
            sendOffset = 0;
        }
    }

    private void seekReceive()
    {
        while (receiveTensor < tensorCount && (isNull[receiveTensor] || !TaskLayout.fromNode(tag[receiveTensor])
            || receiveOffset == nbytes[receiveTensor]))
        {
            receiveTensor++;
            receiveOffset = 0;
        }
    }

    /** Send data pieces until all went or the publication pushes back. */
    private int sendPieces() throws TaskExecutionException
    {
        final int maxPiece = publication.maxPayloadLength() - PIECE_HEADER;
        int sent = 0;
        while (sendTensor < tensorCount)
        {
            final int i = sendTensor;
            final int length = (int)Math.min(maxPiece, nbytes[i] - sendOffset);
            final long result = publication.tryClaim(PIECE_HEADER + length, claim);
            if (!ControlWriter.sent(result))
            {
                if (result == Publication.NOT_CONNECTED || ControlWriter.failedForGood(result))
                {
                    lost("the publication to it is no longer connected");
                }
                return sent;
            }
            final MutableDirectBuffer buffer = claim.buffer();
            pieceEncoder.wrapAndApplyHeader(buffer, claim.offset(), headerEncoder)
                .sessionToken(token)
                .taskId(taskId)
                .blockOffset(blockOffset[i] + sendOffset);
            final int dataAt = pieceEncoder.limit();
            buffer.putInt(dataAt, length, ByteOrder.LITTLE_ENDIAN);
            tensorBytes.wrap(address[i] + sendOffset, length);
            buffer.putBytes(dataAt + DataPieceEncoder.dataHeaderLength(), tensorBytes, 0, length);
            claim.commit();
            sendOffset += length;
            seekSend();
            sent++;
        }
        lastSentNs = nowNs;
        taskState = AWAIT_COMPLETION;
        return sent;
    }

    private void awaitCompletion() throws TaskExecutionException
    {
        if (handOff)
        {
            LaneConductor.awaiting(1);
        }
        try
        {
            int idleCount = 0;
            while (true)
            {
                nowNs = System.nanoTime();
                int work = subscription.poll(assembler, RemoteConfiguration.FRAGMENT_LIMIT);
                if (taskState == SEND_DATA)
                {
                    work += sendPieces();
                }
                if (taskState == TASK_DONE)
                {
                    break;
                }
                checkAlive();
                if (nowNs - lastSentNs >= heartbeatIntervalNs)
                {
                    heartbeat();
                }
                if (!handOff)
                {
                    // Busy-spin: this thread polls all the time.
                    idle.idle(work);
                }
                else if (work > 0)
                {
                    idleCount = 0;
                    idle.reset();
                }
                else if (idleCount < AWAIT_SPINS)
                {
                    idleCount++;
                    Thread.onSpinWait();
                }
                else if (LaneConductor.awaitingNow() > 1)
                {
                    // Several callers wait on their nodes: one thread, the conductor, polls all their lanes, and
                    // each caller sleeps until its own completion arrived, instead of each yielding and backing off
                    // by itself.
                    parkWhileConductorPolls();
                }
                else if (idleCount < AWAIT_SPINS + AWAIT_YIELDS)
                {
                    idleCount++;
                    Thread.yield();
                }
                else
                {
                    // A lone waiter polls its own lane: no hand-off between threads on the round trip.
                    idle.idle(0);
                }
            }
        }
        finally
        {
            if (handOff)
            {
                LaneConductor.awaiting(-1);
            }
            idle.reset();
        }
    }

    /**
     * Leave the lane to the conductor and park until it gives the lane back (the task is done, data must be sent,
     * the session is in trouble) or for at most {@link #PARKED_CHECK_NS}; the caller owns the lane again when this
     * returns.
     */
    private void parkWhileConductorPolls()
    {
        waiter = Thread.currentThread();
        owner.set(PARKED);
        LockSupport.parkNanos(this, PARKED_CHECK_NS);
        while (true)
        {
            final int state = owner.get();
            if (state == CALLER || (state == PARKED && owner.compareAndSet(PARKED, CALLER)))
            {
                break;
            }
            // The conductor is in the middle of one step on this lane.
            Thread.onSpinWait();
        }
        waiter = null;
    }

    /** Wait for room in the publication while sending, still hearing the node. */
    private void awaitRoom(final long result) throws TaskExecutionException
    {
        if (ControlWriter.failedForGood(result))
        {
            lost("its publication closed");
        }
        nowNs = System.nanoTime();
        final int work = subscription.poll(assembler, RemoteConfiguration.FRAGMENT_LIMIT);
        checkAlive();
        idle.idle(work);
    }

    /**
     * A thread that did not look at this lane for a while was starved itself: the node's silence over the gap is not
     * the node's.
     */
    private void creditStall()
    {
        final long gap = nowNs - lastCheckNs;
        if (gap > RemoteConfiguration.STALL_NS)
        {
            // Only what exceeds a normal wait is credited, so that a thread starved all the time still sees a dead
            // node's silence add up.
            lastHeardNs += gap - RemoteConfiguration.STALL_NS;
        }
        lastCheckNs = nowNs;
        if (nowNs - lastHeardNs > heartbeatIntervalNs && arrived())
        {
            // Bytes of the node arrived that this lane has not read yet (a heartbeat may wait behind them).
            lastHeardNs = nowNs;
        }
    }

    private boolean arrived()
    {
        if (arrivals == null)
        {
            if (subscription == null || subscription.imageCount() == 0)
            {
                return false;
            }
            arrivals = new ImageProgress(transport.aeron().countersReader(), subscription.imageAtIndex(0),
                subscription.streamId());
        }
        return arrivals.advanced();
    }

    private void checkAlive() throws TaskExecutionException
    {
        creditStall();
        if (closed)
        {
            disconnect("the RemoteWorker was closed");
            throw new TaskExecutionException(TaskExecutionException.RUN_FAILED, FunctionNames.describe(function)
                + " on " + nodeName + " was abandoned: the RemoteWorker was closed while it was in flight");
        }
        if (!connected)
        {
            final String why = endReason;
            disconnect(why);
            throw new TaskExecutionException(TaskExecutionException.RUN_FAILED, FunctionNames.describe(function)
                + " failed: " + nodeName + " ended the session while task " + taskId + " was in flight: " + why);
        }
        if (nowNs - lastHeardNs > heartbeatTimeoutNs)
        {
            lost("heard nothing for " + TimeUnit.NANOSECONDS.toMillis(nowNs - lastHeardNs) + " ms (heartbeat timeout "
                + TimeUnit.NANOSECONDS.toMillis(heartbeatTimeoutNs) + " ms)");
        }
    }

    private void lost(final String why) throws TaskExecutionException
    {
        disconnect(why);
        throw new TaskExecutionException(TaskExecutionException.RUN_FAILED, FunctionNames.describe(function)
            + " failed: " + nodeName + " stopped answering while task " + taskId + " was in flight: " + why);
    }

    // ------------------------------------------------------------------------------------------ messages

    private void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final int template = validator.validate(buffer, offset, length);
        if (template < 0)
        {
            drops.drop(DropReason.fromCode(template), header.sessionId());
            return;
        }
        final int body = offset + HEADER;
        switch (template)
        {
            case ChallengeDecoder.TEMPLATE_ID:
                if (handshakeState != AWAIT_CHALLENGE)
                {
                    drops.drop(DropReason.UNEXPECTED, header.sessionId());
                    return;
                }
                challengeDecoder.wrap(buffer, body, ChallengeDecoder.BLOCK_LENGTH, ChallengeDecoder.SCHEMA_VERSION)
                    .getNodeNonce(nodeNonce, 0, Handshake.DIGEST_LENGTH);
                handshakeState = GOT_CHALLENGE;
                return;
            case AdmitDecoder.TEMPLATE_ID:
                onAdmit(buffer, body, header);
                return;
            case RefuseDecoder.TEMPLATE_ID:
                onRefuse(buffer, body);
                return;
            default:
                break;
        }
        if (!connected)
        {
            drops.drop(DropReason.OUTSIDE_SESSION, header.sessionId());
            return;
        }
        if (buffer.getLong(body, ByteOrder.LITTLE_ENDIAN) != token)
        {
            drops.drop(DropReason.BAD_TOKEN, header.sessionId());
            return;
        }
        lastHeardNs = nowNs;
        switch (template)
        {
            case HeartbeatDecoder.TEMPLATE_ID:
                break;
            case DataGrantDecoder.TEMPLATE_ID:
                grantDecoder.wrap(buffer, body, DataGrantDecoder.BLOCK_LENGTH, DataGrantDecoder.SCHEMA_VERSION);
                if (taskState == AWAIT_GRANT && grantDecoder.taskId() == taskId)
                {
                    taskState = SEND_DATA;
                }
                else
                {
                    drops.drop(DropReason.UNEXPECTED, header.sessionId());
                }
                break;
            case DataPieceDecoder.TEMPLATE_ID:
                onDataPiece(buffer, body, header);
                break;
            case CompletionDecoder.TEMPLATE_ID:
                onCompletion(buffer, body, header);
                break;
            default:
                drops.drop(DropReason.UNEXPECTED, header.sessionId());
                break;
        }
    }

    private void onAdmit(final DirectBuffer buffer, final int body, final Header header)
    {
        if (handshakeState != AWAIT_ADMIT)
        {
            drops.drop(DropReason.UNEXPECTED, header.sessionId());
            return;
        }
        admitDecoder.wrap(buffer, body, AdmitDecoder.BLOCK_LENGTH, AdmitDecoder.SCHEMA_VERSION);
        final long offered = admitDecoder.sessionToken();
        admitDecoder.getNodeMac(nodeMac, 0, Handshake.DIGEST_LENGTH);
        handshake.nodeProof(clientNonce, nodeNonce, offered, proof);
        if (!Handshake.matches(proof, nodeMac))
        {
            handshakeState = NODE_UNPROVEN;
            return;
        }
        token = offered;
        heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(admitDecoder.heartbeatIntervalMs());
        heartbeatTimeoutNs = TimeUnit.MILLISECONDS.toNanos(admitDecoder.heartbeatTimeoutMs());
        maxTaskBytes = admitDecoder.maxTaskBytes();
        slotBytes = admitDecoder.slotBytes();
        handshakeState = ADMITTED;
    }

    private void onRefuse(final DirectBuffer buffer, final int body)
    {
        refuseDecoder.wrap(buffer, body, RefuseDecoder.BLOCK_LENGTH, RefuseDecoder.SCHEMA_VERSION);
        final String why = refuseDecoder.reason() + ": " + refuseDecoder.message();
        if (handshakeState == AWAIT_CHALLENGE || handshakeState == AWAIT_ADMIT)
        {
            refusedFull = refuseDecoder.reason() == RefuseReason.FULL;
            refusal = why;
            handshakeState = REFUSED;
        }
        else if (connected)
        {
            endReason = why;
            connected(false);
        }
    }

    private void onDataPiece(final DirectBuffer buffer, final int body, final Header header)
    {
        pieceDecoder.wrap(buffer, body, DataPieceDecoder.BLOCK_LENGTH, DataPieceDecoder.SCHEMA_VERSION);
        final long at = pieceDecoder.blockOffset();
        final int length = pieceDecoder.dataLength();
        final int i = receiveTensor;
        if (taskState != AWAIT_COMPLETION || pieceDecoder.taskId() != taskId || i >= tensorCount
            || at != blockOffset[i] + receiveOffset || length > nbytes[i] - receiveOffset)
        {
            drops.drop(DropReason.OUT_OF_ORDER, header.sessionId());
            protocolError("a data piece out of order (block offset " + at + ", " + length + " bytes)");
            return;
        }
        tensorBytes.wrap(address[i] + receiveOffset, length);
        tensorBytes.putBytes(0, buffer, pieceDecoder.limit() + DataPieceDecoder.dataHeaderLength(), length);
        receiveOffset += length;
        seekReceive();
    }

    private void onCompletion(final DirectBuffer buffer, final int body, final Header header)
    {
        final CompletionDecoder decoder = completionDecoder.wrap(buffer, body, CompletionDecoder.BLOCK_LENGTH,
            CompletionDecoder.SCHEMA_VERSION);
        if (taskState != AWAIT_COMPLETION || decoder.taskId() != taskId)
        {
            drops.drop(DropReason.UNEXPECTED, header.sessionId());
            return;
        }
        if (decoder.statusRaw() != 0)
        {
            taskFailed = true;
            taskErrorCode = decoder.errorCode();
            decoder.skipData();
            taskErrorMessage = decoder.errorMessage();
            taskState = TASK_DONE;
            return;
        }
        final boolean inline = decoder.dataInlineRaw() == 1;
        final int dataLength = decoder.dataLength();
        if (inline)
        {
            if (dataLength != fromNodeBytes || receiveTensor != firstReturning())
            {
                protocolError("a completion with " + dataLength + " bytes of outputs where " + fromNodeBytes
                    + " were due");
                return;
            }
            int from = decoder.limit() + CompletionDecoder.dataHeaderLength();
            for (int i = 0; i < tensorCount; i++)
            {
                if (!isNull[i] && TaskLayout.fromNode(tag[i]))
                {
                    tensorBytes.wrap(address[i], (int)nbytes[i]);
                    tensorBytes.putBytes(0, buffer, from, (int)nbytes[i]);
                    from += (int)nbytes[i];
                }
            }
        }
        else if (receiveTensor < tensorCount)
        {
            protocolError("a completion before all its outputs came");
            return;
        }
        taskState = TASK_DONE;
    }

    private int firstReturning()
    {
        int i = 0;
        while (i < tensorCount && (isNull[i] || !TaskLayout.fromNode(tag[i]) || nbytes[i] == 0))
        {
            i++;
        }
        return i;
    }

    /** The node broke the protocol: the task fails and the session ends, so the next task starts afresh. */
    private void protocolError(final String what)
    {
        taskFailed = true;
        taskErrorCode = TaskExecutionException.RUN_FAILED;
        taskErrorMessage = "protocol error: " + nodeName + " sent " + what;
        taskState = TASK_DONE;
        endReason = taskErrorMessage;
        connected(false);
    }
}
