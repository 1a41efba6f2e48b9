package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.simpler.engine.WaitStrategy;
import dev.simpler.remote.transport.ImageProgress;
import dev.simpler.remote.transport.Transport;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Subscription;

/**
 * Bytes that arrived but were not read yet count as a sign of life (the session timeouts of both sides use it, so that
 * a heartbeat waiting behind a large transfer does not end the session): the receiver's high-water mark of an image
 * moves when its publisher sends, whether or not anyone polls the subscription.
 */
class ImageProgressTest
{
    private static final int STREAM = 7399;

    @Test
    @Timeout(30)
    void arrivalsAreSeenWithoutReadingThemAndSilenceIsNot() throws Exception
    {
        final Transport transport = Transport.acquire(WaitStrategy.BACKOFF);
        try (Subscription subscription = transport.aeron().addSubscription("aeron:udp?endpoint=127.0.0.1:0", STREAM))
        {
            final String channel = "aeron:udp?endpoint=" + awaitEndpoint(subscription);
            try (ExclusivePublication publication = transport.aeron().addExclusivePublication(channel, STREAM))
            {
                awaitTrue(() -> publication.isConnected() && subscription.imageCount() == 1, "the image appears");
                final Image image = subscription.imageAtIndex(0);
                final ImageProgress arrivals = new ImageProgress(transport.aeron().countersReader(), image, STREAM);
                assertFalse(arrivals.advanced(), "the first look only notes where the stream is");
                assertFalse(arrivals.advanced(), "nothing was sent");

                final UnsafeBuffer message = new UnsafeBuffer(new byte[1000]);
                for (int i = 0; i < 10; i++)
                {
                    awaitTrue(() -> publication.offer(message, 0, message.capacity()) > 0, "room to send");
                }
                awaitTrue(arrivals::advanced, "the bytes sent are seen arriving, though nothing polled them");
                assertFalse(arrivals.advanced(), "nothing more was sent");
                assertEquals(0L, image.position(), "no byte was read");
            }
        }
        finally
        {
            Transport.release(transport);
        }
    }

    private static String awaitEndpoint(final Subscription subscription) throws InterruptedException
    {
        final String[] resolved = new String[1];
        awaitTrue(() -> (resolved[0] = subscription.tryResolveChannelEndpointPort()) != null, "a bound port");
        return resolved[0].substring(resolved[0].indexOf("endpoint=") + "endpoint=".length());
    }

    private static void awaitTrue(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(1);
        }
    }
}
