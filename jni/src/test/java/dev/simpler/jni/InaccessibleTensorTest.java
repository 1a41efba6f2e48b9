package dev.simpler.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.simpler.engine.JvmFlags;

/**
 * A tensor in memory that is mapped but not usable the way the kernel needs it (an input in a mapping with no
 * access, an output in a read-only mapping) must fail the run like an unmapped one (SPEC §9: a bad argument
 * "never crashes the JVM"). Each case runs in a child JVM, so that a crash fails the test instead of the suite;
 * the unmapped case is the control that shows the child reports a failed run.
 */
@Timeout(120)
class InaccessibleTensorTest
{
    @ParameterizedTest(name = "tensor in a {0} mapping")
    @ValueSource(strings = {"unmapped", "---p", "r--p", "r-xp"})
    void aTensorInMemoryTheKernelCannotUseFailsTheRunInsteadOfCrashingTheJvm(
        final String permissions, @TempDir final Path dir) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JvmFlags.OPTIONS);
        command.addAll(List.of(
            "-XX:-CreateCoredumpOnCrash",
            "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"),
            "-cp", System.getProperty("java.class.path"),
            InaccessibleTensorMain.class.getName(),
            permissions));
        final Process child = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        final String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child exited: " + output);
        assumeTrue(child.exitValue() != InaccessibleTensorMain.NO_SUCH_MAPPING, output);

        assertEquals(0, child.exitValue(), "the child JVM survived the run: " + output);
        final String result = output.lines().filter((l) -> l.startsWith(InaccessibleTensorMain.RESULT))
            .findFirst().orElse("");
        assertTrue(result.contains("ChipRuntimeException") && result.contains("scale_f32"),
            "the run failed with a ChipRuntimeException naming the kernel: " + output);
    }
}
