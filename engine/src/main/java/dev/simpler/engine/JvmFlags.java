package dev.simpler.engine;

import java.util.ArrayList;
import java.util.List;

import org.agrona.BufferUtil;

/**
 * The JVM flags the engine needs, and the check that this JVM was started with them (SPEC §11).
 *
 * <p>Agrona builds its direct buffers, and unmaps shared memory, with {@code jdk.internal.misc.Unsafe}, which
 * {@code java.base} exports to no library unless the command line says so. Without the flag the first Agrona
 * buffer fails with {@code NoClassDefFoundError: Could not initialize class org.agrona.BufferUtil}, which names
 * neither the cause nor the fix. So the first engine call checks the flags and throws an
 * {@link IllegalStateException} that names each missing one, ready to paste. The first engine call is any of:
 * {@link Worker#builder()}, the first {@link Tensor#buffer()} of a tensor, and {@code ChipWorker.open} /
 * {@code ChipWorker.openSim} of simpler-jni; everything else in the engine is reached through one of them.
 *
 * <p>Agrona 2.6.0 on JDK 17 and JDK 25 needs {@code jdk.internal.misc} and nothing else ({@code sun.nio.ch} and
 * {@code java.nio} are not needed). Exporting the package is enough; the flag named here opens it, the usual form for
 * Agrona 2, which also exports it; the check accepts either.
 */
public final class JvmFlags
{
    /** The java.base packages Agrona's module must be able to use. */
    private static final List<String> PACKAGES = List.of("jdk.internal.misc");

    /** Where the engine's jars are on the class path, as in every child JVM: the flags' target. */
    private static final String CLASS_PATH_TARGET = "ALL-UNNAMED";

    /**
     * The flags as separate words of a java command line, for a JVM with the engine on its class path; every
     * child JVM of PROCESS mode is started with them.
     */
    public static final List<String> OPTIONS = options(PACKAGES, CLASS_PATH_TARGET);

    // Computed once per JVM, at the first check: the flags of a running JVM do not change.
    private static final String MISSING = missing(BufferUtil.class.getModule());

    private JvmFlags()
    {
    }

    /**
     * Check that this JVM gives Agrona what it needs; costs a read of a constant after the first call.
     *
     * @throws IllegalStateException naming every missing flag, as it is typed on the java command line.
     */
    public static void check()
    {
        if (MISSING != null)
        {
            throw new IllegalStateException(MISSING);
        }
    }

    /**
     * The problem a module has as the user of Agrona, or null when it has none.
     *
     * @param agrona the module that Agrona's classes are in.
     * @return the message for {@link #check()}, or null.
     */
    static String missing(final Module agrona)
    {
        final Module javaBase = Object.class.getModule();
        final List<String> absent = new ArrayList<>();
        for (final String pkg : PACKAGES)
        {
            if (!javaBase.isExported(pkg, agrona))
            {
                absent.add(pkg);
            }
        }
        if (absent.isEmpty())
        {
            return null;
        }
        final String target = agrona.isNamed() ? agrona.getName() : CLASS_PATH_TARGET;
        final String where = agrona.isNamed() ? "module " + agrona.getName() : "the class path";
        return "this JVM was started without the flags that the simpler engine needs: Agrona's direct buffers and "
            + "the unmapping of shared memory use jdk.internal.misc.Unsafe, which java.base does not export to "
            + where + "; add to the java command line, before the main class or -jar: "
            + String.join(" ", options(absent, target));
    }

    private static List<String> options(final List<String> packages, final String target)
    {
        final List<String> words = new ArrayList<>();
        for (final String pkg : packages)
        {
            words.add("--add-opens");
            words.add("java.base/" + pkg + "=" + target);
        }
        return List.copyOf(words);
    }
}
