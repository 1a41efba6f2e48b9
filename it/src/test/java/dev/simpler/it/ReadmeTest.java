package dev.simpler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * README.md's "Use it in your project" shows what the consumer project (src/it/consumer) is, so that the build of
 * the consumer, which the invoker plugin runs after these tests, checks what the README tells a user: the
 * dependencies, the program and the java command lines.
 */
class ReadmeTest
{
    private static final String SECTION = "## Use it in your project";

    private static final Pattern FENCE = Pattern.compile("```(\\w+)\\n(.*?)```\\n", Pattern.DOTALL);

    private static final Pattern COMMAND_LINE = Pattern.compile("<commandlineArgs>(.*?)</commandlineArgs>");

    @Test
    void theReadmeProgramIsTheConsumersHello() throws IOException
    {
        assertEquals(read(consumer().resolve("src/main/java/Hello.java")), block("java"),
            "README.md's program and it/src/it/consumer/src/main/java/Hello.java differ");
    }

    @Test
    void theReadmeDependenciesAreTheConsumers() throws IOException
    {
        final String version = System.getProperty("simpler.version");
        final String shown = block("xml");
        assertTrue(shown.contains("<version>" + version + "</version>"), "README.md names version " + version);
        final String pom = read(consumer().resolve("pom.xml"));
        assertTrue(lines(pom).contains(lines(shown.replace(version, "@project.version@"))),
            "it/src/it/consumer/pom.xml does not contain README.md's dependencies:\n" + shown);
    }

    @Test
    void everyJavaCommandOfTheReadmeIsOneTheConsumerRuns() throws IOException
    {
        final List<List<String>> run = new ArrayList<>();
        final Matcher args = COMMAND_LINE.matcher(read(consumer().resolve("pom.xml")));
        while (args.find())
        {
            run.add(options(args.group(1)));
        }
        int commands = 0;
        for (final String line : block("bash").split("\n"))
        {
            final int java = line.indexOf("java --");
            if (java >= 0)
            {
                commands++;
                final List<String> shown = options(line.substring(java + "java ".length()));
                assertTrue(run.contains(shown), "README.md runs java with " + shown + "; the consumer only with "
                    + run);
            }
        }
        assertEquals(2, commands, "java commands in README.md's section (class path and module path)");
    }

    /** The options of a java command line: its words less the main class and the values of -cp and -p. */
    private static List<String> options(final String commandLine)
    {
        final List<String> words = new ArrayList<>(Arrays.asList(commandLine.trim().split("\\s+")));
        words.remove(words.size() - 1);
        final List<String> options = new ArrayList<>();
        for (int i = 0; i < words.size(); i++)
        {
            options.add(words.get(i));
            if (words.get(i).equals("-cp") || words.get(i).equals("-p"))
            {
                i++;
            }
        }
        return options;
    }

    /** The one fenced block of a language in the section, without its fences. */
    private static String block(final String language) throws IOException
    {
        final String readme = read(Path.of(System.getProperty("simpler.readme")));
        final int start = readme.indexOf(SECTION);
        assertTrue(start >= 0, "README.md has a section " + SECTION);
        final int end = readme.indexOf("\n## ", start + SECTION.length());
        final Matcher fence = FENCE.matcher(readme.substring(start, end < 0 ? readme.length() : end));
        String found = null;
        while (fence.find())
        {
            if (fence.group(1).equals(language))
            {
                assertNull(found, "one " + language + " block in README.md's section " + SECTION);
                found = fence.group(2);
            }
        }
        assertTrue(found != null, "a " + language + " block in README.md's section " + SECTION);
        return found;
    }

    /** The text with each line trimmed, so that the same XML matches at any indentation. */
    private static String lines(final String text)
    {
        final StringBuilder out = new StringBuilder();
        for (final String line : text.split("\n"))
        {
            out.append(line.trim()).append('\n');
        }
        return out.toString();
    }

    private static Path consumer()
    {
        return Path.of(System.getProperty("simpler.consumer"));
    }

    private static String read(final Path file) throws IOException
    {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
