package dev.simpler.engine.process;

import static dev.simpler.engine.config.Configuration.ORPHAN_CHECK_INTERVAL_NS;

import java.util.concurrent.locks.LockSupport;

/**
 * Ends a child JVM whose engine is gone (SPEC §8): a daemon thread that looks every
 * {@link dev.simpler.engine.config.Configuration#ORPHAN_CHECK_INTERVAL_NS} at the child's parent and halts the JVM
 * once the parent is not the engine that started it any more (the kernel hands an orphan to another parent) or is
 * no longer alive. It runs beside the task thread, so a child exits within a second of its engine's death in every
 * wait strategy, also while a callable runs, and it costs the task thread nothing.
 *
 * <p>The JVM is halted rather than exited: a callable that runs on may hold locks that shutdown hooks would wait
 * for, and the engine's shared files belong to the engine (the next engine start sweeps them).
 */
final class OrphanWatchdog implements Runnable
{

    private final long parentPid;

    private OrphanWatchdog(final long parentPid)
    {
        this.parentPid = parentPid;
    }

    /**
     * Start watching.
     *
     * @param parentPid the engine's pid; a value below 1 means the engine is unknown, and the child exits at once.
     */
    static void start(final long parentPid)
    {
        final Thread thread = new Thread(new OrphanWatchdog(parentPid), "simpler-child-orphan-watchdog");
        thread.setDaemon(true);
        thread.setPriority(Thread.MAX_PRIORITY);
        thread.start();
    }

    /**
     * Whether the engine that started this child is still its parent and alive.
     *
     * @param parentPid the engine's pid.
     * @return false once the child is an orphan.
     */
    static boolean parentAlive(final long parentPid)
    {
        final ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
        return parent != null && parent.pid() == parentPid && parent.isAlive();
    }

    @Override
    public void run()
    {
        while (parentAlive(parentPid))
        {
            LockSupport.parkNanos(this, ORPHAN_CHECK_INTERVAL_NS);
        }
        System.err.println("simpler child " + ProcessHandle.current().pid() + ": its engine (pid " + parentPid
            + ") is gone; exiting");
        Runtime.getRuntime().halt(ChildMain.EXIT_ORPHANED);
    }
}
