package dev.simpler.engine;

import java.io.IOException;

/**
 * A child JVM for {@link LifecycleTest}: starts an engine with a shared tensor, prints its shared memory files
 * ({@link #FILE} lines) and {@link #READY}, then waits to
 * be killed with SIGKILL or, with the argument {@link #EXIT}, exits at once without closing the engine. With
 * {@link #PROCESS_ASLEEP} the engine is in PROCESS mode and its child has gone to sleep before {@link #CHILD}
 * names it.
 */
final class KilledEngineMain
{
    static final String READY = "ENGINE-READY";
    static final String EXIT = "exit-without-close";
    static final String FILE = "FILE ";
    /** Start a PROCESS-mode engine and wait until its child sleeps; the child's pid is printed after this. */
    static final String PROCESS_ASLEEP = "process-asleep";
    static final String CHILD = "CHILD ";
    /**
     * Start a PROCESS-mode engine (wait strategy named by the next argument) whose child runs a task of a minute; the
     * child's pid is printed once the task runs, and the engine stays inside that run until it is killed.
     */
    static final String PROCESS_MID_TASK = "process-mid-task";

    /** Writes the child's pid into INT64 tensor 0, then spins for a minute. */
    private static final SubCallable WRITE_PID_THEN_RUN_A_MINUTE = (args) ->
    {
        args.tensor(0).buffer().putLongVolatile(0, ProcessHandle.current().pid());
        final long until = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < until)
        {
            Thread.onSpinWait();
        }
    };

    /** Writes the child's pid into INT64 tensor 0. */
    private static final SubCallable WRITE_PID =
        (args) -> args.tensor(0).buffer().putLongVolatile(0, ProcessHandle.current().pid());

    private KilledEngineMain()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final boolean processAsleep = args.length > 0 && PROCESS_ASLEEP.equals(args[0]);
        final Worker worker;
        if (args.length > 1 && PROCESS_MID_TASK.equals(args[0]))
        {
            runAMinuteInAChild(WaitStrategy.valueOf(args[1]));
            return;
        }
        if (processAsleep)
        {
            worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(1).waitStrategy(WaitStrategy.BACKOFF).build();
            final int writePid = worker.register(WRITE_PID);
            final Tensor pid = worker.sharedTensor(DataType.INT64, 1);
            worker.init();
            worker.run((orch, unused) -> orch.submitSub(writePid, new TaskArgs().noDep(pid)), null);
            TestWorkers.awaitChildrenAsleep(1);
            System.out.println(CHILD + pid.buffer().getLongVolatile(0));
        }
        else
        {
            worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(1));
            worker.sharedTensor(DataType.INT32, 1024);
        }
        for (final String name : TestWorkers.shmFilesOfThisProcess())
        {
            System.out.println(FILE + name);
        }
        System.out.println(READY);
        System.out.flush();
        if (args.length > 0 && EXIT.equals(args[0]))
        {
            System.exit(0);
        }
        while (System.in.read() >= 0)
        {
            Thread.onSpinWait();
        }
        worker.close();
    }

    private static void runAMinuteInAChild(final WaitStrategy strategy)
    {
        final Worker worker = TestWorkers.builder(WorkerMode.PROCESS).subWorkers(1).waitStrategy(strategy).build();
        final int task = worker.register(WRITE_PID_THEN_RUN_A_MINUTE);
        final Tensor pid = worker.sharedTensor(DataType.INT64, 1);
        worker.init();
        final Thread reporter = new Thread(() ->
        {
            while (pid.buffer().getLongVolatile(0) == 0)
            {
                Thread.onSpinWait();
            }
            System.out.println(CHILD + pid.buffer().getLongVolatile(0));
            System.out.println(READY);
            System.out.flush();
        });
        reporter.setDaemon(true);
        reporter.start();
        worker.run((orch, unused) -> orch.submitSub(task, new TaskArgs().noDep(pid)), null);
        worker.close();
    }
}
