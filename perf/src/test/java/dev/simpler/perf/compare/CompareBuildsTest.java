package dev.simpler.perf.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link CompareBuilds} runs each build's trial in class loaders of its own and reports per-round figures and
 * ratios. The baseline needs no engine jar, so it stands in for two builds here.
 */
class CompareBuildsTest
{
    @Test
    @Timeout(120)
    void everyRoundRunsEveryBuildAndTheSummaryComparesThemWithTheFirst() throws Exception
    {
        final String out = capture(() -> CompareBuilds.main(new String[] {
            "-rounds", "3", "-warm", "2", "-runs", "3", "-pin", "false", "completableFuture", "completableFuture"}));

        final Matcher round = Pattern.compile("(?m)^round +\\d+ +completableFuture (\\d+\\.\\d+) +"
            + "completableFuture (\\d+\\.\\d+)$").matcher(out);
        int rounds = 0;
        while (round.find())
        {
            rounds++;
            assertTrue(Double.parseDouble(round.group(1)) > 0 && Double.parseDouble(round.group(2)) > 0, out);
        }
        assertEquals(3, rounds, out);
        final Matcher ratio = Pattern.compile("median (\\d+\\.\\d+) M tasks/s, (\\d+\\.\\d+) x completableFuture")
            .matcher(out);
        assertTrue(ratio.find(), out);
        assertTrue(Double.parseDouble(ratio.group(2)) > 0, out);
    }

    @Test
    void aMissingBuildJarIsNamed()
    {
        final IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
            () -> CompareBuilds.main(new String[] {"-rounds", "1", "no-such-build.jar"}));
        assertTrue(failure.getMessage().contains("no-such-build.jar"), failure.getMessage());
    }

    @Test
    void anUnknownShapeIsNamedWithTheShapesThereAre()
    {
        final IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
            () -> CompareBuilds.main(new String[] {"-shape", "zigzag", "completableFuture"}));
        assertTrue(failure.getMessage().contains("zigzag") && failure.getMessage().contains("pipeline"),
            failure.getMessage());
    }

    @Test
    void anOptionWithoutANumberIsNamed()
    {
        final IllegalArgumentException notANumber = assertThrows(IllegalArgumentException.class,
            () -> CompareBuilds.main(new String[] {"-rounds", "many", "completableFuture"}));
        assertTrue(notANumber.getMessage().contains("-rounds") && notANumber.getMessage().contains("many"),
            notANumber.getMessage());
        final IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
            () -> CompareBuilds.main(new String[] {"completableFuture", "-runs"}));
        assertTrue(missing.getMessage().contains("-runs needs a value"), missing.getMessage());
    }

    private static String capture(final ThrowingRunnable body) throws Exception
    {
        final PrintStream original = System.out;
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try
        {
            body.run();
        }
        finally
        {
            System.setOut(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** A body that may throw. */
    @FunctionalInterface
    private interface ThrowingRunnable
    {
        void run() throws Exception;
    }
}
