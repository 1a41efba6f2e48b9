package dev.simpler.engine.counters;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

import dev.simpler.mailbox.SharedMemoryFile;

/**
 * Layout of the counters file of one Worker (SPEC §14): a header that says whose counters they are, then the
 * metadata and values buffers of an Agrona {@link org.agrona.concurrent.status.CountersManager}, as Aeron's CnC file
 * holds its counters. The file is a {@link SharedMemoryFile} named {@code simpler-<pid>-counters-<32 hex digits>}
 * (0600, in {@link SharedMemoryFile#defaultDirectory()}), so it is removed, and swept after a crash, like the other
 * shared files.
 * <p>
 * Header, all fields little-endian:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                          Magic (i32)                          |   0
 *  +---------------------------------------------------------------+
 *  |                      Layout Version (i32)                     |   4
 *  +---------------------------------------------------------------+
 *  |                           Pid (i64)                           |   8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |               Start Time, ms since the epoch (i64)            |  16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Level (i32)                          |  24
 *  +---------------------------------------------------------------+
 *  |                          Mode (i32)                           |  28
 *  +---------------------------------------------------------------+
 *  |                Counters Metadata Length (i32)                 |  32
 *  +---------------------------------------------------------------+
 *  |                 Counters Values Length (i32)                  |  36
 *  +---------------------------------------------------------------+
 *  |                     Worker Id Length (i32)                    |  40
 *  +---------------------------------------------------------------+
 *  |                 Worker Id, ASCII (32 bytes)                  ...  44
 *  +---------------------------------------------------------------+
 *  |                  Reserved, zero (52 bytes)                   ...  76
 *  +---------------------------------------------------------------+
 *  |                  Counters Metadata Buffer                    ... 128
 *  +---------------------------------------------------------------+
 *  |                   Counters Values Buffer                     ...
 *  +---------------------------------------------------------------+
 * </pre>
 * The Worker writes the header and allocates its counters, then stores the magic with release
 * ({@link #signalReady}); a reader that loads the magic with acquire and finds it sees the whole layout. A file
 * without the magic yet is still being created.
 */
public final class CountersFileDescriptor
{
    /** What the file is for, in its name: {@code simpler-<pid>-counters-<32 hex digits>}. */
    public static final String FILE_PURPOSE = "counters";

    /** Marks a complete counters file: ASCII "SMPC" read as a little-endian i32. */
    public static final int MAGIC = 0x43504D53;

    /** Version of this layout; a reader refuses any other. */
    public static final int LAYOUT_VERSION = 1;

    /** Offset of the i32 magic, stored last with release. */
    public static final int MAGIC_OFFSET = 0;

    /** Offset of the i32 layout version. */
    public static final int LAYOUT_VERSION_OFFSET = 4;

    /** Offset of the i64 pid of the engine's process. */
    public static final int PID_OFFSET = 8;

    /** Offset of the i64 time the Worker was initialised, in milliseconds since the epoch. */
    public static final int START_TIME_MS_OFFSET = 16;

    /** Offset of the i32 level of the Worker, 3 or 4. */
    public static final int LEVEL_OFFSET = 24;

    /** Offset of the i32 mode of the Worker's children: {@link #MODE_THREAD} or {@link #MODE_PROCESS}. */
    public static final int MODE_OFFSET = 28;

    /** Offset of the i32 length of the counters metadata buffer. */
    public static final int METADATA_LENGTH_OFFSET = 32;

    /** Offset of the i32 length of the counters values buffer. */
    public static final int VALUES_LENGTH_OFFSET = 36;

    /** Offset of the i32 length in bytes of the Worker's id. */
    public static final int WORKER_ID_LENGTH_OFFSET = 40;

    /** Offset of the Worker's id, ASCII, e.g. "w3". */
    public static final int WORKER_ID_OFFSET = 44;

    /** Longest Worker id the header holds. */
    public static final int MAX_WORKER_ID_LENGTH = 32;

    /** Offset of the reserved bytes, which stay zero. */
    public static final int RESERVED_OFFSET = WORKER_ID_OFFSET + MAX_WORKER_ID_LENGTH;

    /** Length of the header: two cache lines, so that the buffers after it start on a pair of lines. */
    public static final int HEADER_LENGTH = 2 * BitUtil.CACHE_LINE_LENGTH;

    /** Counters a file has room for: the engine's own, and those of modules built on it (SPEC §15). */
    public static final int MAX_COUNTERS = 32;

    /** Length of the counters metadata buffer: one record per counter. */
    public static final int METADATA_BUFFER_LENGTH = MAX_COUNTERS * CountersReader.METADATA_LENGTH;

    /** Length of the counters values buffer: one value per counter, each on a pair of cache lines of its own. */
    public static final int VALUES_BUFFER_LENGTH = MAX_COUNTERS * CountersReader.COUNTER_LENGTH;

    /** Offset of the counters metadata buffer. */
    public static final int METADATA_BUFFER_OFFSET = HEADER_LENGTH;

    /** Offset of the counters values buffer. */
    public static final int VALUES_BUFFER_OFFSET = METADATA_BUFFER_OFFSET + METADATA_BUFFER_LENGTH;

    /** Length of the whole file. */
    public static final int FILE_LENGTH = VALUES_BUFFER_OFFSET + VALUES_BUFFER_LENGTH;

    /** Mode code: the Worker's children are worker threads. */
    public static final int MODE_THREAD = 0;

    /** Mode code: the Worker's children are child JVMs. */
    public static final int MODE_PROCESS = 1;

    private static final Pattern FILE_NAME_PATTERN = Pattern.compile(
        Pattern.quote(SharedMemoryFile.FILE_NAME_PREFIX) + "(\\d{1,19})-" + FILE_PURPOSE + "-[0-9a-f]{32}");

    private CountersFileDescriptor()
    {
    }

    /**
     * Write the header of a new file, all but the magic.
     *
     * @param file          a buffer over the whole file, zero-filled.
     * @param pid           the engine's pid.
     * @param startTimeMs   when the Worker was initialised, in milliseconds since the epoch.
     * @param level         the Worker's level.
     * @param mode          {@link #MODE_THREAD} or {@link #MODE_PROCESS}.
     * @param workerId      the Worker's id, ASCII, at most {@link #MAX_WORKER_ID_LENGTH} bytes.
     * @throws IllegalArgumentException when the id does not fit.
     */
    public static void fillHeader(
        final AtomicBuffer file,
        final long pid,
        final long startTimeMs,
        final int level,
        final int mode,
        final String workerId)
    {
        final byte[] id = workerId.getBytes(StandardCharsets.US_ASCII);
        if (id.length > MAX_WORKER_ID_LENGTH)
        {
            throw new IllegalArgumentException("a Worker id in a counters file has at most " + MAX_WORKER_ID_LENGTH
                + " bytes: " + workerId);
        }
        file.putInt(LAYOUT_VERSION_OFFSET, LAYOUT_VERSION);
        file.putLong(PID_OFFSET, pid);
        file.putLong(START_TIME_MS_OFFSET, startTimeMs);
        file.putInt(LEVEL_OFFSET, level);
        file.putInt(MODE_OFFSET, mode);
        file.putInt(METADATA_LENGTH_OFFSET, METADATA_BUFFER_LENGTH);
        file.putInt(VALUES_LENGTH_OFFSET, VALUES_BUFFER_LENGTH);
        file.putInt(WORKER_ID_LENGTH_OFFSET, id.length);
        file.putBytes(WORKER_ID_OFFSET, id);
    }

    /**
     * Mark the file complete: readers may use it from now on.
     *
     * @param file a buffer over the whole file, header filled and counters allocated.
     */
    public static void signalReady(final AtomicBuffer file)
    {
        file.putIntRelease(MAGIC_OFFSET, MAGIC);
    }

    /**
     * Whether the file is complete.
     *
     * @param file a buffer over the whole file.
     * @return true once {@link #signalReady} stored the magic.
     */
    public static boolean isReady(final AtomicBuffer file)
    {
        return file.getIntAcquire(MAGIC_OFFSET) == MAGIC;
    }

    /**
     * The Worker's id from the header.
     *
     * @param file a buffer over the whole file.
     * @return the id.
     */
    public static String workerId(final DirectBuffer file)
    {
        final int length = Math.max(0, Math.min(MAX_WORKER_ID_LENGTH, file.getInt(WORKER_ID_LENGTH_OFFSET)));
        final byte[] id = new byte[length];
        file.getBytes(WORKER_ID_OFFSET, id);
        return new String(id, StandardCharsets.US_ASCII);
    }

    /**
     * The counters metadata buffer of a file.
     *
     * @param file a buffer over the whole file.
     * @return a buffer over the metadata.
     */
    public static UnsafeBuffer metaDataBuffer(final AtomicBuffer file)
    {
        return new UnsafeBuffer(file, METADATA_BUFFER_OFFSET, file.getInt(METADATA_LENGTH_OFFSET));
    }

    /**
     * The counters values buffer of a file.
     *
     * @param file a buffer over the whole file.
     * @return a buffer over the values.
     */
    public static UnsafeBuffer valuesBuffer(final AtomicBuffer file)
    {
        return new UnsafeBuffer(file, METADATA_BUFFER_OFFSET + file.getInt(METADATA_LENGTH_OFFSET),
            file.getInt(VALUES_LENGTH_OFFSET));
    }

    /**
     * The name of a mode code, for display.
     *
     * @param mode a mode code.
     * @return "THREAD", "PROCESS", or the code itself when unknown.
     */
    public static String modeName(final int mode)
    {
        return mode == MODE_THREAD ? "THREAD" : mode == MODE_PROCESS ? "PROCESS" : "mode " + mode;
    }

    /**
     * The pid in a counters file's name.
     *
     * @param fileName the file's name, without its directory.
     * @return the pid, or -1 when the name is not that of a counters file.
     */
    public static long pidOfFileName(final String fileName)
    {
        final Matcher matcher = FILE_NAME_PATTERN.matcher(fileName);
        if (!matcher.matches())
        {
            return -1;
        }
        try
        {
            return Long.parseLong(matcher.group(1));
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }
}
