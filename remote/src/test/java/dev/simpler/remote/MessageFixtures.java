package dev.simpler.remote;

import java.util.Arrays;
import java.util.Random;

import org.agrona.ExpandableArrayBuffer;

import dev.simpler.engine.DataType;
import dev.simpler.remote.codec.AdmitEncoder;
import dev.simpler.remote.codec.BooleanType;
import dev.simpler.remote.codec.ChallengeEncoder;
import dev.simpler.remote.codec.ChallengeResponseEncoder;
import dev.simpler.remote.codec.CompletionEncoder;
import dev.simpler.remote.codec.DataGrantEncoder;
import dev.simpler.remote.codec.DataPieceEncoder;
import dev.simpler.remote.codec.HeartbeatEncoder;
import dev.simpler.remote.codec.MessageHeaderEncoder;
import dev.simpler.remote.codec.RefuseEncoder;
import dev.simpler.remote.codec.RefuseReason;
import dev.simpler.remote.codec.SessionCloseEncoder;
import dev.simpler.remote.codec.SessionRequestEncoder;
import dev.simpler.remote.codec.TaskEncoder;
import dev.simpler.remote.codec.TaskStatus;
import dev.simpler.remote.transport.TaskLayout;

/**
 * Well-formed messages of every type, with random field values, encoded with the generated encoders: the seeds of
 * the decoder properties and of the malformed-message test.
 */
final class MessageFixtures
{
    /** Message types (template ids 1..11). */
    static final int TEMPLATES = 11;

    private MessageFixtures()
    {
    }

    /**
     * A well-formed message of a type.
     *
     * @param template 1..{@link #TEMPLATES}.
     * @param random   where the field values come from.
     * @return its bytes.
     */
    static byte[] message(final int template, final Random random)
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        final int length;
        switch (template)
        {
            case SessionRequestEncoder.TEMPLATE_ID:
                length = new SessionRequestEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .protocolVersion(1 + random.nextInt(3))
                    .replyPort(1 + random.nextInt(65535))
                    .putClientNonce(bytes(random, 32), 0, 32)
                    .encodedLength();
                break;
            case ChallengeEncoder.TEMPLATE_ID:
                length = new ChallengeEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .putNodeNonce(bytes(random, 32), 0, 32).encodedLength();
                break;
            case ChallengeResponseEncoder.TEMPLATE_ID:
                length = new ChallengeResponseEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .putMac(bytes(random, 32), 0, 32).encodedLength();
                break;
            case AdmitEncoder.TEMPLATE_ID:
                final int interval = 1 + random.nextInt(1000);
                length = new AdmitEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .sessionToken(random.nextLong())
                    .heartbeatIntervalMs(interval)
                    .heartbeatTimeoutMs(interval + 1 + random.nextInt(10_000))
                    .maxTaskBytes(random.nextInt(Integer.MAX_VALUE))
                    .slotBytes(random.nextInt(1 << 20))
                    .putNodeMac(bytes(random, 32), 0, 32)
                    .encodedLength();
                break;
            case RefuseEncoder.TEMPLATE_ID:
                final byte[] text = bytes(random, random.nextInt(64));
                length = new RefuseEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .reason(RefuseReason.values()[random.nextInt(5)])
                    .putMessage(text, 0, text.length)
                    .encodedLength();
                break;
            case HeartbeatEncoder.TEMPLATE_ID:
                length = new HeartbeatEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .sessionToken(random.nextLong()).encodedLength();
                break;
            case TaskEncoder.TEMPLATE_ID:
                length = task(buffer, header, random);
                break;
            case DataGrantEncoder.TEMPLATE_ID:
                length = new DataGrantEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .sessionToken(random.nextLong()).taskId(random.nextLong()).encodedLength();
                break;
            case DataPieceEncoder.TEMPLATE_ID:
                final byte[] piece = bytes(random, 1 + random.nextInt(300));
                length = new DataPieceEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .sessionToken(random.nextLong())
                    .taskId(random.nextLong())
                    .blockOffset(random.nextInt(Integer.MAX_VALUE))
                    .putData(piece, 0, piece.length)
                    .encodedLength();
                break;
            case CompletionEncoder.TEMPLATE_ID:
                final boolean ok = random.nextBoolean();
                final boolean inline = ok && random.nextBoolean();
                final byte[] data = inline ? bytes(random, random.nextInt(300)) : new byte[0];
                final byte[] message = ok ? new byte[0] : bytes(random, random.nextInt(200));
                length = new CompletionEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .sessionToken(random.nextLong())
                    .taskId(random.nextLong())
                    .status(ok ? TaskStatus.OK : TaskStatus.FAILED)
                    .errorCode(ok ? 0 : 1 + random.nextInt(99))
                    .dataInline(inline ? BooleanType.TRUE : BooleanType.FALSE)
                    .putData(data, 0, data.length)
                    .putErrorMessage(message, 0, message.length)
                    .encodedLength();
                break;
            case SessionCloseEncoder.TEMPLATE_ID:
                length = new SessionCloseEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .sessionToken(random.nextLong()).encodedLength();
                break;
            default:
                throw new IllegalArgumentException("no template " + template);
        }
        return Arrays.copyOf(buffer.byteArray(), MessageHeaderEncoder.ENCODED_LENGTH + length);
    }

    /** A task whose tensors lie in its block one after the other, with inline data or none. */
    private static int task(final ExpandableArrayBuffer buffer, final MessageHeaderEncoder header, final Random random)
    {
        final int tensors = random.nextInt(6);
        final int scalars = random.nextInt(6);
        final boolean inline = random.nextBoolean();
        final long[] offsets = new long[tensors];
        final int[][] shapes = new int[tensors][];
        final int[] dtypes = new int[tensors];
        final int[] tags = new int[tensors];
        final boolean[] nulls = new boolean[tensors];
        long cursor = 0;
        int inbound = 0;
        for (int i = 0; i < tensors; i++)
        {
            dtypes[i] = random.nextInt(DataType.values().length);
            tags[i] = random.nextInt(5);
            nulls[i] = random.nextInt(8) == 0;
            shapes[i] = new int[1 + random.nextInt(5)];
            long bytes = DataType.fromCode(dtypes[i]).elementSize();
            for (int d = 0; d < shapes[i].length; d++)
            {
                shapes[i][d] = random.nextInt(4);
                bytes *= shapes[i][d];
            }
            if (!nulls[i])
            {
                offsets[i] = TaskLayout.align(cursor);
                cursor = offsets[i] + bytes;
                if (TaskLayout.toNode(tags[i]))
                {
                    inbound += (int)bytes;
                }
            }
        }
        final TaskEncoder encoder = new TaskEncoder().wrapAndApplyHeader(buffer, 0, header)
            .sessionToken(random.nextLong())
            .taskId(random.nextLong())
            .function(random.nextLong())
            .blockDim(random.nextInt())
            .aicpuThreadNum(random.nextInt())
            .dataInline(inline ? BooleanType.TRUE : BooleanType.FALSE)
            .stagingBytes(TaskLayout.align(cursor) + random.nextInt(3) * 64L);
        encoder.flags().clear().enableProfiling(random.nextBoolean()).enableDumpTensor(random.nextBoolean());
        final TaskEncoder.TensorsEncoder entries = encoder.tensorsCount(tensors);
        for (int i = 0; i < tensors; i++)
        {
            entries.next()
                .blockOffset(offsets[i])
                .ndims((short)shapes[i].length)
                .dtype((short)dtypes[i])
                .tag((short)tags[i])
                .isNull(nulls[i] ? BooleanType.TRUE : BooleanType.FALSE);
            for (int d = 0; d < 5; d++)
            {
                entries.shape(d, d < shapes[i].length ? shapes[i][d] : 0);
            }
        }
        final TaskEncoder.ScalarsEncoder values = encoder.scalarsCount(scalars);
        for (int i = 0; i < scalars; i++)
        {
            values.next().bits(random.nextLong());
        }
        final byte[] data = bytes(random, inline ? inbound : 0);
        return encoder.putData(data, 0, data.length).encodedLength();
    }

    private static byte[] bytes(final Random random, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
