package dev.simpler.remote.transport;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

import dev.simpler.engine.DataType;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.TensorArgType;
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

/**
 * Checks a received message before any of its fields is read (SPEC §15: every decoder checks bounds): its header,
 * that its root block, groups and data lie exactly within its length, and that every field the receiver acts on holds
 * a value the schema and the protocol allow — enums, flags, tensor shapes, and where each tensor and its data lie in
 * the task's block. A message it accepts can be read with the generated decoders without reading a byte outside it.
 *
 * <p>It reads the buffer only; one instance belongs to one thread.
 */
public final class MessageValidator
{
    /** Most bytes of a task's block the protocol can describe; a node applies its own, smaller limit. */
    public static final long MAX_BLOCK_BYTES = 1L << 40;

    /** Most bytes of a refusal's or failure's text a receiver accepts. */
    public static final int MAX_TEXT_BYTES = 4096;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final int HEADER = MessageHeaderDecoder.ENCODED_LENGTH;
    private static final int GROUP_HEADER = 4;
    private static final int VAR_HEADER = 4;
    private static final int TENSOR_ENTRY = TaskDecoder.TensorsDecoder.sbeBlockLength();
    private static final int SCALAR_ENTRY = TaskDecoder.ScalarsDecoder.sbeBlockLength();
    private static final int DTYPE_COUNT = DataType.values().length;
    private static final int TAG_COUNT = TensorArgType.values().length;
    private static final int CALL_FLAGS_MASK = 0b11;

    private final MessageHeaderDecoder header = new MessageHeaderDecoder();

    /**
     * Check one message.
     *
     * @param buffer where it is.
     * @param offset its first byte.
     * @param length its length.
     * @return its template id (positive) when it may be read, or a {@link DropReason#code()} (negative).
     */
    public int validate(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < HEADER)
        {
            return DropReason.TOO_SHORT.code();
        }
        header.wrap(buffer, offset);
        if (header.schemaId() != MessageHeaderDecoder.SCHEMA_ID)
        {
            return DropReason.WRONG_SCHEMA.code();
        }
        if (header.version() != MessageHeaderDecoder.SCHEMA_VERSION)
        {
            return DropReason.WRONG_VERSION.code();
        }
        final int template = header.templateId();
        final int blockLength = header.blockLength();
        final int body = offset + HEADER;
        final long end = (long)offset + length;
        final int result;
        switch (template)
        {
            case SessionRequestDecoder.TEMPLATE_ID:
                result = fixed(blockLength, SessionRequestDecoder.BLOCK_LENGTH, body, end);
                if (result == 0)
                {
                    final int port = buffer.getShort(body + SessionRequestDecoder.replyPortEncodingOffset(), ORDER)
                        & 0xffff;
                    return port == 0 ? DropReason.BAD_FIELD.code() : template;
                }
                return result;
            case ChallengeDecoder.TEMPLATE_ID:
                return orTemplate(fixed(blockLength, ChallengeDecoder.BLOCK_LENGTH, body, end), template);
            case ChallengeResponseDecoder.TEMPLATE_ID:
                return orTemplate(fixed(blockLength, ChallengeResponseDecoder.BLOCK_LENGTH, body, end), template);
            case AdmitDecoder.TEMPLATE_ID:
                return orTemplate(admit(buffer, blockLength, body, end), template);
            case RefuseDecoder.TEMPLATE_ID:
                return orTemplate(refuse(buffer, blockLength, body, end), template);
            case HeartbeatDecoder.TEMPLATE_ID:
                return orTemplate(fixed(blockLength, HeartbeatDecoder.BLOCK_LENGTH, body, end), template);
            case TaskDecoder.TEMPLATE_ID:
                return orTemplate(task(buffer, blockLength, body, end), template);
            case DataGrantDecoder.TEMPLATE_ID:
                return orTemplate(fixed(blockLength, DataGrantDecoder.BLOCK_LENGTH, body, end), template);
            case DataPieceDecoder.TEMPLATE_ID:
                return orTemplate(dataPiece(buffer, blockLength, body, end), template);
            case CompletionDecoder.TEMPLATE_ID:
                return orTemplate(completion(buffer, blockLength, body, end), template);
            case SessionCloseDecoder.TEMPLATE_ID:
                return orTemplate(fixed(blockLength, SessionCloseDecoder.BLOCK_LENGTH, body, end), template);
            default:
                return DropReason.UNKNOWN_TEMPLATE.code();
        }
    }

    private static int orTemplate(final int result, final int template)
    {
        return result == 0 ? template : result;
    }

    /** A message of a root block only: its length is exactly the header and the block. */
    private static int fixed(final int blockLength, final int expected, final int body, final long end)
    {
        if (blockLength != expected)
        {
            return DropReason.WRONG_BLOCK_LENGTH.code();
        }
        return exactEnd(body + (long)blockLength, end);
    }

    private static int exactEnd(final long limit, final long end)
    {
        if (limit > end)
        {
            return DropReason.TRUNCATED.code();
        }
        return limit < end ? DropReason.TRAILING_BYTES.code() : 0;
    }

    private static int admit(final DirectBuffer buffer, final int blockLength, final int body, final long end)
    {
        final int result = fixed(blockLength, AdmitDecoder.BLOCK_LENGTH, body, end);
        if (result != 0)
        {
            return result;
        }
        final int interval = buffer.getInt(body + AdmitDecoder.heartbeatIntervalMsEncodingOffset(), ORDER);
        final int timeout = buffer.getInt(body + AdmitDecoder.heartbeatTimeoutMsEncodingOffset(), ORDER);
        final long maxTaskBytes = buffer.getLong(body + AdmitDecoder.maxTaskBytesEncodingOffset(), ORDER);
        final int slotBytes = buffer.getInt(body + AdmitDecoder.slotBytesEncodingOffset(), ORDER);
        if (interval <= 0 || timeout <= interval || maxTaskBytes < 0 || maxTaskBytes > MAX_BLOCK_BYTES
            || slotBytes < 0)
        {
            return DropReason.BAD_FIELD.code();
        }
        return 0;
    }

    private static int refuse(final DirectBuffer buffer, final int blockLength, final int body, final long end)
    {
        if (blockLength != RefuseDecoder.BLOCK_LENGTH)
        {
            return DropReason.WRONG_BLOCK_LENGTH.code();
        }
        long limit = body + (long)blockLength;
        if (limit > end)
        {
            return DropReason.TRUNCATED.code();
        }
        final int reason = buffer.getByte(body + RefuseDecoder.reasonEncodingOffset()) & 0xff;
        if (reason < 1 || reason > 5)
        {
            return DropReason.BAD_FIELD.code();
        }
        limit = varData(buffer, limit, end, MAX_TEXT_BYTES);
        return limit < 0 ? (int)limit : exactEnd(limit, end);
    }

    private static int dataPiece(final DirectBuffer buffer, final int blockLength, final int body, final long end)
    {
        if (blockLength != DataPieceDecoder.BLOCK_LENGTH)
        {
            return DropReason.WRONG_BLOCK_LENGTH.code();
        }
        long limit = body + (long)blockLength;
        if (limit > end)
        {
            return DropReason.TRUNCATED.code();
        }
        final long blockOffset = buffer.getLong(body + DataPieceDecoder.blockOffsetEncodingOffset(), ORDER);
        final long dataLength = varLength(buffer, limit, end);
        if (dataLength < 0)
        {
            return (int)dataLength;
        }
        if (blockOffset < 0 || blockOffset > MAX_BLOCK_BYTES - dataLength || dataLength == 0)
        {
            return DropReason.BAD_LAYOUT.code();
        }
        limit = varData(buffer, limit, end, Integer.MAX_VALUE);
        return limit < 0 ? (int)limit : exactEnd(limit, end);
    }

    private static int completion(final DirectBuffer buffer, final int blockLength, final int body, final long end)
    {
        if (blockLength != CompletionDecoder.BLOCK_LENGTH)
        {
            return DropReason.WRONG_BLOCK_LENGTH.code();
        }
        long limit = body + (long)blockLength;
        if (limit > end)
        {
            return DropReason.TRUNCATED.code();
        }
        final int status = buffer.getByte(body + CompletionDecoder.statusEncodingOffset()) & 0xff;
        final int dataInline = buffer.getByte(body + CompletionDecoder.dataInlineEncodingOffset()) & 0xff;
        if (status > 1 || dataInline > 1)
        {
            return DropReason.BAD_FIELD.code();
        }
        final long dataLength = varLength(buffer, limit, end);
        if (dataLength < 0)
        {
            return (int)dataLength;
        }
        if (dataLength > 0 && (status != 0 || dataInline == 0))
        {
            return DropReason.BAD_DATA_LENGTH.code();
        }
        limit = varData(buffer, limit, end, Integer.MAX_VALUE);
        if (limit < 0)
        {
            return (int)limit;
        }
        limit = varData(buffer, limit, end, MAX_TEXT_BYTES);
        return limit < 0 ? (int)limit : exactEnd(limit, end);
    }

    private static int task(final DirectBuffer buffer, final int blockLength, final int body, final long end)
    {
        if (blockLength != TaskDecoder.BLOCK_LENGTH)
        {
            return DropReason.WRONG_BLOCK_LENGTH.code();
        }
        long limit = body + (long)blockLength;
        if (limit + GROUP_HEADER > end)
        {
            return DropReason.TRUNCATED.code();
        }
        final int flags = buffer.getByte(body + TaskDecoder.flagsEncodingOffset()) & 0xff;
        final int dataInline = buffer.getByte(body + TaskDecoder.dataInlineEncodingOffset()) & 0xff;
        final long stagingBytes = buffer.getLong(body + TaskDecoder.stagingBytesEncodingOffset(), ORDER);
        if ((flags & ~CALL_FLAGS_MASK) != 0 || dataInline > 1)
        {
            return DropReason.BAD_FIELD.code();
        }
        if (stagingBytes < 0 || stagingBytes > MAX_BLOCK_BYTES)
        {
            return DropReason.BAD_LAYOUT.code();
        }

        final int tensorBlock = buffer.getShort((int)limit, ORDER) & 0xffff;
        final int tensorCount = buffer.getShort((int)limit + 2, ORDER) & 0xffff;
        if (tensorBlock != TENSOR_ENTRY)
        {
            return DropReason.WRONG_BLOCK_LENGTH.code();
        }
        if (tensorCount > RemoteConfiguration.MAX_TENSORS)
        {
            return DropReason.TOO_MANY_TENSORS.code();
        }
        limit += GROUP_HEADER;
        if (limit + (long)tensorCount * TENSOR_ENTRY > end)
        {
            return DropReason.TRUNCATED.code();
        }
        long toNodeBytes = 0;
        for (int i = 0; i < tensorCount; i++)
        {
            final long sent = tensor(buffer, (int)limit, stagingBytes);
            if (sent < 0)
            {
                return (int)sent;
            }
            toNodeBytes += sent;
            limit += TENSOR_ENTRY;
        }

        if (limit + GROUP_HEADER > end)
        {
            return DropReason.TRUNCATED.code();
        }
        final int scalarBlock = buffer.getShort((int)limit, ORDER) & 0xffff;
        final int scalarCount = buffer.getShort((int)limit + 2, ORDER) & 0xffff;
        if (scalarBlock != SCALAR_ENTRY)
        {
            return DropReason.WRONG_BLOCK_LENGTH.code();
        }
        if (scalarCount > RemoteConfiguration.MAX_SCALARS)
        {
            return DropReason.TOO_MANY_SCALARS.code();
        }
        limit += GROUP_HEADER + (long)scalarCount * SCALAR_ENTRY;
        final long dataLength = varLength(buffer, limit, end);
        if (dataLength < 0)
        {
            return (int)dataLength;
        }
        if (dataLength != (dataInline == 1 ? toNodeBytes : 0))
        {
            return DropReason.BAD_DATA_LENGTH.code();
        }
        limit = varData(buffer, limit, end, Integer.MAX_VALUE);
        return limit < 0 ? (int)limit : exactEnd(limit, end);
    }

    /**
     * Check one tensor entry.
     *
     * @return the bytes it sends to the node (0 when it sends none or is null), or a negative drop code.
     */
    private static long tensor(final DirectBuffer buffer, final int entry, final long stagingBytes)
    {
        final int isNull = buffer.getByte(entry + TaskDecoder.TensorsDecoder.isNullEncodingOffset()) & 0xff;
        final int ndims = buffer.getByte(entry + TaskDecoder.TensorsDecoder.ndimsEncodingOffset()) & 0xff;
        final int dtype = buffer.getByte(entry + TaskDecoder.TensorsDecoder.dtypeEncodingOffset()) & 0xff;
        final int tag = buffer.getByte(entry + TaskDecoder.TensorsDecoder.tagEncodingOffset()) & 0xff;
        final long blockOffset = buffer.getLong(entry + TaskDecoder.TensorsDecoder.blockOffsetEncodingOffset(), ORDER);
        if (isNull > 1)
        {
            return DropReason.BAD_FIELD.code();
        }
        if (ndims < 1 || ndims > Tensor.MAX_DIMS || dtype >= DTYPE_COUNT || tag >= TAG_COUNT)
        {
            return DropReason.BAD_TENSOR.code();
        }
        final int shapeOffset = entry + TaskDecoder.TensorsDecoder.shapeEncodingOffset();
        long bytes = DataType.fromCode(dtype).elementSize();
        for (int d = 0; d < Tensor.MAX_DIMS; d++)
        {
            final long extent = buffer.getInt(shapeOffset + d * Integer.BYTES, ORDER) & 0xffff_ffffL;
            if (d >= ndims)
            {
                if (extent != 0)
                {
                    return DropReason.BAD_TENSOR.code();
                }
                continue;
            }
            if (extent > Integer.MAX_VALUE)
            {
                return DropReason.BAD_TENSOR.code();
            }
            if (extent != 0 && bytes > MAX_BLOCK_BYTES / extent)
            {
                return DropReason.BAD_TENSOR.code();
            }
            bytes *= extent;
        }
        if (isNull == 1)
        {
            return blockOffset == 0 ? 0 : DropReason.BAD_LAYOUT.code();
        }
        if (blockOffset < 0 || blockOffset % RemoteConfiguration.BLOCK_ALIGNMENT != 0
            || blockOffset > stagingBytes - bytes)
        {
            return DropReason.BAD_LAYOUT.code();
        }
        return TaskLayout.toNode(tag) ? bytes : 0;
    }

    /** The length of the var data at {@code limit}, or a negative drop code. */
    private static long varLength(final DirectBuffer buffer, final long limit, final long end)
    {
        if (limit + VAR_HEADER > end)
        {
            return DropReason.TRUNCATED.code();
        }
        return buffer.getInt((int)limit, ORDER) & 0xffff_ffffL;
    }

    /** The limit after the var data at {@code limit}, or a negative drop code. */
    private static long varData(final DirectBuffer buffer, final long limit, final long end, final int maxLength)
    {
        final long length = varLength(buffer, limit, end);
        if (length < 0)
        {
            return length;
        }
        if (length > maxLength)
        {
            return DropReason.BAD_DATA_LENGTH.code();
        }
        final long next = limit + VAR_HEADER + length;
        return next > end ? DropReason.TRUNCATED.code() : next;
    }
}
