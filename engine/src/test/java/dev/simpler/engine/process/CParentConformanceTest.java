package dev.simpler.engine.process;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Byte-level conformance of our child ({@link ChildMain}) with a parent written in C from the SPEC §7 table alone
 * ({@code src/test/resources/conformance/c_parent.c}): the C parent creates the shared files, starts our child JVM
 * with the command-line form, drives it with tasks whose tensors are the parent's addresses, checks every result
 * itself and prints one line per error message it received plus a summary.
 */
class CParentConformanceTest
{
    private static final long C_PARENT_DEADLINE_SECONDS = 110;
    private static final String FILES_PREFIX = "c_parent: files ";

    private static Path cParent;
    private static Path outputDirectory;
    private static Run run;

    @BeforeAll
    @Timeout(240)
    static void compileAndRunTheCParent() throws Exception
    {
        final Path source = Path.of(CParentConformanceTest.class.getResource("/conformance/c_parent.c").toURI());
        outputDirectory = source.getParent().getParent().getParent().resolve("conformance");
        Files.createDirectories(outputDirectory);
        cParent = outputDirectory.resolve("c_parent");
        final Process gcc = new ProcessBuilder(
            "gcc", "-O2", "-Wall", "-Werror", "-o", cParent.toString(), source.toString())
            .redirectErrorStream(true)
            .start();
        final String output = new String(gcc.getInputStream().readAllBytes(), UTF_8);
        assertEquals(0, gcc.waitFor(), () -> "gcc failed to compile " + source + ":\n" + output);

        run = runCParent(ConformanceCallables.class.getName(), "run");
    }

    @Test
    void cParentExitsZeroAfterEveryCheckOfOurChildPassed()
    {
        assertEquals(0, run.exitCode, run::describe);
        assertTrue(run.stdout.lines().anyMatch((line) -> line.matches("c_parent: OK: \\d+ tasks, \\d+ checks, "
            + "child exited 0")), run::describe);
    }

    @Test
    void aThrowingCallableReachesTheCParentAsError2WithTheExceptionsToString()
    {
        assertTrue(run.stdout.lines().anyMatch((line) -> line.equals(
            "callable 2: error 2: java.lang.IllegalStateException: java child: callable 2 failed on purpose")),
            run::describe);
    }

    @Test
    void anUnknownCallableIdReachesTheCParentAsError1NamingTheId()
    {
        assertTrue(run.stdout.lines().anyMatch((line) -> line.startsWith(
            "callable 7: error 1: unknown sub callable id 7: 4 callable(s) registered")), run::describe);
    }

    @Test
    void anIdAbove32BitsIsUnknownRatherThanTruncated()
    {
        assertTrue(run.stdout.lines().anyMatch((line) -> line.startsWith(
            "callable 2^32: error 1: unknown sub callable id 4294967296:")), run::describe);
    }

    @Test
    void aTensorOutsideTheParentsRegionIsError1NamingTheTensor()
    {
        assertTrue(run.stdout.lines().anyMatch((line) -> line.startsWith(
            "tensor outside the data file: error 1: tensor 0 is not in shared memory mapped by this child")),
            run::describe);
    }

    @Test
    void theCParentLeavesNoSharedFileBehind()
    {
        for (final Path file : run.files())
        {
            assertFalse(Files.exists(file), () -> "left behind: " + file);
        }
    }

    @Test
    @Timeout(180)
    void aChildThatCannotLoadItsCallablesFailsTheCParentClearlyAndLeavesNoFile() throws Exception
    {
        final Run failed = runCParent("dev.simpler.engine.process.NoSuchCallables", "bad-callables");

        assertNotEquals(0, failed.exitCode, failed::describe);
        assertTrue(failed.stderr.contains("c_parent: FAIL: child pid "), failed::describe);
        assertTrue(failed.stderr.contains("NoSuchCallables"), failed::describe);
        assertTrue(failed.stderr.contains("failed to initialise: error 99"), failed::describe);
        for (final Path file : failed.files())
        {
            assertFalse(Files.exists(file), () -> "left behind: " + file);
        }
    }

    private static Run runCParent(final String callablesClass, final String name) throws Exception
    {
        final Path stdout = outputDirectory.resolve("c_parent-" + name + ".out");
        final Path stderr = outputDirectory.resolve("c_parent-" + name + ".err");
        final Process process = new ProcessBuilder(
            cParent.toString(),
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            System.getProperty("java.class.path"),
            callablesClass,
            "-Xmx256m")
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile())
            .start();
        try
        {
            assertTrue(process.waitFor(C_PARENT_DEADLINE_SECONDS, TimeUnit.SECONDS),
                () -> "the C parent did not finish within " + C_PARENT_DEADLINE_SECONDS + " s");
        }
        finally
        {
            if (process.isAlive())
            {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS))
                {
                    process.destroyForcibly();
                }
            }
        }
        return new Run(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
    }

    private static final class Run
    {
        final int exitCode;
        final String stdout;
        final String stderr;

        Run(final int exitCode, final String stdout, final String stderr)
        {
            this.exitCode = exitCode;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        List<Path> files()
        {
            final List<Path> files = new ArrayList<>();
            stdout.lines().filter((line) -> line.startsWith(FILES_PREFIX)).findFirst().ifPresent((line) ->
            {
                for (final String path : line.substring(FILES_PREFIX.length()).split(" "))
                {
                    files.add(Path.of(path));
                }
            });
            assertEquals(2, files.size(), "the C parent names its mailbox and data files: " + describe());
            return files;
        }

        String describe()
        {
            return "C parent exit code " + exitCode + "\n--- stdout ---\n" + stdout + "--- stderr ---\n" + stderr;
        }
    }
}
