package dev.simpler.remote.transport;

/**
 * Why a received message was dropped (SPEC §11: a malformed or truncated network message, or one outside an
 * admitted session, is dropped with a counted, logged reason).
 */
public enum DropReason
{
    /** Shorter than a message header. */
    TOO_SHORT("shorter than a message header"),
    /** Another schema's message. */
    WRONG_SCHEMA("not of the simpler remote schema"),
    /** Another version of the schema. */
    WRONG_VERSION("another version of the schema"),
    /** A message type this schema does not have. */
    UNKNOWN_TEMPLATE("unknown message type"),
    /** A root block or group entry of another length than the schema's. */
    WRONG_BLOCK_LENGTH("block length differs from the schema's"),
    /** Shorter than its fields, groups and data say. */
    TRUNCATED("truncated: shorter than its own fields say"),
    /** Longer than its fields, groups and data say. */
    TRAILING_BYTES("bytes after its last field"),
    /** A boolean, enum or flag set with a value the schema does not define. */
    BAD_FIELD("a field holds a value the schema does not define"),
    /** More tensors than a remote task may have. */
    TOO_MANY_TENSORS("more tensors than a remote task may have"),
    /** More scalars than a remote task may have. */
    TOO_MANY_SCALARS("more scalars than a remote task may have"),
    /** A tensor with a bad dtype, tag, dimension count or shape. */
    BAD_TENSOR("a tensor with a bad dtype, tag, dimension count or shape"),
    /** A tensor or piece outside its task's block, or misaligned. */
    BAD_LAYOUT("a tensor or piece outside its task's block"),
    /** Inline data of another length than its tensors need. */
    BAD_DATA_LENGTH("inline data of another length than its tensors need"),
    /** A message other than a handshake from a sender without an admitted session. */
    OUTSIDE_SESSION("outside an admitted session"),
    /** A session message with another session's token. */
    BAD_TOKEN("wrong session token"),
    /** A message the receiver does not expect in its session's state. */
    UNEXPECTED("not expected in the session's state"),
    /** A data piece for another task or at another offset than the next one expected. */
    OUT_OF_ORDER("a data piece out of order"),
    /** A session request while the node runs as many handshakes as it may. */
    HANDSHAKE_LIMIT("too many handshakes at once"),
    /** A session request whose sender address cannot be answered. */
    BAD_ADDRESS("the sender's address cannot be answered");

    private static final DropReason[] VALUES = values();

    private final String description;

    DropReason(final String description)
    {
        this.description = description;
    }

    /**
     * What the reason means, for logs.
     *
     * @return the description.
     */
    public String description()
    {
        return description;
    }

    /**
     * This reason as the negative result of {@link MessageValidator#validate}.
     *
     * @return {@code -(ordinal + 1)}.
     */
    public int code()
    {
        return -(ordinal() + 1);
    }

    /**
     * The reason of a negative validation result.
     *
     * @param code a value of {@link #code()}.
     * @return the reason.
     */
    public static DropReason fromCode(final int code)
    {
        return VALUES[-code - 1];
    }
}
