package dev.simpler.remote;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

import dev.simpler.remote.transport.Handshake;

/**
 * A shared secret kept in a file that only its owner can read (SPEC §15): what the node launcher reads with
 * {@code --secret-file}, and what an L4 reads to connect. The secret is the file's bytes, less one trailing newline
 * (so {@code openssl rand -hex 32 > f} works as well as {@code head -c 32 /dev/urandom > f}).
 */
public final class SecretFile
{
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private SecretFile()
    {
    }

    /**
     * Read a secret.
     *
     * @param file the file: a regular file (not a link), mode 0600 or 0400.
     * @return its bytes, at least 32.
     * @throws IllegalArgumentException naming the file when its group or others have any permission, when it is not a
     *                                  regular file, or when the secret is shorter than 32 bytes.
     * @throws UncheckedIOException     when it cannot be read.
     */
    public static byte[] read(final Path file)
    {
        try
        {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))
            {
                throw new IllegalArgumentException("secret file " + file + " is not a regular file");
            }
            final Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file,
                LinkOption.NOFOLLOW_LINKS);
            final Set<PosixFilePermission> others = EnumSet.noneOf(PosixFilePermission.class);
            others.addAll(permissions);
            others.retainAll(OTHERS);
            if (!others.isEmpty())
            {
                throw new IllegalArgumentException("secret file " + file + " has mode "
                    + PosixFilePermissions.toString(permissions) + ": its group or others may use it, so it is "
                    + "refused; make it readable by its owner only (chmod 600 " + file + ")");
            }
            final byte[] bytes = Files.readAllBytes(file);
            int length = bytes.length;
            if (length > 0 && bytes[length - 1] == '\n')
            {
                length--;
                if (length > 0 && bytes[length - 1] == '\r')
                {
                    length--;
                }
            }
            if (length < Handshake.MIN_SECRET_LENGTH)
            {
                Arrays.fill(bytes, (byte)0);
                throw new IllegalArgumentException("secret file " + file + " holds " + length + " bytes; a secret "
                    + "has at least " + Handshake.MIN_SECRET_LENGTH + " (e.g. head -c 32 /dev/urandom > " + file + ")");
            }
            final byte[] secret = Arrays.copyOf(bytes, length);
            Arrays.fill(bytes, (byte)0);
            return secret;
        }
        catch (final UnsupportedOperationException ex)
        {
            throw new IllegalArgumentException("secret file " + file + " is on a file system without POSIX "
                + "permissions, so nobody can tell who may read it; keep it on one that has them", ex);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read secret file " + file + ": " + ex.getMessage(), ex);
        }
    }
}
