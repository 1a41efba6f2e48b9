package dev.simpler.engine;

import java.io.IOException;

/**
 * A child JVM for {@link LifecycleTest}: starts an engine with a shared tensor, prints its shared memory files
 * ({@link #FILE} lines) and {@link #READY}, then waits to
 * be killed with SIGKILL or, with the argument {@link #EXIT}, exits at once without closing the engine.
 */
final class KilledEngineMain
{
    static final String READY = "ENGINE-READY";
    static final String EXIT = "exit-without-close";
    static final String FILE = "FILE ";

    private KilledEngineMain()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final Worker worker = TestWorkers.start(TestWorkers.builder(WorkerMode.THREAD).subWorkers(1));
        worker.sharedTensor(DataType.INT32, 1024);
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
}
