package dev.simpler.engine.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.simpler.engine.JvmFlags;
import dev.simpler.mailbox.SharedMemoryFile;

/**
 * Starts child JVMs: the same java binary and class path as the engine (which works under Maven Surefire, whose
 * class path is a manifest-only jar, and from a packaged jar alike), the JVM options Agrona needs, and
 * {@link ChildMain} with a spec file.
 */
public final class ChildLauncher
{
    /** JVM options every child gets: the flags Agrona needs ({@link JvmFlags}), and a child needs little heap. */
    static final List<String> BASE_OPTIONS = baseOptions();

    private final List<String> extraOptions;

    /**
     * A launcher.
     *
     * @param extraOptions JVM options added after the base ones.
     */
    public ChildLauncher(final List<String> extraOptions)
    {
        this.extraOptions = List.copyOf(extraOptions);
    }

    private static List<String> baseOptions()
    {
        final List<String> options = new ArrayList<>(JvmFlags.OPTIONS);
        options.addAll(List.of("-XX:+UseSerialGC", "-Xss1m", "-XX:-UsePerfData"));
        return List.copyOf(options);
    }

    /**
     * Write a serializable object to a new owner-only shared file.
     *
     * @param purpose file name part.
     * @param object  the object.
     * @return the file; the caller closes (deletes) it.
     */
    static SharedMemoryFile writeObject(final String purpose, final Object object)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes))
        {
            out.writeObject(object);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot serialize what the child needs (are the sub callables and the "
                + "WorkerFactory serializable, and everything they capture?): " + ex, ex);
        }
        final byte[] data = bytes.toByteArray();
        final SharedMemoryFile file = SharedMemoryFile.create(purpose, data.length);
        file.buffer().putBytes(0, data);
        return file;
    }

    /**
     * Start a child.
     *
     * @param mailboxFile the child's mailbox.
     * @param specFile    the serialized {@link ChildSpec}.
     * @return the process.
     * @throws UncheckedIOException when the JVM cannot be started.
     */
    public Process launch(final Path mailboxFile, final Path specFile)
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(BASE_OPTIONS);
        command.addAll(extraOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ChildMain.class.getName());
        command.add("--mailbox");
        command.add(mailboxFile.toString());
        command.add("--spec");
        command.add(specFile.toString());
        try
        {
            return new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start a child JVM: " + command.get(0) + ": " + ex, ex);
        }
    }
}
