package dev.simpler.mailbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class SharedMemoryFileTest
{
    private static final long LENGTH = 64 * 1024;
    private static final int LENGTH_MINUS_FOUR = (int)LENGTH - 4;
    private static final String HEX_32 = "0123456789abcdef0123456789abcdef";

    private final List<SharedMemoryFile> opened = new ArrayList<>();

    @TempDir
    Path tempDir;

    @AfterEach
    void closeAll()
    {
        opened.forEach(SharedMemoryFile::close);
    }

    @Test
    void createsAFileWithOwnerOnlyPermissions() throws IOException
    {
        final SharedMemoryFile file = track(SharedMemoryFile.create("perm", LENGTH));

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path())));
    }

    @Test
    void createsTheFileInDevShmWhenItExists()
    {
        final SharedMemoryFile file = track(SharedMemoryFile.create("where", LENGTH));

        assertEquals(SharedMemoryFile.defaultDirectory(), file.path().getParent());
        if (Files.isDirectory(Path.of("/dev/shm")))
        {
            assertEquals(Path.of("/dev/shm"), file.path().getParent());
        }
    }

    @Test
    void nameIsPrefixPidPurposeAnd32HexDigits()
    {
        final SharedMemoryFile file = track(SharedMemoryFile.create("heap0", LENGTH));

        final String expected = "simpler-" + ProcessHandle.current().pid() + "-heap0-[0-9a-f]{32}";
        assertTrue(Pattern.matches(expected, file.path().getFileName().toString()), file.path().toString());
    }

    @Test
    void namesAreUniqueForTheSamePurpose()
    {
        final SharedMemoryFile first = track(SharedMemoryFile.create("same", LENGTH));
        final SharedMemoryFile second = track(SharedMemoryFile.create("same", LENGTH));

        assertNotEquals(first.path(), second.path());
    }

    @Test
    void fileIsSizedToTheRequestedLength() throws IOException
    {
        final SharedMemoryFile file = track(SharedMemoryFile.create(tempDir, "size", LENGTH));

        assertEquals(LENGTH, Files.size(file.path()));
        assertEquals(LENGTH, file.length());
        assertEquals(LENGTH, file.buffer().capacity());
    }

    @Test
    void bufferStartsAtTheMappingAddress()
    {
        final SharedMemoryFile file = track(SharedMemoryFile.create("addr", LENGTH));

        assertEquals(file.address(), file.buffer().addressOffset());
        assertNotEquals(0L, file.address());
    }

    @Test
    void dataWrittenThroughOneMappingIsVisibleThroughAnotherMappingOfTheSameFile()
    {
        final SharedMemoryFile owner = track(SharedMemoryFile.create("share", LENGTH));
        final SharedMemoryFile other = track(SharedMemoryFile.openExisting(owner.path()));

        owner.buffer().putLong(1024, 0x1234_5678_9ABC_DEF0L);
        other.buffer().putIntRelease(LENGTH_MINUS_FOUR, 99);

        assertNotEquals(owner.address(), other.address());
        assertEquals(0x1234_5678_9ABC_DEF0L, other.buffer().getLong(1024));
        assertEquals(99, owner.buffer().getIntAcquire(LENGTH_MINUS_FOUR));
    }

    @Test
    void closeDeletesACreatedFile()
    {
        final SharedMemoryFile file = SharedMemoryFile.create("delete", LENGTH);

        file.close();

        assertFalse(Files.exists(file.path()));
        assertTrue(file.isClosed());
    }

    @Test
    void closeUnmapsTheFile() throws IOException
    {
        final SharedMemoryFile file = SharedMemoryFile.create("unmap", LENGTH);
        final String name = file.path().toString();
        assertTrue(mappedPaths().contains(name), "mapped before close");

        file.close();

        assertFalse(mappedPaths().contains(name), "mapped after close");
    }

    @Test
    void closeIsIdempotent()
    {
        final SharedMemoryFile file = SharedMemoryFile.create("twice", LENGTH);

        file.close();
        file.close();

        assertFalse(Files.exists(file.path()));
    }

    @Test
    void closeOfAnOpenedFileUnmapsButKeepsTheFile() throws IOException
    {
        final SharedMemoryFile owner = track(SharedMemoryFile.create("keep", LENGTH));
        final SharedMemoryFile other = SharedMemoryFile.openExisting(owner.path());
        final long otherAddress = other.address();

        other.close();

        assertTrue(Files.exists(owner.path()));
        assertFalse(mappedAt(otherAddress));
    }

    @Test
    void bufferIsEmptiedOnCloseSoALateAccessFailsABoundsCheck()
    {
        final SharedMemoryFile file = SharedMemoryFile.create("late", LENGTH);
        final UnsafeBuffer buffer = file.buffer();

        file.close();

        assertEquals(0, buffer.capacity());
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.getLong(0));
    }

    @Test
    void createdFileIsRegisteredForCleanupUntilClosed()
    {
        final SharedMemoryFile file = SharedMemoryFile.create("registry", LENGTH);
        assertTrue(SharedMemoryFile.isRegisteredForCleanup(file.path()));

        file.close();

        assertFalse(SharedMemoryFile.isRegisteredForCleanup(file.path()));
    }

    @Test
    void openedFileIsNotRegisteredForCleanup()
    {
        final SharedMemoryFile owner = track(SharedMemoryFile.create("notreg", LENGTH));
        final SharedMemoryFile other = track(SharedMemoryFile.openExisting(owner.path()));

        other.close();

        assertTrue(SharedMemoryFile.isRegisteredForCleanup(owner.path()));
    }

    @Test
    void containsAcceptsRangesInsideTheMapping()
    {
        final SharedMemoryFile file = track(SharedMemoryFile.create("contains", LENGTH));

        assertTrue(file.contains(file.address(), LENGTH));
        assertTrue(file.contains(file.address() + LENGTH - 8, 8));
        assertTrue(file.contains(file.address() + LENGTH, 0));
    }

    @Test
    void containsRejectsRangesThatLeaveTheMapping()
    {
        final SharedMemoryFile file = track(SharedMemoryFile.create("outside", LENGTH));

        assertFalse(file.contains(file.address() - 1, 8));
        assertFalse(file.contains(file.address() + LENGTH - 7, 8));
        assertFalse(file.contains(file.address(), LENGTH + 1));
        assertFalse(file.contains(file.address(), -1));
        assertFalse(file.contains(Long.MAX_VALUE, 8));
    }

    @Test
    void containsIsFalseAfterClose()
    {
        final SharedMemoryFile file = SharedMemoryFile.create("closed", LENGTH);

        file.close();

        assertFalse(file.contains(file.address(), 8));
    }

    @Test
    void rejectsAZeroLength()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> SharedMemoryFile.create(tempDir, "zero", 0));

        assertEquals("length must be in 1..2147483639: length=0, path=" + tempDir, ex.getMessage());
    }

    @Test
    void rejectsALengthOverTheLargestBuffer()
    {
        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> SharedMemoryFile.create(tempDir, "huge", Integer.MAX_VALUE));

        assertEquals("length must be in 1..2147483639: length=2147483647, path=" + tempDir, ex.getMessage());
    }

    @Test
    void rejectsAPurposeThatCouldEscapeTheDirectory()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> SharedMemoryFile.create(tempDir, "../x", LENGTH));

        assertEquals("purpose must be 1..64 letters, digits, '_' or '-': purpose=../x", ex.getMessage());
    }

    @Test
    void failedCreateLeavesNoFileBehind() throws IOException
    {
        final Path missing = tempDir.resolve("missing");

        assertThrows(RuntimeException.class, () -> SharedMemoryFile.create(missing, "nodir", LENGTH));

        try (var files = Files.list(tempDir))
        {
            assertEquals(List.of(), files.toList());
        }
    }

    @Test
    void openExistingRejectsAnEmptyFile() throws IOException
    {
        final Path empty = Files.createFile(tempDir.resolve("empty"));

        assertThrows(IllegalArgumentException.class, () -> SharedMemoryFile.openExisting(empty));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void sweepStaleRemovesAFileOfAProcessThatHasExited() throws Exception
    {
        final Process process = new ProcessBuilder("true").start();
        process.waitFor();
        final Path stale = Files.createFile(tempDir.resolve("simpler-" + process.pid() + "-heap0-" + HEX_32));

        final int swept = SharedMemoryFile.sweepStale(tempDir);

        assertEquals(1, swept);
        assertFalse(Files.exists(stale));
    }

    @Test
    void sweepStaleKeepsAFileOfTheCurrentProcess() throws IOException
    {
        final Path live = Files.createFile(
            tempDir.resolve("simpler-" + ProcessHandle.current().pid() + "-heap0-" + HEX_32));

        final int swept = SharedMemoryFile.sweepStale(tempDir);

        assertEquals(0, swept);
        assertTrue(Files.exists(live));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void sweepStaleKeepsFilesThatDoNotMatchTheNamePattern() throws Exception
    {
        final Process process = new ProcessBuilder("true").start();
        process.waitFor();
        final long pid = process.pid();
        final List<Path> others = List.of(
            Files.createFile(tempDir.resolve("simpler-" + pid + "-heap0")),
            Files.createFile(tempDir.resolve("simpler-" + pid + "-heap0-" + HEX_32.toUpperCase())),
            Files.createFile(tempDir.resolve("simpler-" + pid + "-heap0-" + HEX_32 + ".bak")),
            Files.createFile(tempDir.resolve("simpler-x" + pid + "-heap0-" + HEX_32)),
            Files.createFile(tempDir.resolve("other-" + pid + "-heap0-" + HEX_32)));

        final int swept = SharedMemoryFile.sweepStale(tempDir);

        assertEquals(0, swept);
        others.forEach(path -> assertTrue(Files.exists(path), path.toString()));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void sweepStaleKeepsADirectoryNamedLikeAStaleFile() throws Exception
    {
        final Process process = new ProcessBuilder("true").start();
        process.waitFor();
        final Path directory = Files.createDirectory(tempDir.resolve("simpler-" + process.pid() + "-dir-" + HEX_32));

        assertEquals(0, SharedMemoryFile.sweepStale(tempDir));
        assertTrue(Files.isDirectory(directory));
    }

    @Test
    void sweepStaleOfAMissingDirectoryDeletesNothing()
    {
        assertEquals(0, SharedMemoryFile.sweepStale(tempDir.resolve("missing")));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shutdownHookDeletesFilesStillOpenAtNormalExit() throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Agrona needs the same module openings as this JVM.
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(arg -> arg.startsWith("--add-opens") || arg.startsWith("--add-exports"))
            .forEach(command::add);
        command.addAll(List.of(
            "-cp", System.getProperty("java.class.path"), ExitWithOpenFile.class.getName(), tempDir.toString()));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes()).trim();

        assertEquals(0, process.waitFor(), output);
        final Path created = Path.of(output);
        assertTrue(created.getFileName().toString().startsWith("simpler-" + process.pid() + "-exit-"), output);
        assertFalse(Files.exists(created), output);
    }

    private SharedMemoryFile track(final SharedMemoryFile file)
    {
        opened.add(file);
        return file;
    }

    private static String mappedPaths() throws IOException
    {
        return Files.readString(Path.of("/proc/self/maps"));
    }

    private static boolean mappedAt(final long address) throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/maps")))
        {
            final String[] range = line.substring(0, line.indexOf(' ')).split("-");
            final long start = Long.parseUnsignedLong(range[0], 16);
            final long end = Long.parseUnsignedLong(range[1], 16);
            if (address >= start && address < end && line.contains("/simpler-"))
            {
                return true;
            }
        }

        return false;
    }

    /**
     * Child process main: creates a file, prints its path, and exits normally without closing it.
     */
    public static final class ExitWithOpenFile
    {
        private ExitWithOpenFile()
        {
        }

        /**
         * Entry point.
         *
         * @param args the directory to create the file in.
         */
        public static void main(final String[] args)
        {
            final SharedMemoryFile file = SharedMemoryFile.create(Path.of(args[0]), "exit", 4096);
            file.buffer().putLong(0, 1L);
            System.out.println(file.path());
        }
    }
}
