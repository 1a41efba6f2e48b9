package dev.simpler.remote.node;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.remote.codec.ChallengeResponseDecoder;
import dev.simpler.remote.codec.DataPieceDecoder;
import dev.simpler.remote.codec.HeartbeatDecoder;
import dev.simpler.remote.codec.MessageHeaderDecoder;
import dev.simpler.remote.codec.RefuseReason;
import dev.simpler.remote.codec.SessionCloseDecoder;
import dev.simpler.remote.codec.SessionRequestDecoder;
import dev.simpler.remote.codec.TaskDecoder;
import dev.simpler.remote.transport.ControlWriter;
import dev.simpler.remote.transport.DropCounters;
import dev.simpler.remote.transport.DropReason;
import dev.simpler.remote.transport.Handshake;
import dev.simpler.remote.transport.ImageProgress;
import dev.simpler.remote.transport.HostAndPort;
import dev.simpler.remote.transport.MessageValidator;
import dev.simpler.remote.transport.RemoteConfiguration;
import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.Header;

/**
 * The node's conductor (SPEC §15): takes every message from the node's subscription, runs the handshakes, admits
 * sessions, keeps their heartbeats, reserves staging memory, places each task's data in it and hands complete tasks
 * to the {@link NodeRunner}; it frees a task's memory when the runner hands it back, and ends the sessions whose L4
 * fell silent. Messages outside an admitted session, and any that fails {@link MessageValidator}, are dropped and
 * counted.
 *
 * <p>Single writer: everything here belongs to the conductor's thread; the runner reads a session's publication and
 * token.
 */
final class NodeConductor implements Agent
{
    private static final int HEADER = MessageHeaderDecoder.ENCODED_LENGTH;
    private static final int NO_SEND = 0;
    private static final int SEND_CHALLENGE = 1;
    private static final int SEND_ADMIT = 2;
    private static final int SEND_REFUSE = 3;
    private static final long TIMER_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final String name;
    private final Aeron aeron;
    private final Subscription subscription;
    private final FragmentAssembler assembler = new FragmentAssembler(this::onFragment);
    private final MessageValidator validator = new MessageValidator();
    private final ControlWriter writer = new ControlWriter();
    private final Handshake handshake;
    private final DropCounters drops;
    private final NodeFault fault;
    private boolean brokenHandled;
    private final Int2ObjectHashMap<NodeSession> sessionsByImage = new Int2ObjectHashMap<>();
    private final ArrayList<NodeSession> sessions = new ArrayList<>();
    private final ArrayDeque<NodeSession> awaitingStaging = new ArrayDeque<>();
    private final OneToOneConcurrentArrayQueue<NodeTask> toRunner;
    private final OneToOneConcurrentArrayQueue<NodeTask> fromRunner;
    private final int maxSessions;
    private final long heartbeatIntervalNs;
    private final long heartbeatTimeoutNs;
    private final long handshakeTimeoutNs;

    private final UnsafeBuffer staging;
    private final long stagingBase;
    private final int[] freeSlots;
    private int freeSlotCount;
    private final StagingArena blocks;

    private final SessionRequestDecoder requestDecoder = new SessionRequestDecoder();
    private final ChallengeResponseDecoder responseDecoder = new ChallengeResponseDecoder();
    private final TaskDecoder taskDecoder = new TaskDecoder();
    private final DataPieceDecoder pieceDecoder = new DataPieceDecoder();
    private final byte[] mac = new byte[Handshake.DIGEST_LENGTH];
    private final byte[] expected = new byte[Handshake.DIGEST_LENGTH];

    private final AtomicLong admittedTotal = new AtomicLong();
    private final AtomicLong refusedTotal = new AtomicLong();
    private volatile int admittedNow;
    private volatile long stagingInUse;
    private int pendingHandshakes;
    private int pendingSends;
    private long nowNs;
    private long nextTimerNs;
    private long lastTimerNs = System.nanoTime();

    /**
     * A conductor.
     *
     * @param name         the node, for logs and messages ("node 127.0.0.1:40123").
     * @param aeron        the process's Aeron client.
     * @param subscription the node's subscription on its listen endpoint.
     * @param secret       the shared secret.
     * @param staging      the staging memory: {@code maxSessions} slots, then the blocks of large tasks.
     * @param maxSessions  sessions admitted at once.
     * @param toRunner     where complete tasks go.
     * @param fromRunner   where the runner gives finished tasks back.
     * @param drops        the node's drop counters.
     * @param fault        what breaks the node.
     */
    NodeConductor(
        final String name,
        final Aeron aeron,
        final Subscription subscription,
        final byte[] secret,
        final UnsafeBuffer staging,
        final int maxSessions,
        final OneToOneConcurrentArrayQueue<NodeTask> toRunner,
        final OneToOneConcurrentArrayQueue<NodeTask> fromRunner,
        final DropCounters drops,
        final NodeFault fault)
    {
        this.fault = fault;
        this.name = name;
        this.aeron = aeron;
        this.subscription = subscription;
        this.handshake = new Handshake(secret);
        this.staging = staging;
        this.stagingBase = staging.addressOffset();
        this.maxSessions = maxSessions;
        this.toRunner = toRunner;
        this.fromRunner = fromRunner;
        this.drops = drops;
        this.heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(RemoteConfiguration.HEARTBEAT_INTERVAL_MS);
        this.heartbeatTimeoutNs = TimeUnit.MILLISECONDS.toNanos(RemoteConfiguration.HEARTBEAT_TIMEOUT_MS);
        this.handshakeTimeoutNs = TimeUnit.MILLISECONDS.toNanos(RemoteConfiguration.HANDSHAKE_TIMEOUT_MS);
        final int slots = slotCount(maxSessions);
        this.freeSlots = new int[slots];
        for (int i = 0; i < slots; i++)
        {
            freeSlots[i] = slots - 1 - i;
        }
        this.freeSlotCount = slots;
        final long slotsBytes = (long)slots * RemoteConfiguration.SLOT_BYTES;
        this.blocks = new StagingArena(stagingBase + slotsBytes, staging.capacity() - slotsBytes, slots + 1);
    }

    /**
     * Staging slots of a node: two per session it admits, so that an ended session whose run has not finished yet
     * (its memory cannot be reused before) does not keep the next L4 out.
     *
     * @param maxSessions sessions admitted at once.
     * @return the slots.
     */
    static int slotCount(final int maxSessions)
    {
        return 2 * maxSessions;
    }

    /**
     * The most staging one task may need: all the blocks' memory.
     *
     * @return bytes.
     */
    long maxTaskBytes()
    {
        return blocks.capacity();
    }

    /**
     * Sessions admitted now.
     *
     * @return the count, read from any thread.
     */
    int admittedSessions()
    {
        return admittedNow;
    }

    /**
     * Staging bytes held now: the slots of the sessions not yet released and the blocks of large tasks.
     *
     * @return bytes, read from any thread.
     */
    long stagingInUse()
    {
        return stagingInUse;
    }

    /**
     * Sessions admitted since the node started.
     *
     * @return the count, read from any thread.
     */
    long admittedTotal()
    {
        return admittedTotal.get();
    }

    /**
     * Sessions refused since the node started (wrong secret, full, another protocol version).
     *
     * @return the count, read from any thread.
     */
    long refusedTotal()
    {
        return refusedTotal.get();
    }

    @Override
    public String roleName()
    {
        return "simpler-node-conductor";
    }

    @Override
    public int doWork()
    {
        nowNs = System.nanoTime();
        if (fault.isBroken() && !brokenHandled)
        {
            brokenHandled = true;
            endAllSessions();
        }
        int work = subscription.poll(assembler, RemoteConfiguration.FRAGMENT_LIMIT);
        work += drainReturned();
        if (pendingSends > 0)
        {
            work += sendPending();
        }
        if (!awaitingStaging.isEmpty())
        {
            work += serveAwaitingStaging();
        }
        if (nowNs - nextTimerNs >= 0)
        {
            nextTimerNs = nowNs + TIMER_INTERVAL_NS;
            work += onTimer();
            final long slotsInUse = freeSlots.length - freeSlotCount;
            stagingInUse = blocks.bytesInUse() + slotsInUse * RemoteConfiguration.SLOT_BYTES;
        }
        return work;
    }

    private void endAllSessions()
    {
        for (int i = sessions.size() - 1; i >= 0; i--)
        {
            final NodeSession session = sessions.get(i);
            if (session.state == NodeSession.ADMITTED)
            {
                closeSession(session, fault.reason(), RefuseReason.PROTOCOL);
            }
        }
    }

    @Override
    public void onClose()
    {
        for (int i = sessions.size() - 1; i >= 0; i--)
        {
            final NodeSession session = sessions.get(i);
            if (session.state == NodeSession.ADMITTED)
            {
                writer.refuse(session.publication, RefuseReason.CLOSING, name + " is shutting down");
            }
            session.open = false;
            CloseHelper.quietClose(session.publication);
        }
        sessions.clear();
        sessionsByImage.clear();
        CloseHelper.quietClose(subscription);
    }

    // ------------------------------------------------------------------------------------------ messages

    private void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final int imageId = header.sessionId();
        final int template = validator.validate(buffer, offset, length);
        if (template < 0)
        {
            drops.drop(DropReason.fromCode(template), imageId);
            return;
        }
        final NodeSession session = sessionsByImage.get(imageId);
        final int body = offset + HEADER;
        if (template == SessionRequestDecoder.TEMPLATE_ID)
        {
            onSessionRequest(buffer, body, imageId, session);
            return;
        }
        if (session == null)
        {
            drops.drop(DropReason.OUTSIDE_SESSION, imageId);
            return;
        }
        if (template == ChallengeResponseDecoder.TEMPLATE_ID)
        {
            onChallengeResponse(session, buffer, body);
            return;
        }
        if (session.state != NodeSession.ADMITTED)
        {
            drops.drop(DropReason.OUTSIDE_SESSION, imageId);
            return;
        }
        if (template != HeartbeatDecoder.TEMPLATE_ID && template != TaskDecoder.TEMPLATE_ID
            && template != DataPieceDecoder.TEMPLATE_ID && template != SessionCloseDecoder.TEMPLATE_ID)
        {
            drops.drop(DropReason.UNEXPECTED, imageId);
            return;
        }
        // Every message an L4 sends in a session starts with the session token.
        if (buffer.getLong(body, java.nio.ByteOrder.LITTLE_ENDIAN) != session.token)
        {
            drops.drop(DropReason.BAD_TOKEN, imageId);
            return;
        }
        session.lastHeardNs = nowNs;
        switch (template)
        {
            case TaskDecoder.TEMPLATE_ID:
                onTask(session, buffer, body);
                break;
            case DataPieceDecoder.TEMPLATE_ID:
                onDataPiece(session, buffer, body);
                break;
            case SessionCloseDecoder.TEMPLATE_ID:
                closeSession(session, "the L4 closed it", null);
                break;
            default:
                break;
        }
    }

    private void onSessionRequest(
        final DirectBuffer buffer, final int body, final int imageId, final NodeSession existing)
    {
        if (existing != null)
        {
            drops.drop(DropReason.UNEXPECTED, imageId);
            return;
        }
        if (pendingHandshakes >= RemoteConfiguration.MAX_PENDING_HANDSHAKES)
        {
            drops.drop(DropReason.HANDSHAKE_LIMIT, imageId);
            return;
        }
        requestDecoder.wrap(buffer, body, SessionRequestDecoder.BLOCK_LENGTH, SessionRequestDecoder.SCHEMA_VERSION);
        final Image image = subscription.imageBySessionId(imageId);
        final String host = image == null ? null : hostOf(image.sourceIdentity());
        if (host == null)
        {
            drops.drop(DropReason.BAD_ADDRESS, imageId);
            return;
        }
        final String peer = host.indexOf(':') >= 0 ? "[" + host + "]:" + requestDecoder.replyPort()
            : host + ":" + requestDecoder.replyPort();
        final Publication publication;
        try
        {
            // On the stream numbered by the L4 lane's session id: the lanes of an L4 process share one reply port,
            // and each subscribes to its own stream there.
            publication = aeron.addPublication(HostAndPort.parse(peer, "reply address").publicationChannel(),
                imageId);
        }
        catch (final RuntimeException ex)
        {
            drops.drop(DropReason.BAD_ADDRESS, imageId);
            return;
        }
        final NodeSession session = new NodeSession(imageId, peer, publication);
        requestDecoder.getClientNonce(session.clientNonce, 0, Handshake.DIGEST_LENGTH);
        Handshake.nonce(session.nodeNonce);
        session.handshakeDeadlineNs = nowNs + handshakeTimeoutNs;
        sessionsByImage.put(imageId, session);
        sessions.add(session);
        pendingHandshakes++;
        if (fault.isBroken())
        {
            refuse(session, RefuseReason.CLOSING, fault.reason());
            return;
        }
        if (requestDecoder.protocolVersion() != RemoteConfiguration.PROTOCOL_VERSION)
        {
            refuse(session, RefuseReason.UNSUPPORTED_VERSION, name + " speaks protocol version "
                + RemoteConfiguration.PROTOCOL_VERSION + ", the L4 asked for " + requestDecoder.protocolVersion());
            return;
        }
        queueSend(session, SEND_CHALLENGE);
    }

    private void onChallengeResponse(final NodeSession session, final DirectBuffer buffer, final int body)
    {
        if (session.state != NodeSession.AWAIT_RESPONSE)
        {
            drops.drop(DropReason.UNEXPECTED, session.imageSessionId);
            return;
        }
        responseDecoder.wrap(buffer, body, ChallengeResponseDecoder.BLOCK_LENGTH,
            ChallengeResponseDecoder.SCHEMA_VERSION);
        responseDecoder.getMac(mac, 0, Handshake.DIGEST_LENGTH);
        handshake.l4Proof(session.clientNonce, session.nodeNonce, expected);
        if (!Handshake.matches(expected, mac))
        {
            refuse(session, RefuseReason.BAD_SECRET, "wrong shared secret: " + name + " checked the L4's "
                + "HMAC-SHA256 answer to its challenge and it does not match; give the L4 the node's secret");
            return;
        }
        if (admittedNow >= maxSessions)
        {
            refuse(session, RefuseReason.FULL, name + " has " + admittedNow + " sessions, as many as it admits ("
                + "SimplerNode.Builder.maxSessions)");
            return;
        }
        if (freeSlotCount == 0)
        {
            refuse(session, RefuseReason.FULL, name + " has no staging slot free: ended sessions' runs still hold "
                + "them");
            return;
        }
        session.slot = stagingBase + (long)freeSlots[--freeSlotCount] * RemoteConfiguration.SLOT_BYTES;
        session.token = Handshake.token();
        handshake.nodeProof(session.clientNonce, session.nodeNonce, session.token, mac);
        pendingHandshakes--;
        admittedNow++;
        admittedTotal.incrementAndGet();
        session.state = NodeSession.ADMITTED;
        session.lastHeardNs = nowNs;
        session.lastHeartbeatNs = nowNs;
        final Image image = subscription.imageBySessionId(session.imageSessionId);
        if (image != null)
        {
            session.arrivals = new ImageProgress(aeron.countersReader(), image, RemoteConfiguration.REQUEST_STREAM_ID);
        }
        queueSend(session, SEND_ADMIT);
        System.err.println("simpler-remote: " + name + " admitted a session from " + session.peer);
    }

    private void onTask(final NodeSession session, final DirectBuffer buffer, final int body)
    {
        final NodeTask task = session.task;
        final TaskDecoder decoder = taskDecoder.wrap(buffer, body, TaskDecoder.BLOCK_LENGTH,
            TaskDecoder.SCHEMA_VERSION);
        if (task.state == NodeTask.WITH_RUNNER)
        {
            // The runner hands a task back before its completion goes out, so it is in the queue by now.
            drainReturned();
        }
        if (task.state != NodeTask.IDLE)
        {
            drops.drop(DropReason.UNEXPECTED, session.imageSessionId);
            writer.failure(session.publication, session.token, decoder.taskId(), 1, "protocol error: " + name
                + " received task " + decoder.taskId() + " while task " + task.taskId + " of the session is in "
                + "flight; a lane has one task in flight");
            return;
        }
        task.taskId = decoder.taskId();
        task.function = decoder.function();
        task.stagingBytes = decoder.stagingBytes();
        final boolean inline = decoder.dataInlineRaw() == 1;
        final TaskDecoder.TensorsDecoder tensors = decoder.tensors();
        task.tensorCount = tensors.count();
        for (int i = 0; i < task.tensorCount; i++)
        {
            tensors.next();
            task.blockOffset[i] = tensors.blockOffset();
            task.ndims[i] = tensors.ndims();
            task.dtype[i] = tensors.dtype();
            task.tag[i] = tensors.tag();
            task.isNull[i] = tensors.isNullRaw() == 1;
            long bytes = dev.simpler.engine.DataType.fromCode(task.dtype[i]).elementSize();
            for (int d = 0; d < task.shape[i].length; d++)
            {
                final int extent = (int)tensors.shape(d);
                task.shape[i][d] = extent;
                if (d < task.ndims[i])
                {
                    bytes *= extent;
                }
            }
            task.nbytes[i] = bytes;
        }
        final TaskDecoder.ScalarsDecoder scalars = decoder.scalars();
        task.scalarCount = scalars.count();
        for (int i = 0; i < task.scalarCount; i++)
        {
            task.scalars[i] = scalars.next().bits();
        }
        final int dataOffset = decoder.limit() + TaskDecoder.dataHeaderLength();

        if (task.stagingBytes <= RemoteConfiguration.SLOT_BYTES)
        {
            task.base = session.slot;
            task.inArena = false;
            begin(task, buffer, inline ? dataOffset : -1);
        }
        else if (inline)
        {
            fail(task, 1, "protocol error: task " + task.taskId + " carries its data inline but needs "
                + task.stagingBytes + " bytes of staging, more than a session's slot of "
                + RemoteConfiguration.SLOT_BYTES);
        }
        else if (task.stagingBytes > blocks.capacity())
        {
            fail(task, 1, "task " + task.taskId + " needs " + task.stagingBytes + " bytes of staging memory and "
                + name + " has " + blocks.capacity() + " (SimplerNode.Builder.stagingSize)");
        }
        else
        {
            // First come, first served: a task never overtakes one that waits for memory.
            final long address = awaitingStaging.isEmpty() ? blocks.allocate(task.stagingBytes) : -1;
            if (address < 0)
            {
                task.state = NodeTask.AWAITING_STAGING;
                awaitingStaging.add(session);
                return;
            }
            task.base = address;
            task.inArena = true;
            begin(task, buffer, -1);
        }
    }

    /**
     * A task has its staging: take its inline data, or grant it (a block of the arena) and wait for its pieces, or
     * run it when no bytes are to come.
     *
     * @param dataOffset where the inline data starts in {@code buffer}, or -1 when it has none.
     */
    private void begin(final NodeTask task, final DirectBuffer buffer, final int dataOffset)
    {
        task.beginInbound();
        if (dataOffset >= 0)
        {
            int source = dataOffset;
            while (task.inboundLeft > 0)
            {
                final int bytes = (int)task.nbytes[task.inTensor];
                staging.putBytes(stagingOffset(task, task.inTensor), buffer, source, bytes);
                source += bytes;
                task.inOffset = bytes;
                task.inboundLeft -= bytes;
                task.seekInbound();
            }
        }
        if (task.inboundLeft == 0)
        {
            dispatch(task);
            return;
        }
        task.state = NodeTask.RECEIVING;
        if (task.inArena)
        {
            task.grantPending = true;
            pendingSends++;
            sendGrant(task);
        }
    }

    private void onDataPiece(final NodeSession session, final DirectBuffer buffer, final int body)
    {
        final NodeTask task = session.task;
        final DataPieceDecoder decoder = pieceDecoder.wrap(buffer, body, DataPieceDecoder.BLOCK_LENGTH,
            DataPieceDecoder.SCHEMA_VERSION);
        if (task.state != NodeTask.RECEIVING || task.grantPending || decoder.taskId() != task.taskId)
        {
            drops.drop(DropReason.OUT_OF_ORDER, session.imageSessionId);
            return;
        }
        final long blockOffset = decoder.blockOffset();
        final int length = decoder.dataLength();
        final int i = task.inTensor;
        if (i >= task.tensorCount || blockOffset != task.blockOffset[i] + task.inOffset
            || length > task.nbytes[i] - task.inOffset)
        {
            drops.drop(DropReason.OUT_OF_ORDER, session.imageSessionId);
            fail(task, 1, "protocol error: " + name + " received a data piece of task " + task.taskId
                + " out of order (block offset " + blockOffset + ", " + length + " bytes)");
            return;
        }
        staging.putBytes(stagingOffset(task, i) + (int)task.inOffset, buffer,
            decoder.limit() + DataPieceDecoder.dataHeaderLength(), length);
        task.inOffset += length;
        task.inboundLeft -= length;
        task.seekInbound();
        if (task.inboundLeft == 0)
        {
            dispatch(task);
        }
    }

    // ------------------------------------------------------------------------------------------ tasks

    private int stagingOffset(final NodeTask task, final int tensor)
    {
        return (int)(task.base - stagingBase + task.blockOffset[tensor]);
    }

    private void dispatch(final NodeTask task)
    {
        task.state = NodeTask.WITH_RUNNER;
        if (!toRunner.offer(task))
        {
            throw new IllegalStateException("the runner's queue is full: it holds a task per session at most");
        }
    }

    /** Fail a task without running it: the runner sends the failure, so that completions have one sender. */
    private void fail(final NodeTask task, final int errorCode, final String message)
    {
        task.failed = true;
        task.errorCode = errorCode;
        task.errorMessage = message;
        if (task.grantPending)
        {
            task.grantPending = false;
            pendingSends--;
        }
        dispatch(task);
    }

    private int drainReturned()
    {
        int drained = 0;
        NodeTask returned;
        while ((returned = fromRunner.poll()) != null)
        {
            onTaskReturned(returned);
            drained++;
        }
        return drained;
    }

    private void onTaskReturned(final NodeTask task)
    {
        if (task.inArena)
        {
            blocks.free(task.base);
            task.inArena = false;
        }
        task.reset();
        final NodeSession session = task.session;
        if (session.state == NodeSession.CLOSING)
        {
            release(session);
        }
    }

    private int serveAwaitingStaging()
    {
        int served = 0;
        NodeSession session;
        while ((session = awaitingStaging.peek()) != null)
        {
            final NodeTask task = session.task;
            final long address = blocks.allocate(task.stagingBytes);
            if (address < 0)
            {
                break;
            }
            awaitingStaging.poll();
            task.base = address;
            task.inArena = true;
            begin(task, null, -1);
            served++;
        }
        return served;
    }

    private void sendGrant(final NodeTask task)
    {
        final NodeSession session = task.session;
        final long result = writer.dataGrant(session.publication, session.token, task.taskId);
        if (ControlWriter.sent(result))
        {
            task.grantPending = false;
            pendingSends--;
        }
    }

    // ------------------------------------------------------------------------------------------ sessions

    private void queueSend(final NodeSession session, final int what)
    {
        if (session.pendingSend == NO_SEND)
        {
            pendingSends++;
        }
        session.pendingSend = what;
        sendPending(session);
    }

    private void refuse(final NodeSession session, final RefuseReason reason, final String message)
    {
        refusedTotal.incrementAndGet();
        session.refuseReason = reason;
        session.refuseMessage = message;
        System.err.println("simpler-remote: " + name + " refused a session from " + session.peer + ": " + message);
        queueSend(session, SEND_REFUSE);
    }

    private int sendPending()
    {
        int sent = 0;
        for (int i = sessions.size() - 1; i >= 0; i--)
        {
            final NodeSession session = sessions.get(i);
            if (session.pendingSend != NO_SEND)
            {
                sent += sendPending(session);
            }
            if (session.task.grantPending)
            {
                sendGrant(session.task);
                sent += session.task.grantPending ? 0 : 1;
            }
        }
        return sent;
    }

    private int sendPending(final NodeSession session)
    {
        final long result;
        switch (session.pendingSend)
        {
            case SEND_CHALLENGE:
                result = writer.challenge(session.publication, session.nodeNonce);
                break;
            case SEND_ADMIT:
                result = writer.admit(session.publication, session.token,
                    (int)RemoteConfiguration.HEARTBEAT_INTERVAL_MS, (int)RemoteConfiguration.HEARTBEAT_TIMEOUT_MS,
                    blocks.capacity(), RemoteConfiguration.SLOT_BYTES, mac);
                break;
            case SEND_REFUSE:
                result = writer.refuse(session.publication, session.refuseReason, session.refuseMessage);
                break;
            default:
                return 0;
        }
        if (!ControlWriter.sent(result))
        {
            return 0;
        }
        final int what = session.pendingSend;
        session.pendingSend = NO_SEND;
        pendingSends--;
        if (what == SEND_CHALLENGE)
        {
            session.state = NodeSession.AWAIT_RESPONSE;
        }
        else if (what == SEND_REFUSE)
        {
            closeSession(session, "refused", null);
        }
        return 1;
    }

    private int onTimer()
    {
        // A conductor that did not run for a while was starved itself: its peers' silence over the gap is not theirs.
        // Only what exceeds a normal wait is credited, so that a silence still adds up under constant starvation.
        final long stall = Math.max(0, nowNs - lastTimerNs - RemoteConfiguration.STALL_NS);
        lastTimerNs = nowNs;
        int work = 0;
        for (int i = sessions.size() - 1; i >= 0; i--)
        {
            final NodeSession session = sessions.get(i);
            if (session.state == NodeSession.ADMITTED)
            {
                session.lastHeardNs += stall;
                if (nowNs - session.lastHeardNs > heartbeatIntervalNs && session.arrivals != null
                    && session.arrivals.advanced())
                {
                    // Bytes of the L4 arrived that this node has not read yet (a heartbeat may wait behind them).
                    session.lastHeardNs = nowNs;
                }
                if (nowNs - session.lastHeardNs > heartbeatTimeoutNs)
                {
                    closeSession(session, "the L4 sent nothing for " + RemoteConfiguration.HEARTBEAT_TIMEOUT_MS
                        + " ms (heartbeat timeout)", RefuseReason.PROTOCOL);
                    work++;
                }
                else if (nowNs - session.lastHeartbeatNs >= heartbeatIntervalNs)
                {
                    if (ControlWriter.sent(writer.heartbeat(session.publication, session.token)))
                    {
                        session.lastHeartbeatNs = nowNs;
                    }
                    work++;
                }
            }
            else if (session.state != NodeSession.CLOSING && nowNs - session.handshakeDeadlineNs > 0)
            {
                closeSession(session, "its handshake did not finish within "
                    + RemoteConfiguration.HANDSHAKE_TIMEOUT_MS + " ms", null);
                work++;
            }
        }
        return work;
    }

    /**
     * End a session: its work is dropped and its memory freed now, or when the runner gives its task back.
     *
     * @param tell when not null, the reason the L4 is told, if it is still there to hear it.
     */
    private void closeSession(final NodeSession session, final String why, final RefuseReason tell)
    {
        if (session.state == NodeSession.CLOSING)
        {
            return;
        }
        if (session.state == NodeSession.ADMITTED)
        {
            admittedNow--;
            if (tell != null)
            {
                writer.refuse(session.publication, tell, name + " ended the session: " + why);
            }
            System.err.println("simpler-remote: " + name + " ended the session from " + session.peer + ": " + why);
        }
        else
        {
            pendingHandshakes--;
        }
        if (session.pendingSend != NO_SEND)
        {
            session.pendingSend = NO_SEND;
            pendingSends--;
        }
        if (session.task.grantPending)
        {
            session.task.grantPending = false;
            pendingSends--;
        }
        session.state = NodeSession.CLOSING;
        session.open = false;
        session.closeReason = why;
        awaitingStaging.remove(session);
        if (session.task.state != NodeTask.WITH_RUNNER)
        {
            if (session.task.inArena)
            {
                blocks.free(session.task.base);
                session.task.inArena = false;
            }
            session.task.reset();
            release(session);
        }
    }

    private void release(final NodeSession session)
    {
        if (session.slot != 0)
        {
            freeSlots[freeSlotCount++] = (int)((session.slot - stagingBase) / RemoteConfiguration.SLOT_BYTES);
            session.slot = 0;
        }
        CloseHelper.quietClose(session.publication);
        sessionsByImage.remove(session.imageSessionId);
        sessions.remove(session);
    }

    /**
     * The host of an Aeron source identity, {@code host:port} or {@code [v6]:port}.
     *
     * @param sourceIdentity the identity.
     * @return the host, without brackets, or null when it cannot be read.
     */
    static String hostOf(final String sourceIdentity)
    {
        if (sourceIdentity == null)
        {
            return null;
        }
        final int colon = sourceIdentity.lastIndexOf(':');
        if (colon <= 0)
        {
            return null;
        }
        String host = sourceIdentity.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        return host.isEmpty() ? null : host;
    }
}
