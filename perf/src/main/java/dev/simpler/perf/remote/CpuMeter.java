package dev.simpler.perf.remote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of the machine and of some processes, from {@code /proc} (Linux), in clock ticks: where a round's CPU
 * went. A process that is gone, or a machine without {@code /proc}, reads as 0.
 */
final class CpuMeter
{
    /** Clock ticks a second ({@code USER_HZ}, 100 on Linux). */
    static final double TICKS_PER_SECOND = 100.0;

    private final long[] pids;

    /**
     * A meter of the machine and of these processes.
     *
     * @param pids the processes, in the order of {@link Sample#process}.
     */
    CpuMeter(final long... pids)
    {
        this.pids = pids.clone();
    }

    /**
     * Read the counters now.
     *
     * @return the sample.
     */
    Sample sample()
    {
        final long[] process = new long[pids.length];
        for (int i = 0; i < pids.length; i++)
        {
            process[i] = processTicks(pids[i]);
        }
        long busy = 0;
        long total = 0;
        try
        {
            // cpu  user nice system idle iowait irq softirq steal ...
            final String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            for (int i = 1; i < fields.length && i <= 8; i++)
            {
                final long ticks = Long.parseLong(fields[i]);
                total += ticks;
                if (i != 4 && i != 5)
                {
                    busy += ticks;
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            busy = 0;
            total = 0;
        }
        return new Sample(busy, total, process);
    }

    private static long processTicks(final long pid)
    {
        try
        {
            final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // pid (comm) state ppid ... utime stime: fields 14 and 15, the 12th and 13th after the comm's ')'.
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        }
        catch (final IOException | RuntimeException ex)
        {
            return 0;
        }
    }

    /**
     * The counters at one moment.
     *
     * @param machineBusy ticks all CPUs spent busy (not idle, not waiting for I/O) since boot.
     * @param machineTotal ticks of all CPUs since boot.
     * @param process     user and system ticks of each process.
     */
    record Sample(long machineBusy, long machineTotal, long[] process)
    {
        /**
         * The share of the machine's CPU time that was busy since an earlier sample.
         *
         * @param earlier the earlier sample.
         * @return 0 to 1.
         */
        double busySince(final Sample earlier)
        {
            final long total = machineTotal - earlier.machineTotal;
            return total == 0 ? 0 : (double)(machineBusy - earlier.machineBusy) / total;
        }

        /**
         * CPU seconds a process used since an earlier sample.
         *
         * @param earlier the earlier sample.
         * @param i       the process's index.
         * @return seconds.
         */
        double secondsSince(final Sample earlier, final int i)
        {
            return (process[i] - earlier.process[i]) / TICKS_PER_SECOND;
        }
    }
}
