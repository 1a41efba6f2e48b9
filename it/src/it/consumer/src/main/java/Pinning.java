import java.util.BitSet;

import dev.simpler.engine.CpuAffinity;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Worker;

/**
 * Pins a worker thread and this thread to the first CPU this process may run on, and runs one task there.
 */
public final class Pinning
{
    private Pinning()
    {
    }

    /**
     * Pin, run, and print where.
     *
     * @param args none.
     */
    public static void main(final String[] args)
    {
        final BitSet allowed = CpuAffinity.allowedCpus();
        final int cpu = allowed.nextSetBit(0);
        CpuAffinity.pinCurrentThread(cpu);
        try (Worker worker = Worker.builder().subWorkers(1).pinThreads(cpu).build())
        {
            final int noop = worker.register(task ->
            {
            });
            worker.init();
            worker.run((orch, unused) -> orch.submitSub(noop, new TaskArgs()), null);
        }
        System.out.println("pinned to CPU " + cpu + " of " + allowed);
    }
}
