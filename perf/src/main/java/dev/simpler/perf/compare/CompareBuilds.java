package dev.simpler.perf.compare;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

import net.openhft.affinity.Affinity;

/**
 * Compares engine builds inside one JVM, for changes too small to see across JVMs on a shared machine: there, the
 * same build measures 6 M/s in one JVM and 9 M/s in the next, because the machine drifts between states that last
 * minutes (perf/README.md section 8). Here every round runs a trial of each build back to back (in alternating
 * order), each in a fresh class loader of its own, so the builds share the machine's state of the moment, and each
 * trial gets its own compilation and memory layout (one class loader per build for the whole comparison was not
 * enough: two loaders of the same jar differed by up to 7 % throughout). The figure per build is the median of its
 * rounds; the ratio is the median of the per-round ratios to the first build.
 *
 * <p>{@code CompareBuilds [-rounds N] [-warm N] [-runs N] [-shape chain|independent|oneTask|pipeline|overlap]
 * [-pin false] <build.jar|completableFuture>...} where each jar is a shaded engine build
 * ({@code demo/target/simpler-demo.jar}); {@code completableFuture} adds the {@code thenRunAsync} chain baseline,
 * whatever the shape (the chain is also the dependency structure of {@code pipeline}, see {@link ChainTrial#run}).
 * A trial is {@code -warm} runs (default 60) and then {@code -runs} measured ones (default 25), its figure their
 * median. {@code perf/compare-builds.sh} builds the jars from git revisions.
 */
public final class CompareBuilds
{
    private static final String BASELINE = "completableFuture";

    private CompareBuilds()
    {
    }

    /**
     * Entry point.
     *
     * @param args options and builds, see the class description.
     * @throws Exception when a build cannot be loaded or a trial fails.
     */
    public static void main(final String[] args) throws Exception
    {
        int rounds = 20;
        int warmRuns = 60;
        int runs = 25;
        String shape = "chain";
        boolean pin = true;
        final List<String> builds = new ArrayList<>();
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "-rounds":
                    rounds = count(args, ++i);
                    break;
                case "-warm":
                    warmRuns = count(args, ++i);
                    break;
                case "-runs":
                    runs = count(args, ++i);
                    break;
                case "-shape":
                    shape = value(args, ++i);
                    break;
                case "-pin":
                    pin = Boolean.parseBoolean(value(args, ++i));
                    break;
                default:
                    builds.add(args[i]);
            }
        }
        if (builds.isEmpty() || rounds < 1 || warmRuns < 0 || runs < 1)
        {
            System.err.println("usage: CompareBuilds [-rounds N] [-warm N] [-runs N] "
                + "[-shape " + String.join("|", ChainTrial.SHAPES) + "] [-pin false] <build.jar|completableFuture>...");
            System.exit(2);
            return;
        }
        if (!ChainTrial.SHAPES.contains(shape))
        {
            throw new IllegalArgumentException("unknown shape " + shape + ": -shape takes one of " + ChainTrial.SHAPES);
        }
        for (final String build : builds)
        {
            if (!BASELINE.equals(build) && !new File(build).isFile())
            {
                throw new IllegalArgumentException("no such build jar: " + build);
            }
        }

        final BitSet allowed = Affinity.getAffinity();
        final int mainCpu = pin && allowed.cardinality() >= 2 ? allowed.nextSetBit(0) : -1;
        final int workerCpu = mainCpu >= 0 ? allowed.nextSetBit(mainCpu + 1) : -1;
        System.out.printf(Locale.ROOT, "%d rounds of %s, %d runs of %d tasks per trial after %d warm-up runs, %s%n",
            rounds, shape, runs, ChainTrial.TASKS, warmRuns,
            mainCpu >= 0 ? "pinned to CPUs " + mainCpu + " and " + workerCpu : "unpinned");

        final int n = builds.size();
        final double[][] medians = new double[n][rounds];
        for (int round = 0; round < rounds; round++)
        {
            final StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %2d", round));
            for (int k = 0; k < n; k++)
            {
                final int b = round % 2 == 0 ? k : n - 1 - k;
                Affinity.setAffinity(allowed);
                final double[] rates = trial(builds.get(b), shape, warmRuns, runs, mainCpu, workerCpu);
                medians[b][round] = median(rates);
            }
            Affinity.setAffinity(allowed);
            for (int b = 0; b < n; b++)
            {
                line.append(String.format(Locale.ROOT, "  %s %.2f", label(builds.get(b)), medians[b][round] / 1e6));
            }
            System.out.println(line);
        }

        System.out.println();
        for (int b = 0; b < n; b++)
        {
            final double[] ratios = new double[rounds];
            for (int round = 0; round < rounds; round++)
            {
                ratios[round] = medians[b][round] / medians[0][round];
            }
            Arrays.sort(ratios);
            System.out.printf(Locale.ROOT, "%-24s median %.2f M tasks/s", label(builds.get(b)),
                median(medians[b]) / 1e6);
            if (b > 0)
            {
                System.out.printf(Locale.ROOT, ", %.3f x %s (rounds: min %.3f, max %.3f)", median(ratios),
                    label(builds.get(0)), ratios[0], ratios[rounds - 1]);
            }
            System.out.println();
        }
    }

    private static double[] trial(final String build, final String shape, final int warmRuns, final int runs,
        final int mainCpu, final int workerCpu) throws ReflectiveOperationException, MalformedURLException
    {
        final URL own = CompareBuilds.class.getProtectionDomain().getCodeSource().getLocation();
        final URL[] path = BASELINE.equals(build)
            ? new URL[] {own}
            : new URL[] {new File(build).toURI().toURL(), own};
        try (URLClassLoader loader = new URLClassLoader(path, ClassLoader.getPlatformClassLoader()))
        {
            final Method run = loader.loadClass(ChainTrial.class.getName())
                .getMethod("run", String.class, int.class, int.class, int.class, int.class);
            return (double[])run.invoke(null, BASELINE.equals(build) ? BASELINE : shape, warmRuns, runs, mainCpu,
                workerCpu);
        }
        catch (final InvocationTargetException ex)
        {
            throw new IllegalStateException("trial of " + build + " failed: " + ex.getCause(), ex.getCause());
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("could not close the class loader of " + build, ex);
        }
    }

    private static String value(final String[] args, final int i)
    {
        if (i >= args.length)
        {
            throw new IllegalArgumentException("option " + args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static int count(final String[] args, final int i)
    {
        final String text = value(args, i);
        try
        {
            return Integer.parseInt(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("option " + args[i - 1] + " needs a whole number: " + text, ex);
        }
    }

    private static String label(final String build)
    {
        final String name = new File(build).getName();
        return name.endsWith(".jar") ? name.substring(0, name.length() - 4) : name;
    }

    private static double median(final double[] values)
    {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
