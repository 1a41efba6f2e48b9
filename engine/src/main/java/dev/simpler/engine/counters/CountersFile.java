package dev.simpler.engine.counters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

import dev.simpler.mailbox.SharedMemoryFile;

/**
 * A Worker's counters file as another process reads it (SPEC §14): mapped read-only, its header checked against
 * {@link CountersFileDescriptor}, its counters read through an Agrona {@link CountersReader}. What
 * {@code simpler-stat} and the tests use.
 *
 * <p>Used by one thread; {@link #close()} unmaps the file.
 */
public final class CountersFile implements AutoCloseable
{
    private final Path path;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;
    private final CountersReader reader;

    private CountersFile(final Path path, final MappedByteBuffer mapped, final UnsafeBuffer buffer)
    {
        this.path = path;
        this.mapped = mapped;
        this.buffer = buffer;
        this.reader = new CountersReader(CountersFileDescriptor.metaDataBuffer(buffer),
            CountersFileDescriptor.valuesBuffer(buffer));
    }

    /**
     * The counters files in a directory, live or left by engines that died, by name.
     *
     * @param directory where the engines put their shared files, normally {@link SharedMemoryFile#defaultDirectory()}.
     * @return the files named {@code simpler-<pid>-counters-<32 hex digits>}; none when the directory does not exist.
     * @throws UncheckedIOException when the directory cannot be listed.
     */
    public static List<Path> list(final Path directory)
    {
        final List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(directory))
        {
            return files;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory,
            SharedMemoryFile.FILE_NAME_PREFIX + "*-" + CountersFileDescriptor.FILE_PURPOSE + "-*"))
        {
            for (final Path file : stream)
            {
                if (CountersFileDescriptor.pidOfFileName(file.getFileName().toString()) > 0)
                {
                    files.add(file);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot list the counters files in " + directory, ex);
        }
        files.sort(null);
        return files;
    }

    /**
     * Map a counters file read-only and check its header.
     *
     * @param path the file.
     * @return the open file.
     * @throws UncheckedIOException  when it cannot be read (gone, or another user's).
     * @throws IllegalStateException when it is not a complete counters file of this layout: the message says why.
     */
    public static CountersFile open(final Path path)
    {
        final MappedByteBuffer mapped;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            final long size = channel.size();
            if (size < CountersFileDescriptor.HEADER_LENGTH)
            {
                throw new IllegalStateException(path + " is still being created (" + size + " bytes so far)");
            }
            if (size > SharedMemoryFile.MAX_LENGTH)
            {
                throw new IllegalStateException(path + " is no counters file: " + size + " bytes");
            }
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read the counters file " + path + ": " + ex, ex);
        }
        try
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            checkHeader(path, buffer);
            return new CountersFile(path, mapped, buffer);
        }
        catch (final RuntimeException ex)
        {
            IoUtil.unmap(mapped);
            throw ex;
        }
    }

    /**
     * The file.
     *
     * @return its path.
     */
    public Path path()
    {
        return path;
    }

    /**
     * The process of the engine that created the file.
     *
     * @return its pid.
     */
    public long pid()
    {
        return buffer.getLong(CountersFileDescriptor.PID_OFFSET);
    }

    /**
     * The Worker whose counters these are.
     *
     * @return its id, e.g. "w3".
     */
    public String workerId()
    {
        return CountersFileDescriptor.workerId(buffer);
    }

    /**
     * The Worker's level.
     *
     * @return 3 or 4.
     */
    public int level()
    {
        return buffer.getInt(CountersFileDescriptor.LEVEL_OFFSET);
    }

    /**
     * The mode of the Worker's children.
     *
     * @return "THREAD" or "PROCESS".
     */
    public String mode()
    {
        return CountersFileDescriptor.modeName(buffer.getInt(CountersFileDescriptor.MODE_OFFSET));
    }

    /**
     * When the Worker was initialised.
     *
     * @return milliseconds since the epoch.
     */
    public long startTimeMs()
    {
        return buffer.getLong(CountersFileDescriptor.START_TIME_MS_OFFSET);
    }

    /**
     * The counters, to iterate ({@link CountersReader#forEach(CountersReader.MetaData)}) and read.
     *
     * @return the reader.
     */
    public CountersReader counters()
    {
        return reader;
    }

    /**
     * The value of the allocated counter with a type id and key (the key's first four bytes, an int; 0 for
     * counters without a key).
     *
     * @param typeId one of the {@code *_TYPE_ID} constants of {@link EngineCounters}.
     * @param key    e.g. the ring of a heap-ring counter.
     * @return its value.
     * @throws IllegalArgumentException when the file has no such counter.
     */
    public long value(final int typeId, final int key)
    {
        for (int id = 0; id <= reader.maxCounterId(); id++)
        {
            final int state = reader.getCounterState(id);
            if (state == CountersReader.RECORD_UNUSED)
            {
                break;
            }
            if (state == CountersReader.RECORD_ALLOCATED && reader.getCounterTypeId(id) == typeId
                && reader.metaDataBuffer().getInt(CountersReader.metaDataOffset(id) + CountersReader.KEY_OFFSET) == key)
            {
                return reader.getCounterValue(id);
            }
        }
        throw new IllegalArgumentException(path + " has no counter of type " + typeId + " with key " + key);
    }

    /**
     * Unmap the file.
     */
    @Override
    public void close()
    {
        IoUtil.unmap(mapped);
    }

    private static void checkHeader(final Path path, final UnsafeBuffer buffer)
    {
        final int magic = buffer.getIntAcquire(CountersFileDescriptor.MAGIC_OFFSET);
        if (magic == 0)
        {
            throw new IllegalStateException(path + " is still being created");
        }
        if (magic != CountersFileDescriptor.MAGIC)
        {
            throw new IllegalStateException(path + " is no simpler counters file: magic 0x"
                + Integer.toHexString(magic) + ", expected 0x" + Integer.toHexString(CountersFileDescriptor.MAGIC));
        }
        final int version = buffer.getInt(CountersFileDescriptor.LAYOUT_VERSION_OFFSET);
        if (version != CountersFileDescriptor.LAYOUT_VERSION)
        {
            throw new IllegalStateException(path + " has counters layout version " + version + ", this reader reads "
                + "version " + CountersFileDescriptor.LAYOUT_VERSION + ": use the simpler-stat.jar of the engine "
                + "that wrote it");
        }
        final long metaDataLength = buffer.getInt(CountersFileDescriptor.METADATA_LENGTH_OFFSET);
        final long valuesLength = buffer.getInt(CountersFileDescriptor.VALUES_LENGTH_OFFSET);
        final long needed = CountersFileDescriptor.HEADER_LENGTH + metaDataLength + valuesLength;
        if (valuesLength <= 0 || valuesLength % CountersReader.COUNTER_LENGTH != 0
            || metaDataLength != valuesLength / CountersReader.COUNTER_LENGTH * CountersReader.METADATA_LENGTH
            || needed > buffer.capacity())
        {
            throw new IllegalStateException(path + " is corrupt: counters metadata length " + metaDataLength
                + " and values length " + valuesLength + " do not fit a file of " + buffer.capacity() + " bytes");
        }
    }
}
