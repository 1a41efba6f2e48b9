package dev.simpler.jni;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.simpler.engine.JvmFlags;

/**
 * Opening a chip is a first engine call too (SPEC §11): in a JVM started without the flags Agrona needs it throws
 * an IllegalStateException naming them, and with them it opens the chip. Each case runs {@link OpenSimMain} in a
 * child JVM of the same java binary and class path as this one.
 */
class OpenWithoutJvmFlagsTest
{
    @TempDir
    Path tempDir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void openingAChipWithoutTheFlagsThrowsIllegalStateExceptionNamingThem() throws Exception
    {
        final String output = runChild(List.of());

        assertTrue(output.contains(OpenSimMain.FAILED + IllegalStateException.class.getName() + ": "), output);
        assertTrue(output.contains(String.join(" ", JvmFlags.OPTIONS)), output);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void openingAChipWithTheFlagsSucceeds() throws Exception
    {
        final String output = runChild(JvmFlags.OPTIONS);

        assertTrue(output.lines().anyMatch(OpenSimMain.OK::equals), output);
    }

    private String runChild(final List<String> jvmOptions) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), OpenSimMain.class.getName()));
        final Path log = tempDir.resolve("child.log");
        final ProcessBuilder builder =
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().remove("JDK_JAVA_OPTIONS");
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        final Process child = builder.start();
        try
        {
            assertTrue(child.waitFor(50, TimeUnit.SECONDS), "child JVM still running: " + command);
        }
        finally
        {
            child.destroyForcibly();
        }
        return Files.readString(log);
    }
}
