package dev.simpler.perf.reference;

import java.nio.ByteOrder;
import java.nio.file.Path;

import org.agrona.concurrent.BackoffIdleStrategy;

import dev.simpler.mailbox.ChildMailbox;
import dev.simpler.mailbox.MailboxDescriptor;
import dev.simpler.mailbox.SharedMemoryFile;

/**
 * The child JVM of a {@link ReferenceProcessWorker}: maps the mailbox named on the command line, reports ready with
 * its pid, then spins and backs off on the state word, completing no-op tasks until SHUTDOWN or until its parent is
 * gone.
 *
 * <p>After each task it writes how many tasks it has completed as a little-endian i64 at the start of the args
 * area, so the parent can check that the tasks really went through this child.
 */
public final class ReferenceChildMain
{
    /** Exit status when the arguments are wrong. */
    public static final int EXIT_USAGE = 2;

    private static final int PARENT_CHECK_MASK = 0xFFFF;

    private ReferenceChildMain()
    {
    }

    /**
     * Serve the mailbox.
     *
     * @param args one argument: the path of the mailbox file.
     */
    public static void main(final String[] args)
    {
        if (args.length != 1)
        {
            System.err.println("usage: ReferenceChildMain <mailbox file>");
            System.exit(EXIT_USAGE);
        }

        final ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
        try (SharedMemoryFile file = SharedMemoryFile.openExisting(Path.of(args[0])))
        {
            final ChildMailbox mailbox = new ChildMailbox(file.buffer());
            final BackoffIdleStrategy idle = new BackoffIdleStrategy();
            long completed = 0;
            int idlePolls = 0;
            mailbox.ready((int)ProcessHandle.current().pid());

            while (true)
            {
                final int event = mailbox.poll();
                if (ChildMailbox.TASK == event)
                {
                    idle.reset();
                    final long callable = mailbox.flyweight().callable();
                    if (ReferenceProcessWorker.NOOP_CALLABLE == callable)
                    {
                        completed++;
                        file.buffer().putLong(MailboxDescriptor.ARGS_OFFSET, completed, ByteOrder.LITTLE_ENDIAN);
                        mailbox.done();
                    }
                    else
                    {
                        mailbox.failed(MailboxDescriptor.ERROR_RUN_FAILED, "unknown callable: " + callable);
                    }
                }
                else if (ChildMailbox.SHUTDOWN == event)
                {
                    return;
                }
                else
                {
                    if ((++idlePolls & PARENT_CHECK_MASK) == 0 && null != parent && !parent.isAlive())
                    {
                        return;
                    }
                    idle.idle();
                }
            }
        }
    }
}
