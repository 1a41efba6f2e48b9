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
    /** The class of Chronicle's library that the engine calls, named before the library is first reached. */
    private static final String AFFINITY_CLASS = "net.openhft.affinity.Affinity";

    /** The CPUs of the thread that first used this class: read before any thread was pinned through it. */
    private static final BitSet BASE = baseCpus();

    private CpuAffinity()
    {
    }

    private static BitSet baseCpus()
    {
        // Chronicle's jar declares no module name, so the engine's module descriptor does not require it: a name
        // taken from the jar's file would stop resolving once the jar is renamed or names itself. On the module path
        // the engine reads the library's module, whatever its name, before the first call into it (on the class
        // path everything reads everything, and this changes nothing).
        final Class<?> affinity;
        try
        {
            affinity = Class.forName(AFFINITY_CLASS, false, CpuAffinity.class.getClassLoader());
        }
        catch (final ClassNotFoundException ex)
        {
            throw new IllegalStateException("thread pinning needs Chronicle's thread-affinity library "
                + "(net.openhft:affinity, a dependency of simpler-engine), and " + AFFINITY_CLASS + " is not there",
                ex);
        }
        CpuAffinity.class.getModule().addReads(affinity.getModule());
        try
        {
            return Affinity.getAffinity();
        }
        catch (final NoClassDefFoundError ex)
        {
            throw new IllegalStateException("Chronicle's thread-affinity library could not load a class it uses ("
                + ex.getMessage() + "); on the module path its SLF4J API, an explicit module that nothing else "
                + "requires, must be added: --add-modules org.slf4j", ex);
        }
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
