package dev.simpler.mailbox;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.agrona.BufferUtil;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A file-backed shared mapping that an engine and its child processes map at the same time (SPEC §4): heap rings,
 * user shared tensors and mailboxes live in these files.
 * <p>
 * {@link #create(String, long)} makes a new file under {@code /dev/shm} (or {@code java.io.tmpdir} where that does
 * not exist), atomically with owner-only permissions 0600 and an unguessable name
 * {@code simpler-<pid>-<purpose>-<32 hex digits>}. The creating process owns the file: {@link #close()} unmaps and
 * deletes it, a JVM shutdown hook deletes any still open at normal exit, and {@link #sweepStale()} lets the next
 * engine delete the files of an engine that was killed. {@link #openExisting(Path)} maps a file another process
 * created, e.g. in a child; closing that only unmaps.
 * <p>
 * Closing unmaps the memory: no thread may touch {@link #buffer()} or addresses inside the mapping once
 * {@link #close()} has started. Other methods are safe from any thread.
 */
public final class SharedMemoryFile implements AutoCloseable
{
    /** Prefix of every file name. */
    public static final String FILE_NAME_PREFIX = "simpler-";

    /** Largest length that can be mapped as one buffer. */
    public static final long MAX_LENGTH = Integer.MAX_VALUE - 8;

    /** Longest purpose accepted in a file name. */
    public static final int MAX_PURPOSE_LENGTH = 64;

    /** Directory preferred for shared files, a memory-backed file system on Linux. */
    public static final Path SHM_DIRECTORY = Path.of("/dev/shm");

    private static final int RANDOM_BYTES = 16;
    private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();
    private static final Pattern PURPOSE_PATTERN = Pattern.compile("[A-Za-z0-9_-]{1," + MAX_PURPOSE_LENGTH + "}");
    private static final Pattern FILE_NAME_PATTERN =
        Pattern.compile("simpler-(\\d{1,19})-[A-Za-z0-9_-]{1," + MAX_PURPOSE_LENGTH + "}-[0-9a-f]{32}");
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<Path> LIVE_FILES = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean SHUTDOWN_HOOK_REGISTERED = new AtomicBoolean();
    private static final byte[] EMPTY = new byte[0];

    private final Path path;
    private final long length;
    private final boolean deleteOnClose;
    private final MappedByteBuffer mappedBuffer;
    private final UnsafeBuffer buffer;
    private final long address;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SharedMemoryFile(
        final Path path, final long length, final boolean deleteOnClose, final MappedByteBuffer mappedBuffer)
    {
        this.path = path;
        this.length = length;
        this.deleteOnClose = deleteOnClose;
        this.mappedBuffer = mappedBuffer;
        this.buffer = new UnsafeBuffer(mappedBuffer);
        this.address = BufferUtil.address(mappedBuffer);
    }

    /**
     * Create and map a new file in {@link #defaultDirectory()}.
     *
     * @param purpose what the file is for, e.g. {@code "heap0"} or {@code "mailbox"}; letters, digits, '_' and '-'.
     * @param length  size in bytes, 1..{@link #MAX_LENGTH}; the file is sparse until touched.
     * @return the mapped file, owned by this process.
     * @throws IllegalArgumentException if {@code purpose} or {@code length} is out of range.
     * @throws IllegalStateException    if the directory has less usable space than {@code length}.
     * @throws UncheckedIOException     if the file cannot be created or mapped; nothing is left behind.
     */
    public static SharedMemoryFile create(final String purpose, final long length)
    {
        return create(defaultDirectory(), purpose, length);
    }

    /**
     * Create and map a new file in the given directory.
     *
     * @param directory where to create the file.
     * @param purpose   what the file is for; letters, digits, '_' and '-'.
     * @param length    size in bytes, 1..{@link #MAX_LENGTH}; the file is sparse until touched.
     * @return the mapped file, owned by this process.
     * @throws IllegalArgumentException if {@code purpose} or {@code length} is out of range.
     * @throws IllegalStateException    if the directory has less usable space than {@code length}, as touching a
     *                                  page of a sparse file on a full tmpfs would crash the JVM with SIGBUS.
     * @throws UncheckedIOException     if the file cannot be created or mapped; nothing is left behind.
     */
    public static SharedMemoryFile create(final Path directory, final String purpose, final long length)
    {
        if (null == purpose || !PURPOSE_PATTERN.matcher(purpose).matches())
        {
            throw new IllegalArgumentException("purpose must be 1.." + MAX_PURPOSE_LENGTH +
                " letters, digits, '_' or '-': purpose=" + purpose);
        }
        checkLength(length, directory);
        checkUsableSpace(directory, length);
        ensureShutdownHook();

        final Path path = directory.resolve(
            FILE_NAME_PREFIX + ProcessHandle.current().pid() + "-" + purpose + "-" + randomHex());

        // Registered before it exists so that no instant leaves a created file unknown to the shutdown hook.
        LIVE_FILES.add(path);
        boolean created = false;
        MappedByteBuffer mappedBuffer = null;
        try
        {
            Files.createFile(path, OWNER_ONLY);
            created = true;
            mappedBuffer = map(path, length, true);
            return new SharedMemoryFile(path, length, true, mappedBuffer);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (null != mappedBuffer)
            {
                IoUtil.unmap(mappedBuffer);
            }
            if (created)
            {
                deleteQuietly(path, ex);
            }
            LIVE_FILES.remove(path);

            if (ex instanceof IOException)
            {
                throw new UncheckedIOException(
                    "failed to create shared memory file: path=" + path + ", length=" + length, (IOException)ex);
            }
            throw (RuntimeException)ex;
        }
    }

    /**
     * Map an existing file, e.g. one the engine created, from a child process. Closing it unmaps but never deletes.
     *
     * @param path of the file.
     * @return the mapped file, spanning the file's whole length.
     * @throws IllegalArgumentException if the file's length is not 1..{@link #MAX_LENGTH}.
     * @throws UncheckedIOException     if the file cannot be read or mapped.
     */
    public static SharedMemoryFile openExisting(final Path path)
    {
        try
        {
            final long length = Files.size(path);
            checkLength(length, path);
            return new SharedMemoryFile(path, length, false, map(path, length, false));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to map shared memory file: path=" + path, ex);
        }
    }

    /**
     * Where {@link #create(String, long)} puts files.
     *
     * @return {@code /dev/shm} if it is a directory, else {@code java.io.tmpdir}.
     */
    public static Path defaultDirectory()
    {
        return Files.isDirectory(SHM_DIRECTORY) ? SHM_DIRECTORY : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * Delete the files in {@link #defaultDirectory()} left behind by engines that no longer run, e.g. after SIGKILL.
     *
     * @return how many files were deleted.
     * @throws UncheckedIOException if the directory cannot be listed.
     * @see #sweepStale(Path)
     */
    public static int sweepStale()
    {
        return sweepStale(defaultDirectory());
    }

    /**
     * Delete the files in a directory left behind by engines that no longer run: regular files named
     * {@code simpler-<pid>-<purpose>-<32 hex digits>}, owned by the current user, whose pid is not a live process.
     * Files of live processes (including this one), of other users, and with other names are never touched. A pid
     * reused by an unrelated live process keeps its file until that process exits.
     *
     * @param directory to sweep; a directory that does not exist has nothing to sweep.
     * @return how many files were deleted.
     * @throws UncheckedIOException if the directory cannot be listed.
     */
    public static int sweepStale(final Path directory)
    {
        if (!Files.isDirectory(directory))
        {
            return 0;
        }

        final long currentPid = ProcessHandle.current().pid();
        int deleted = 0;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, FILE_NAME_PREFIX + "*"))
        {
            final UserPrincipal currentUser = currentUser(directory);
            for (final Path file : stream)
            {
                final Matcher matcher = FILE_NAME_PATTERN.matcher(file.getFileName().toString());
                if (!matcher.matches())
                {
                    continue;
                }

                final long pid = parsePid(matcher.group(1));
                if (pid <= 0 || pid == currentPid || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                {
                    continue;
                }

                if (deleteIfOwnedRegularFile(file, currentUser))
                {
                    deleted++;
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to sweep stale shared memory files: directory=" + directory, ex);
        }

        return deleted;
    }

    /**
     * Path of the file.
     *
     * @return the path.
     */
    public Path path()
    {
        return path;
    }

    /**
     * Length of the mapping.
     *
     * @return the length in bytes.
     */
    public long length()
    {
        return length;
    }

    /**
     * Address of the first byte of the mapping in this process; the same file has a different address in another.
     *
     * @return the base address.
     */
    public long address()
    {
        return address;
    }

    /**
     * A buffer over the whole mapping. After {@link #close()} it is emptied, so a late access fails a bounds check
     * instead of touching unmapped memory (bounds checks are on unless Agrona's are disabled).
     *
     * @return the buffer, one instance per file.
     */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    /**
     * Is the range {@code [address, address + length)} inside this mapping?
     *
     * @param address start of the range in this process.
     * @param length  bytes in the range, non-negative.
     * @return true if the mapping is open and holds the whole range.
     */
    public boolean contains(final long address, final long length)
    {
        if (length < 0 || closed.get())
        {
            return false;
        }

        return address >= this.address && length <= this.length && address - this.address <= this.length - length;
    }

    /**
     * Has {@link #close()} been called?
     *
     * @return true once closed.
     */
    public boolean isClosed()
    {
        return closed.get();
    }

    /**
     * Unmap the file and, if this process created it, delete it. Calling it again does nothing.
     *
     * @throws UncheckedIOException if a created file cannot be deleted; the shutdown hook tries again at exit.
     */
    public void close()
    {
        if (!closed.compareAndSet(false, true))
        {
            return;
        }

        buffer.wrap(EMPTY);
        IoUtil.unmap(mappedBuffer);

        if (deleteOnClose)
        {
            try
            {
                Files.deleteIfExists(path);
                LIVE_FILES.remove(path);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("failed to delete shared memory file: path=" + path, ex);
            }
        }
    }

    /**
     * Delete the file, if this process created it, and leave its memory mapped: for memory that a thread which cannot
     * be stopped may still write, where unmapping would crash the JVM. The mapping goes when its buffer is no longer
     * reachable (the JDK unmaps it then), or at {@link #close()}. Does nothing once closed.
     *
     * @throws UncheckedIOException if a created file cannot be deleted; the shutdown hook tries again at exit.
     */
    public void deleteLeavingMapped()
    {
        if (!deleteOnClose || closed.get())
        {
            return;
        }

        try
        {
            Files.deleteIfExists(path);
            LIVE_FILES.remove(path);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to delete shared memory file: path=" + path, ex);
        }
    }

    /**
     * Describe the file for diagnostics.
     *
     * @return path, length, address and whether it is closed.
     */
    @Override
    public String toString()
    {
        return "SharedMemoryFile{path=" + path + ", length=" + length + ", address=0x" + Long.toHexString(address) +
            ", owner=" + deleteOnClose + ", closed=" + closed.get() + "}";
    }

    static boolean isRegisteredForCleanup(final Path path)
    {
        return LIVE_FILES.contains(path);
    }

    private static MappedByteBuffer map(final Path path, final long length, final boolean setLength)
        throws IOException
    {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw"))
        {
            if (setLength)
            {
                file.setLength(length);
            }

            // The mapping stays valid after the channel is closed.
            return file.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, length);
        }
    }

    private static void checkLength(final long length, final Path path)
    {
        if (length < 1 || length > MAX_LENGTH)
        {
            throw new IllegalArgumentException(
                "length must be in 1.." + MAX_LENGTH + ": length=" + length + ", path=" + path);
        }
    }

    private static void checkUsableSpace(final Path directory, final long length)
    {
        final long usableSpace;
        try
        {
            usableSpace = Files.getFileStore(directory).getUsableSpace();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to query shared memory directory: directory=" + directory, ex);
        }

        if (usableSpace < length)
        {
            throw new IllegalStateException("not enough space for shared memory file, free space or use a smaller " +
                "size: directory=" + directory + ", length=" + length + ", usableSpace=" + usableSpace);
        }
    }

    private static void ensureShutdownHook()
    {
        if (!SHUTDOWN_HOOK_REGISTERED.get() && SHUTDOWN_HOOK_REGISTERED.compareAndSet(false, true))
        {
            try
            {
                Runtime.getRuntime().addShutdownHook(
                    new Thread(SharedMemoryFile::deleteLiveFiles, "simpler-shared-memory-cleanup"));
            }
            catch (final IllegalStateException ex)
            {
                SHUTDOWN_HOOK_REGISTERED.set(false);
                throw new IllegalStateException("cannot create shared memory files while the JVM shuts down", ex);
            }
        }
    }

    // Deletes only: unmapping here could crash threads still using the memory, and exit unmaps anyway.
    private static void deleteLiveFiles()
    {
        for (final Path path : LIVE_FILES)
        {
            try
            {
                Files.deleteIfExists(path);
            }
            catch (final IOException | RuntimeException ignore)
            {
                // Best effort at exit; the next engine's sweepStale() removes what is left.
            }
        }
    }

    private static String randomHex()
    {
        final byte[] bytes = new byte[RANDOM_BYTES];
        RANDOM.nextBytes(bytes);

        final char[] chars = new char[RANDOM_BYTES * 2];
        for (int i = 0; i < RANDOM_BYTES; i++)
        {
            chars[2 * i] = HEX_DIGITS[(bytes[i] >> 4) & 0xF];
            chars[2 * i + 1] = HEX_DIGITS[bytes[i] & 0xF];
        }

        return new String(chars);
    }

    private static long parsePid(final String digits)
    {
        try
        {
            return Long.parseLong(digits);
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    private static UserPrincipal currentUser(final Path directory) throws IOException
    {
        // /proc/self is owned by the effective uid; without procfs fall back to the user name.
        final Path procSelf = Path.of("/proc/self");
        if (Files.isDirectory(procSelf))
        {
            return Files.getOwner(procSelf);
        }

        return directory.getFileSystem().getUserPrincipalLookupService()
            .lookupPrincipalByName(System.getProperty("user.name"));
    }

    private static boolean deleteIfOwnedRegularFile(final Path file, final UserPrincipal currentUser)
    {
        try
        {
            final PosixFileAttributes attributes =
                Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return attributes.isRegularFile() && currentUser.equals(attributes.owner()) && Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            // Gone, or not ours to delete: either way it is not a stale file of this user.
            return false;
        }
    }

    private static void deleteQuietly(final Path path, final Exception cause)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            cause.addSuppressed(ex);
        }
    }
}
