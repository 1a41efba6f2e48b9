package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.DataType;
import dev.simpler.remote.codec.AdmitDecoder;
import dev.simpler.remote.codec.ChallengeDecoder;
import dev.simpler.remote.codec.ChallengeResponseDecoder;
import dev.simpler.remote.codec.CompletionDecoder;
import dev.simpler.remote.codec.DataGrantDecoder;
import dev.simpler.remote.codec.DataPieceDecoder;
import dev.simpler.remote.codec.HeartbeatDecoder;
import dev.simpler.remote.codec.MessageHeaderDecoder;
import dev.simpler.remote.codec.RefuseDecoder;
import dev.simpler.remote.codec.SessionCloseDecoder;
import dev.simpler.remote.codec.SessionRequestDecoder;
import dev.simpler.remote.codec.TaskDecoder;
import dev.simpler.remote.transport.MessageValidator;
import dev.simpler.remote.transport.TaskLayout;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.constraints.Size;

/**
 * Fuzzing of every decoder (SPEC §15: every decoder checks bounds; SPEC §11: a malformed or truncated message is
 * dropped, never a crash). Each property feeds {@link MessageValidator} — the gate in front of the generated decoders
 * on both the node and the L4 side — with arbitrary, truncated, extended or mutated messages of every type; it must
 * never throw, and a message it accepts must then decode completely with the generated decoders, every field within
 * the message's own bytes, and satisfy the protocol's rules checked here independently.
 *
 * <p>Tries: {@code jqwik.tries.default}, 2000 per property in {@code mvn verify}. The long run of at least a million
 * inputs: {@code mvn -pl remote -am verify -Dfuzz.tries=1000000 -Dtest=MessageValidatorPropertyTest
 * -Dsurefire.failIfNoSpecifiedTests=false} (README, "Fuzzing the decoders").
 */
class MessageValidatorPropertyTest
{
    private static final AtomicLong INPUTS = new AtomicLong();

    private final MessageValidator validator = new MessageValidator();

    @AfterContainer
    static void reportInputs()
    {
        System.out.println("MessageValidatorPropertyTest: " + INPUTS.get() + " inputs checked");
    }

    @Property
    void arbitraryBytesAreDroppedOrDecodeWithinTheirBounds(@ForAll @Size(max = 600) final byte[] bytes)
    {
        check(bytes);
    }

    @Property
    void arbitraryBytesBehindAValidHeaderAreDroppedOrDecodeWithinTheirBounds(
        @ForAll @IntRange(min = 1, max = MessageFixtures.TEMPLATES) final int template,
        @ForAll @Size(max = 600) final byte[] body,
        @ForAll final long seed)
    {
        final byte[] valid = MessageFixtures.message(template, new Random(seed));
        final byte[] bytes = Arrays.copyOf(valid, MessageHeaderDecoder.ENCODED_LENGTH + body.length);
        System.arraycopy(body, 0, bytes, MessageHeaderDecoder.ENCODED_LENGTH, body.length);
        check(bytes);
    }

    @Property
    void wellFormedMessagesOfEveryTypeAreAccepted(
        @ForAll @IntRange(min = 1, max = MessageFixtures.TEMPLATES) final int template, @ForAll final long seed)
    {
        final byte[] bytes = MessageFixtures.message(template, new Random(seed));
        assertEquals(template, check(bytes), "a well-formed message of template " + template);
    }

    @Property
    void everyTruncationOfAMessageIsDropped(
        @ForAll @IntRange(min = 1, max = MessageFixtures.TEMPLATES) final int template,
        @ForAll final long seed,
        @ForAll @IntRange(min = 1, max = 10_000) final int cut)
    {
        final byte[] valid = MessageFixtures.message(template, new Random(seed));
        final byte[] truncated = Arrays.copyOf(valid, Math.max(0, valid.length - cut));
        assertTrue(check(truncated) < 0, "a truncated message of template " + template + " was accepted");
    }

    @Property
    void bytesAfterTheLastFieldAreDropped(
        @ForAll @IntRange(min = 1, max = MessageFixtures.TEMPLATES) final int template,
        @ForAll final long seed,
        @ForAll @Size(min = 1, max = 64) final byte[] tail)
    {
        final byte[] valid = MessageFixtures.message(template, new Random(seed));
        final byte[] extended = Arrays.copyOf(valid, valid.length + tail.length);
        System.arraycopy(tail, 0, extended, valid.length, tail.length);
        assertTrue(check(extended) < 0, "a message of template " + template + " with trailing bytes was accepted");
    }

    @Property
    void mutatedMessagesAreDroppedOrDecodeWithinTheirBounds(
        @ForAll @IntRange(min = 1, max = MessageFixtures.TEMPLATES) final int template,
        @ForAll final long seed,
        @ForAll @Size(min = 1, max = 8) final int[] positions,
        @ForAll @Size(min = 8, max = 8) final byte[] values)
    {
        final byte[] bytes = MessageFixtures.message(template, new Random(seed));
        for (int i = 0; i < positions.length; i++)
        {
            bytes[Math.floorMod(positions[i], bytes.length)] = values[i];
        }
        check(bytes);
    }

    /**
     * Validate a message, and when it is accepted decode all of it from a buffer of exactly its length (a read
     * outside it throws) and check the protocol's rules.
     *
     * @return the validation result.
     */
    private int check(final byte[] bytes)
    {
        INPUTS.incrementAndGet();
        final UnsafeBuffer exact = new UnsafeBuffer(bytes);
        final int result = validator.validate(exact, 0, bytes.length);
        if (result > 0)
        {
            final int end = decodeAll(exact, result);
            assertEquals(bytes.length, end, "template " + result + " decoded to its last byte");
        }
        return result;
    }

    /** Decode every field of an accepted message; returns where it ends. */
    private static int decodeAll(final UnsafeBuffer buffer, final int template)
    {
        final int body = MessageHeaderDecoder.ENCODED_LENGTH;
        final byte[] digest = new byte[32];
        switch (template)
        {
            case SessionRequestDecoder.TEMPLATE_ID:
            {
                final SessionRequestDecoder d = new SessionRequestDecoder().wrap(buffer, body,
                    SessionRequestDecoder.BLOCK_LENGTH, 1);
                assertTrue(d.replyPort() > 0);
                d.protocolVersion();
                d.getClientNonce(digest, 0, 32);
                return d.limit();
            }
            case ChallengeDecoder.TEMPLATE_ID:
            {
                final ChallengeDecoder d = new ChallengeDecoder().wrap(buffer, body, ChallengeDecoder.BLOCK_LENGTH, 1);
                d.getNodeNonce(digest, 0, 32);
                return d.limit();
            }
            case ChallengeResponseDecoder.TEMPLATE_ID:
            {
                final ChallengeResponseDecoder d = new ChallengeResponseDecoder().wrap(buffer, body,
                    ChallengeResponseDecoder.BLOCK_LENGTH, 1);
                d.getMac(digest, 0, 32);
                return d.limit();
            }
            case AdmitDecoder.TEMPLATE_ID:
            {
                final AdmitDecoder d = new AdmitDecoder().wrap(buffer, body, AdmitDecoder.BLOCK_LENGTH, 1);
                d.sessionToken();
                assertTrue(d.heartbeatIntervalMs() > 0 && d.heartbeatTimeoutMs() > d.heartbeatIntervalMs());
                assertTrue(d.maxTaskBytes() >= 0 && d.slotBytes() >= 0);
                d.getNodeMac(digest, 0, 32);
                return d.limit();
            }
            case RefuseDecoder.TEMPLATE_ID:
            {
                final RefuseDecoder d = new RefuseDecoder().wrap(buffer, body, RefuseDecoder.BLOCK_LENGTH, 1);
                assertTrue(d.reason() != null && d.reasonRaw() >= 1 && d.reasonRaw() <= 5);
                d.message();
                return d.limit();
            }
            case HeartbeatDecoder.TEMPLATE_ID:
            {
                final HeartbeatDecoder d = new HeartbeatDecoder().wrap(buffer, body, HeartbeatDecoder.BLOCK_LENGTH, 1);
                d.sessionToken();
                return d.limit();
            }
            case TaskDecoder.TEMPLATE_ID:
                return decodeTask(buffer, body);
            case DataGrantDecoder.TEMPLATE_ID:
            {
                final DataGrantDecoder d = new DataGrantDecoder().wrap(buffer, body, DataGrantDecoder.BLOCK_LENGTH, 1);
                d.sessionToken();
                d.taskId();
                return d.limit();
            }
            case DataPieceDecoder.TEMPLATE_ID:
            {
                final DataPieceDecoder d = new DataPieceDecoder().wrap(buffer, body, DataPieceDecoder.BLOCK_LENGTH, 1);
                d.sessionToken();
                d.taskId();
                assertTrue(d.blockOffset() >= 0);
                final byte[] data = new byte[d.dataLength()];
                assertTrue(data.length > 0);
                d.getData(data, 0, data.length);
                return d.limit();
            }
            case CompletionDecoder.TEMPLATE_ID:
            {
                final CompletionDecoder d = new CompletionDecoder().wrap(buffer, body,
                    CompletionDecoder.BLOCK_LENGTH, 1);
                d.sessionToken();
                d.taskId();
                assertTrue(d.statusRaw() <= 1 && d.dataInlineRaw() <= 1);
                d.errorCode();
                final byte[] data = new byte[d.dataLength()];
                assertTrue(data.length == 0 || d.statusRaw() == 0 && d.dataInlineRaw() == 1);
                d.getData(data, 0, data.length);
                d.errorMessage();
                return d.limit();
            }
            case SessionCloseDecoder.TEMPLATE_ID:
            {
                final SessionCloseDecoder d = new SessionCloseDecoder().wrap(buffer, body,
                    SessionCloseDecoder.BLOCK_LENGTH, 1);
                d.sessionToken();
                return d.limit();
            }
            default:
                throw new AssertionError("accepted an unknown template " + template);
        }
    }

    /** Decode a task and check its tensors lie in its block and its inline data has the right length. */
    private static int decodeTask(final UnsafeBuffer buffer, final int body)
    {
        final TaskDecoder d = new TaskDecoder().wrap(buffer, body, TaskDecoder.BLOCK_LENGTH, 1);
        d.sessionToken();
        d.taskId();
        d.function();
        d.blockDim();
        d.aicpuThreadNum();
        d.flags().enableProfiling();
        assertTrue(d.dataInlineRaw() <= 1);
        final long staging = d.stagingBytes();
        assertTrue(staging >= 0 && staging <= MessageValidator.MAX_BLOCK_BYTES);
        long inbound = 0;
        final TaskDecoder.TensorsDecoder tensors = d.tensors();
        assertTrue(tensors.count() <= 256);
        while (tensors.hasNext())
        {
            tensors.next();
            final int ndims = tensors.ndims();
            assertTrue(ndims >= 1 && ndims <= 5, "ndims " + ndims);
            assertTrue(tensors.tag() < 5 && tensors.dtype() < DataType.values().length);
            assertTrue(tensors.isNullRaw() <= 1);
            long bytes = DataType.fromCode(tensors.dtype()).elementSize();
            for (int dim = 0; dim < 5; dim++)
            {
                final long extent = tensors.shape(dim);
                assertTrue(dim < ndims ? extent <= Integer.MAX_VALUE : extent == 0, "dim " + dim);
                if (dim < ndims)
                {
                    bytes = Math.multiplyExact(bytes, extent);
                }
            }
            if (tensors.isNullRaw() == 1)
            {
                assertEquals(0, tensors.blockOffset());
                continue;
            }
            final long offset = tensors.blockOffset();
            assertTrue(offset >= 0 && offset % 64 == 0 && offset + bytes <= staging,
                "tensor at " + offset + " of " + bytes + " bytes in a block of " + staging);
            if (TaskLayout.toNode(tensors.tag()))
            {
                inbound += bytes;
            }
        }
        final TaskDecoder.ScalarsDecoder scalars = d.scalars();
        assertTrue(scalars.count() <= 1024);
        while (scalars.hasNext())
        {
            scalars.next().bits();
        }
        final byte[] data = new byte[d.dataLength()];
        assertEquals(d.dataInlineRaw() == 1 ? inbound : 0, data.length);
        d.getData(data, 0, data.length);
        return d.limit();
    }
}
