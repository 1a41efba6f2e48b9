package dev.simpler.remote;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.simpler.engine.WaitStrategy;
import dev.simpler.remote.transport.RemoteConfiguration;
import dev.simpler.remote.transport.Transport;

/**
 * The embedded driver of a backing-off Worker polls its sockets only briefly before it parks: it spins and yields
 * {@link RemoteConfiguration#DRIVER_IDLE_MAX_SPINS} and {@link RemoteConfiguration#DRIVER_IDLE_MAX_YIELDS} times,
 * not as often as the module's other threads (on two cores its polling of empty sockets slowed every remote row).
 */
class DriverIdleTest
{
    @Test
    @Timeout(30)
    void aBackingOffDriverSpinsAndYieldsOnlyBrieflyBeforeItParks()
    {
        final Transport transport = Transport.acquire(WaitStrategy.BACKOFF);
        try
        {
            final IdleStrategy idle = transport.sharedIdleStrategy();
            assertNotNull(idle, "a backing-off Worker's driver runs on one shared thread");
            assertTrue(idle instanceof BackoffIdleStrategy, "the driver's thread backs off: " + idle);
            final String described = idle.toString();
            assertTrue(described.contains("maxSpins=" + RemoteConfiguration.DRIVER_IDLE_MAX_SPINS + ",")
                && described.contains("maxYields=" + RemoteConfiguration.DRIVER_IDLE_MAX_YIELDS + ","),
                "driver spins and yields as configured: " + described);
            assertTrue(RemoteConfiguration.DRIVER_IDLE_MAX_SPINS < RemoteConfiguration.IDLE_MAX_SPINS
                && RemoteConfiguration.DRIVER_IDLE_MAX_YIELDS < RemoteConfiguration.IDLE_MAX_YIELDS,
                "the driver backs off sooner than the module's other threads");
        }
        finally
        {
            Transport.release(transport);
        }
    }
}
