package dev.simpler.mailbox;

/**
 * The other side of a mailbox broke the protocol of SPEC §7, e.g. a state value outside 0..3 or a transition
 * that cannot happen. The mailbox can no longer be trusted; the child behind it has to be replaced.
 */
public final class MailboxProtocolException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * A protocol violation.
     *
     * @param message what was read and what was expected.
     */
    public MailboxProtocolException(final String message)
    {
        super(message);
    }
}
