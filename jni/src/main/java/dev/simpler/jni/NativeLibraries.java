package dev.simpler.jni;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The native libraries that ship inside the jar: the JNI binding and the sim runtime. Each is copied out of the
 * class path once into an owner-only directory named after the user and the library's content hash (so a
 * machine keeps one copy per build, whatever the number of runs), then loaded from there.
 */
final class NativeLibraries
{
    private static final String RESOURCE_DIRECTORY = "/dev/simpler/jni/linux-x86_64/";
    private static final String BINDING = "libsimpler_jni.so";
    private static final String SIM_RUNTIME = "libsimpler_sim.so";

    private static Path simRuntime;
    private static boolean bindingLoaded;

    private NativeLibraries()
    {
    }

    /**
     * Load the JNI binding into this JVM (once).
     */
    static synchronized void loadBinding()
    {
        if (!bindingLoaded)
        {
            System.load(extract(BINDING).toString());
            bindingLoaded = true;
        }
    }

    /**
     * The bundled sim runtime, extracted on first use.
     *
     * @return its path.
     */
    static synchronized Path simRuntime()
    {
        if (simRuntime == null)
        {
            simRuntime = extract(SIM_RUNTIME);
        }
        return simRuntime;
    }

    private static Path extract(final String name)
    {
        checkPlatform();
        final byte[] bytes;
        try (InputStream in = NativeLibraries.class.getResourceAsStream(RESOURCE_DIRECTORY + name))
        {
            if (in == null)
            {
                throw new IllegalStateException("native library " + name + " is missing from the class path at "
                    + RESOURCE_DIRECTORY + "; the simpler-jni build compiles it with gcc");
            }
            bytes = in.readAllBytes();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read native library " + name + " from the class path", ex);
        }
        try
        {
            final Path directory = Path.of(System.getProperty("java.io.tmpdir"),
                "simpler-jni-" + System.getProperty("user.name") + "-" + sha256(bytes).substring(0, 16));
            if (!Files.isDirectory(directory))
            {
                try
                {
                    Files.createDirectory(directory,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                }
                catch (final java.nio.file.FileAlreadyExistsException raced)
                {
                    // Another JVM created it first: fine.
                }
            }
            final Path target = directory.resolve(name);
            if (!Files.exists(target) || Files.size(target) != bytes.length
                || !sha256(Files.readAllBytes(target)).equals(sha256(bytes)))
            {
                final Path temporary = Files.createTempFile(directory, name, ".tmp");
                Files.write(temporary, bytes);
                try
                {
                    Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
                catch (final AtomicMoveNotSupportedException ex)
                {
                    Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return target;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot extract native library " + name, ex);
        }
    }

    private static void checkPlatform()
    {
        final String os = System.getProperty("os.name");
        final String arch = System.getProperty("os.arch");
        if (!"Linux".equals(os) || !("amd64".equals(arch) || "x86_64".equals(arch)))
        {
            throw new UnsupportedOperationException("simpler-jni ships native libraries for Linux x86-64 only: os="
                + os + ", arch=" + arch);
        }
    }

    private static String sha256(final byte[] bytes)
    {
        try
        {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 is not available", ex);
        }
    }
}
