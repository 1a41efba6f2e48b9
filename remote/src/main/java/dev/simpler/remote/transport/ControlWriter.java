package dev.simpler.remote.transport;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.agrona.MutableDirectBuffer;

import dev.simpler.remote.codec.AdmitEncoder;
import dev.simpler.remote.codec.BooleanType;
import dev.simpler.remote.codec.ChallengeEncoder;
import dev.simpler.remote.codec.ChallengeResponseEncoder;
import dev.simpler.remote.codec.CompletionEncoder;
import dev.simpler.remote.codec.DataGrantEncoder;
import dev.simpler.remote.codec.HeartbeatEncoder;
import dev.simpler.remote.codec.MessageHeaderEncoder;
import dev.simpler.remote.codec.RefuseEncoder;
import dev.simpler.remote.codec.RefuseReason;
import dev.simpler.remote.codec.SessionCloseEncoder;
import dev.simpler.remote.codec.SessionRequestEncoder;
import dev.simpler.remote.codec.TaskStatus;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;

/**
 * Writes the small messages of a session (handshake, heartbeat, grant, close, a failure without data) straight into
 * a publication's term with {@code tryClaim}: each is a single frame, and nothing is allocated. Every method returns
 * what {@code tryClaim} returned: the new position when the message went out, or Aeron's negative reason (not
 * connected, back pressure, closed) when it did not, for the caller to retry or give up.
 *
 * <p>An instance belongs to one thread.
 */
public final class ControlWriter
{
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;
    private static final byte[] EMPTY = new byte[0];

    private final BufferClaim claim = new BufferClaim();
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final SessionRequestEncoder sessionRequest = new SessionRequestEncoder();
    private final ChallengeEncoder challenge = new ChallengeEncoder();
    private final ChallengeResponseEncoder challengeResponse = new ChallengeResponseEncoder();
    private final AdmitEncoder admit = new AdmitEncoder();
    private final RefuseEncoder refuse = new RefuseEncoder();
    private final HeartbeatEncoder heartbeat = new HeartbeatEncoder();
    private final DataGrantEncoder dataGrant = new DataGrantEncoder();
    private final SessionCloseEncoder sessionClose = new SessionCloseEncoder();
    private final CompletionEncoder completion = new CompletionEncoder();

    /**
     * Whether a publication call sent its message.
     *
     * @param result what {@code tryClaim} or {@code offer} returned.
     * @return true when positive.
     */
    public static boolean sent(final long result)
    {
        return result > 0;
    }

    /**
     * Whether a publication call failed for good: the publication is closed, or its peer is gone.
     *
     * @param result what {@code tryClaim} or {@code offer} returned.
     * @return true for CLOSED and MAX_POSITION_EXCEEDED.
     */
    public static boolean failedForGood(final long result)
    {
        return result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED;
    }

    /**
     * L4: ask for a session.
     *
     * @param publication to the node.
     * @param replyPort   the UDP port of the lane's reply subscription.
     * @param clientNonce the L4's nonce.
     * @return the claim result.
     */
    public long sessionRequest(final Publication publication, final int replyPort, final byte[] clientNonce)
    {
        final long result = publication.tryClaim(HEADER + SessionRequestEncoder.BLOCK_LENGTH, claim);
        if (result > 0)
        {
            sessionRequest.wrapAndApplyHeader(claim.buffer(), claim.offset(), header)
                .protocolVersion(RemoteConfiguration.PROTOCOL_VERSION)
                .replyPort(replyPort)
                .putClientNonce(clientNonce, 0, Handshake.DIGEST_LENGTH);
            claim.commit();
        }
        return result;
    }

    /**
     * Node: challenge the L4.
     *
     * @param publication to the L4.
     * @param nodeNonce   the node's nonce.
     * @return the claim result.
     */
    public long challenge(final Publication publication, final byte[] nodeNonce)
    {
        final long result = publication.tryClaim(HEADER + ChallengeEncoder.BLOCK_LENGTH, claim);
        if (result > 0)
        {
            challenge.wrapAndApplyHeader(claim.buffer(), claim.offset(), header)
                .putNodeNonce(nodeNonce, 0, Handshake.DIGEST_LENGTH);
            claim.commit();
        }
        return result;
    }

    /**
     * L4: answer the challenge.
     *
     * @param publication to the node.
     * @param mac         the L4's proof.
     * @return the claim result.
     */
    public long challengeResponse(final Publication publication, final byte[] mac)
    {
        final long result = publication.tryClaim(HEADER + ChallengeResponseEncoder.BLOCK_LENGTH, claim);
        if (result > 0)
        {
            challengeResponse.wrapAndApplyHeader(claim.buffer(), claim.offset(), header)
                .putMac(mac, 0, Handshake.DIGEST_LENGTH);
            claim.commit();
        }
        return result;
    }

    /**
     * Node: admit the session.
     *
     * @param publication         to the L4.
     * @param token               the session token.
     * @param heartbeatIntervalMs how often each side sends a heartbeat.
     * @param heartbeatTimeoutMs  silence after which a side is dead.
     * @param maxTaskBytes        the most staging one task may need.
     * @param slotBytes           a task needing no more is not granted.
     * @param nodeMac             the node's proof.
     * @return the claim result.
     */
    public long admit(
        final Publication publication,
        final long token,
        final int heartbeatIntervalMs,
        final int heartbeatTimeoutMs,
        final long maxTaskBytes,
        final int slotBytes,
        final byte[] nodeMac)
    {
        final long result = publication.tryClaim(HEADER + AdmitEncoder.BLOCK_LENGTH, claim);
        if (result > 0)
        {
            admit.wrapAndApplyHeader(claim.buffer(), claim.offset(), header)
                .sessionToken(token)
                .heartbeatIntervalMs(heartbeatIntervalMs)
                .heartbeatTimeoutMs(heartbeatTimeoutMs)
                .maxTaskBytes(maxTaskBytes)
                .slotBytes(slotBytes)
                .putNodeMac(nodeMac, 0, Handshake.DIGEST_LENGTH);
            claim.commit();
        }
        return result;
    }

    /**
     * Node: refuse a session, or end one.
     *
     * @param publication to the L4.
     * @param reason      why.
     * @param message     what the L4's user reads, cut to {@link RemoteConfiguration#MAX_REFUSE_MESSAGE_BYTES}.
     * @return the claim result.
     */
    public long refuse(final Publication publication, final RefuseReason reason, final String message)
    {
        final byte[] text = utf8(message, RemoteConfiguration.MAX_REFUSE_MESSAGE_BYTES);
        final long result = publication.tryClaim(HEADER + RefuseEncoder.BLOCK_LENGTH + 4 + text.length, claim);
        if (result > 0)
        {
            refuse.wrapAndApplyHeader(claim.buffer(), claim.offset(), header)
                .reason(reason)
                .putMessage(text, 0, text.length);
            claim.commit();
        }
        return result;
    }

    /**
     * Either side: a heartbeat.
     *
     * @param publication to the peer.
     * @param token       the session token.
     * @return the claim result.
     */
    public long heartbeat(final Publication publication, final long token)
    {
        final long result = publication.tryClaim(HEADER + HeartbeatEncoder.BLOCK_LENGTH, claim);
        if (result > 0)
        {
            heartbeat.wrapAndApplyHeader(claim.buffer(), claim.offset(), header).sessionToken(token);
            claim.commit();
        }
        return result;
    }

    /**
     * Node: the staging of a large task is reserved.
     *
     * @param publication to the L4.
     * @param token       the session token.
     * @param taskId      the task.
     * @return the claim result.
     */
    public long dataGrant(final Publication publication, final long token, final long taskId)
    {
        final long result = publication.tryClaim(HEADER + DataGrantEncoder.BLOCK_LENGTH, claim);
        if (result > 0)
        {
            dataGrant.wrapAndApplyHeader(claim.buffer(), claim.offset(), header).sessionToken(token).taskId(taskId);
            claim.commit();
        }
        return result;
    }

    /**
     * L4: the session ends.
     *
     * @param publication to the node.
     * @param token       the session token.
     * @return the claim result.
     */
    public long sessionClose(final Publication publication, final long token)
    {
        final long result = publication.tryClaim(HEADER + SessionCloseEncoder.BLOCK_LENGTH, claim);
        if (result > 0)
        {
            sessionClose.wrapAndApplyHeader(claim.buffer(), claim.offset(), header).sessionToken(token);
            claim.commit();
        }
        return result;
    }

    /**
     * Node: a task failed; no data comes back.
     *
     * @param publication to the L4.
     * @param token       the session token.
     * @param taskId      the task.
     * @param errorCode   its error code (SPEC §11).
     * @param message     the failure's text, cut to {@link RemoteConfiguration#MAX_ERROR_MESSAGE_BYTES}.
     * @return the claim result.
     */
    public long failure(
        final Publication publication, final long token, final long taskId, final int errorCode, final String message)
    {
        final byte[] text = utf8(message, RemoteConfiguration.MAX_ERROR_MESSAGE_BYTES);
        final int length = HEADER + CompletionEncoder.BLOCK_LENGTH + 4 + 4 + text.length;
        final long result = publication.tryClaim(length, claim);
        if (result > 0)
        {
            final MutableDirectBuffer buffer = claim.buffer();
            completion.wrapAndApplyHeader(buffer, claim.offset(), header)
                .sessionToken(token)
                .taskId(taskId)
                .status(TaskStatus.FAILED)
                .errorCode(errorCode)
                .dataInline(BooleanType.FALSE)
                .putData(EMPTY, 0, 0)
                .putErrorMessage(text, 0, text.length);
            claim.commit();
        }
        return result;
    }

    /**
     * A text as UTF-8, cut to a number of bytes on a character boundary.
     *
     * @param text     the text, null read as empty.
     * @param maxBytes the most bytes.
     * @return the bytes.
     */
    public static byte[] utf8(final String text, final int maxBytes)
    {
        final byte[] bytes = (text == null ? "" : text).getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= maxBytes)
        {
            return bytes;
        }
        int cut = maxBytes;
        while (cut > 0 && (bytes[cut] & 0xc0) == 0x80)
        {
            cut--;
        }
        return Arrays.copyOf(bytes, cut);
    }
}
