package dev.simpler.engine;

import java.util.BitSet;

import net.openhft.affinity.Affinity;

/**
 * Pins threads to CPUs (SPEC §5: threads that busy-spin can be pinned), through Chronicle's thread-affinity
 * library. A busy-spinning thread that the operating system moves between CPUs loses its caches on every move, and
 * on a machine whose CPUs are not alike (shared cores, virtual CPUs) it runs at the speed of wherever it was put;
 * pinned, it stays where it was placed. The engine pins its own worker threads when the builder names CPUs
 * ({@link Worker.Builder#pinThreads}); the thread that calls {@link Worker#run} belongs to the caller, who can pin
 * it with {@link #pinCurrentThread}.
 */
public final class CpuAffinity
{
    /** The CPUs of the thread that first used this class: read before any thread was pinned through it. */
    private static final BitSet BASE = Affinity.getAffinity();

    private CpuAffinity()
    {
    }

    /**
     * The CPUs this process may run on, as the operating system reports them.
     *
     * @return a copy of the allowed set.
     */
    public static BitSet allowedCpus()
    {
        return (BitSet)BASE.clone();
    }

    /**
     * Check that a thread can be pinned to {@code cpu}.
     *
     * @param cpu the CPU number.
     * @throws IllegalArgumentException naming the CPU and the allowed ones when this process may not run on it.
     */
    public static void checkAllowed(final int cpu)
    {
        if (cpu < 0 || !BASE.get(cpu))
        {
            throw new IllegalArgumentException("cannot pin to CPU " + cpu + ": this process may run on CPUs " + BASE);
        }
    }

    /**
     * Pin the calling thread to one CPU.
     *
     * @param cpu a CPU this process may run on.
     * @throws IllegalArgumentException when the process may not run on {@code cpu}.
     * @throws IllegalStateException    when the operating system did not apply the pin.
     */
    public static void pinCurrentThread(final int cpu)
    {
        checkAllowed(cpu);
        Affinity.setAffinity(cpu);
        final BitSet now = Affinity.getAffinity();
        if (now.cardinality() != 1 || !now.get(cpu))
        {
            throw new IllegalStateException("could not pin thread '" + Thread.currentThread().getName() + "' to CPU "
                + cpu + ": its CPUs are " + now + " (" + Affinity.getAffinityImpl().getClass().getSimpleName() + ")");
        }
    }
}
