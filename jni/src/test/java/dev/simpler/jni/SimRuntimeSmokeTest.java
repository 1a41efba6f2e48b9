package dev.simpler.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sim runtime's own C test (src/test/c/sim_smoke.c), compiled with gcc and run against the library the build
 * put on the class path: every kernel against a reference, every error code, the thread pool and the lifecycle,
 * through the C API alone.
 */
class SimRuntimeSmokeTest
{
    @Test
    @Timeout(300)
    void simRuntimePassesItsCSmokeTest() throws IOException, InterruptedException
    {
        final Path source = Path.of("src/test/c/sim_smoke.c");
        final Path binary = Path.of("target/sim_smoke");
        final Path library = Path.of("target/classes/dev/simpler/jni/linux-x86_64/libsimpler_sim.so");
        assertEquals("", run("gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread", "-o",
            binary.toString(), source.toString(), "-ldl", "-lm"), "gcc");
        assertEquals("", run(binary.toAbsolutePath().toString(), library.toAbsolutePath().toString(), "quick"),
            "sim_smoke");
    }

    private static String run(final String... command) throws IOException, InterruptedException
    {
        final Path output = Files.createTempFile("sim-smoke", ".log");
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
            if (!process.waitFor(240, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor();
                return "timed out: " + String.join(" ", command);
            }
            final String text = Files.readString(output, StandardCharsets.UTF_8);
            return process.exitValue() == 0 ? "" : "exit " + process.exitValue() + ":\n" + text;
        }
        finally
        {
            Files.deleteIfExists(output);
        }
    }
}
