package dev.simpler.engine.process;

import static dev.simpler.engine.config.Configuration.CHILD_BACKOFF_MAX_PARK_NS;
import static dev.simpler.engine.config.Configuration.CHILD_BACKOFF_MIN_PARK_NS;
import static dev.simpler.engine.config.Configuration.CHILD_BACKOFF_SPINS;
import static dev.simpler.engine.config.Configuration.CHILD_BACKOFF_YIELDS;
import static dev.simpler.engine.config.Configuration.CHILD_ROUNDS_BEFORE_SLEEP;

import java.io.InputStream;

import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import dev.simpler.mailbox.ChildMailbox;
import dev.simpler.mailbox.MailboxProtocolException;

/**
 * How a child with a {@link Doorbell} (the backoff wait strategy) idles between duty cycles that found no task: it
 * backs off for {@link dev.simpler.engine.config.Configuration#CHILD_ROUNDS_BEFORE_SLEEP} rounds, then announces that
 * it sleeps, looks at its mailbox once more and blocks on the pipe from its parent until the parent rings. End of
 * file on the pipe (the parent shut down or died) ends the child's agent, which then exits with status 0.
 *
 * <p>Single writer: used only by the child's task thread.
 */
final class DoorbellIdleStrategy implements IdleStrategy
{
    private final BackoffIdleStrategy backoff = new BackoffIdleStrategy(
        CHILD_BACKOFF_SPINS, CHILD_BACKOFF_YIELDS, CHILD_BACKOFF_MIN_PARK_NS, CHILD_BACKOFF_MAX_PARK_NS);
    private final byte[] wakeBytes = new byte[64];
    private final Doorbell doorbell;
    private final ChildMailbox mailbox;
    private final InputStream parentPipe;
    private int idleRounds;

    /**
     * The idle strategy of a child's task thread.
     *
     * @param doorbell   the child's doorbell; closed by the child, not here.
     * @param mailbox    the child's mailbox, looked at once more after the sleep was announced.
     * @param parentPipe the child's standard input.
     */
    DoorbellIdleStrategy(final Doorbell doorbell, final ChildMailbox mailbox, final InputStream parentPipe)
    {
        this.doorbell = doorbell;
        this.mailbox = mailbox;
        this.parentPipe = parentPipe;
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
        }
        else
        {
            idle();
        }
    }

    @Override
    public void idle()
    {
        if (idleRounds < CHILD_ROUNDS_BEFORE_SLEEP)
        {
            idleRounds++;
            backoff.idle();
            return;
        }
        // Announce the sleep, then look once more: a task published before the announcement is seen here, one
        // published after it makes the parent ring.
        doorbell.announceSleep();
        final boolean keepGoing = !isMailboxQuiet() || doorbell.sleep(parentPipe, wakeBytes);
        doorbell.awake();
        if (!keepGoing)
        {
            throw new AgentTerminationException(true);
        }
    }

    @Override
    public void reset()
    {
        backoff.reset();
        idleRounds = 0;
    }

    @Override
    public String alias()
    {
        return "simpler-child-doorbell";
    }

    private boolean isMailboxQuiet()
    {
        try
        {
            return mailbox.poll() == ChildMailbox.NOTHING;
        }
        catch (final MailboxProtocolException ex)
        {
            // Not quiet: the next duty cycle polls again and reports it.
            return false;
        }
    }
}
