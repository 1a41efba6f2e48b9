package dev.simpler.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The first engine call in a JVM started without the flags Agrona needs (SPEC §11), and with them; each case runs
 * {@link FirstCallMain} in a child JVM of the same java binary and class path as this one.
 */
class JvmFlagsTest
{
    private static final long CHILD_TIMEOUT_S = 50;

    @TempDir
    Path tempDir;

    @ParameterizedTest
    @ValueSource(strings = {FirstCallMain.BUILDER, FirstCallMain.TENSOR_BUFFER})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void firstCallWithoutTheFlagsThrowsIllegalStateExceptionNamingEachFlag(final String call) throws Exception
    {
        final String output = runChild(List.of(), call);

        final String failure = lineStartingWith(output, FirstCallMain.FAILED);
        assertTrue(failure.startsWith(FirstCallMain.FAILED + IllegalStateException.class.getName() + ": "), output);
        for (int i = 0; i < JvmFlags.OPTIONS.size(); i += 2)
        {
            assertTrue(failure.contains(JvmFlags.OPTIONS.get(i) + " " + JvmFlags.OPTIONS.get(i + 1)), failure);
        }
        assertTrue(failure.endsWith(": " + String.join(" ", JvmFlags.OPTIONS)), failure);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void engineRunsTasksInAJvmStartedWithTheFlags() throws Exception
    {
        final String output = runChild(JvmFlags.OPTIONS, FirstCallMain.BUILDER);

        assertEquals(FirstCallMain.OK + "1,2", lineStartingWith(output, FirstCallMain.OK), output);
    }

    @Test
    void checkPassesInAJvmStartedWithTheFlags()
    {
        JvmFlags.check();
        assertNull(JvmFlags.missing(BufferUtil.class.getModule()));
    }

    private String runChild(final List<String> jvmOptions, final String call) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        command.add(FirstCallMain.class.getName());
        command.add(call);
        final Path log = tempDir.resolve("child-" + call + ".log");
        final ProcessBuilder builder =
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        // Flags from the environment would defeat a child started without them.
        builder.environment().remove("JDK_JAVA_OPTIONS");
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        final Process child = builder.start();
        try
        {
            assertTrue(child.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS), "child JVM still running: " + command);
        }
        finally
        {
            child.destroyForcibly();
        }
        return Files.readString(log);
    }

    private static String lineStartingWith(final String output, final String prefix)
    {
        return output.lines().filter(line -> line.startsWith(prefix)).findFirst().orElse("no line " + prefix + output);
    }
}
