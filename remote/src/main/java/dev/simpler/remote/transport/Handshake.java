package dev.simpler.remote.transport;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

/**
 * The challenge–response on the shared secret that opens a session (SPEC §15). The L4 sends a fresh nonce, the node
 * answers with its own; the L4 proves the secret with {@code HMAC-SHA256(secret, "simpler-remote/1 l4" | clientNonce
 * | nodeNonce)} and the node proves it back with {@code HMAC-SHA256(secret, "simpler-remote/1 node" | nodeNonce |
 * clientNonce | token)}: the labels keep one side's proof from being replayed as the other's, the nonces keep an old
 * proof from being replayed at all, and neither the secret nor anything derived from it alone travels.
 *
 * <p>An instance holds a {@link Mac} and belongs to one thread.
 */
public final class Handshake
{
    /** Bytes of a nonce and of a proof. */
    public static final int DIGEST_LENGTH = 32;

    /** Fewest bytes of a shared secret: 256 bits, the HMAC-SHA256 key size. */
    public static final int MIN_SECRET_LENGTH = 32;

    private static final String ALGORITHM = "HmacSHA256";
    private static final byte[] L4_LABEL = "simpler-remote/1 l4".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NODE_LABEL = "simpler-remote/1 node".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Mac mac;
    private final byte[] tokenBytes = new byte[Long.BYTES];

    /**
     * A handshake on a secret.
     *
     * @param secret the shared secret, at least {@link #MIN_SECRET_LENGTH} bytes; copied.
     * @throws IllegalArgumentException when it is shorter.
     */
    public Handshake(final byte[] secret)
    {
        final byte[] key = checkSecret(secret);
        try
        {
            mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("this JVM has no " + ALGORITHM + ": " + ex, ex);
        }
        finally
        {
            java.util.Arrays.fill(key, (byte)0);
        }
    }

    /**
     * Check a secret's length and copy it.
     *
     * @param secret the secret.
     * @return a copy.
     * @throws IllegalArgumentException when it is null or shorter than {@link #MIN_SECRET_LENGTH} bytes.
     */
    public static byte[] checkSecret(final byte[] secret)
    {
        if (secret == null || secret.length < MIN_SECRET_LENGTH)
        {
            throw new IllegalArgumentException("the shared secret must be at least " + MIN_SECRET_LENGTH
                + " bytes: it has " + (secret == null ? 0 : secret.length) + " (e.g. 32 bytes from /dev/urandom)");
        }
        return secret.clone();
    }

    /**
     * A fresh random nonce.
     *
     * @param out where it goes, {@link #DIGEST_LENGTH} bytes.
     */
    public static void nonce(final byte[] out)
    {
        RANDOM.nextBytes(out);
    }

    /**
     * A fresh random session token.
     *
     * @return the token, never 0.
     */
    public static long token()
    {
        long token;
        do
        {
            token = RANDOM.nextLong();
        }
        while (token == 0);
        return token;
    }

    /**
     * The L4's proof.
     *
     * @param clientNonce the L4's nonce.
     * @param nodeNonce   the node's nonce.
     * @param out         where it goes, {@link #DIGEST_LENGTH} bytes.
     */
    public void l4Proof(final byte[] clientNonce, final byte[] nodeNonce, final byte[] out)
    {
        mac.update(L4_LABEL);
        mac.update(clientNonce);
        mac.update(nodeNonce);
        finish(out);
    }

    /**
     * The node's proof.
     *
     * @param clientNonce the L4's nonce.
     * @param nodeNonce   the node's nonce.
     * @param token       the session token the node gives.
     * @param out         where it goes, {@link #DIGEST_LENGTH} bytes.
     */
    public void nodeProof(final byte[] clientNonce, final byte[] nodeNonce, final long token, final byte[] out)
    {
        mac.update(NODE_LABEL);
        mac.update(nodeNonce);
        mac.update(clientNonce);
        for (int i = 0; i < Long.BYTES; i++)
        {
            tokenBytes[i] = (byte)(token >>> (8 * i));
        }
        mac.update(tokenBytes);
        finish(out);
    }

    /**
     * Compare two proofs in time independent of where they differ.
     *
     * @param expected one.
     * @param actual   the other.
     * @return true when equal.
     */
    public static boolean matches(final byte[] expected, final byte[] actual)
    {
        return MessageDigest.isEqual(expected, actual);
    }

    private void finish(final byte[] out)
    {
        try
        {
            mac.doFinal(out, 0);
        }
        catch (final ShortBufferException ex)
        {
            throw new IllegalArgumentException("a proof needs " + DIGEST_LENGTH + " bytes: " + out.length, ex);
        }
    }
}
