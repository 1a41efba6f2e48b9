package dev.simpler.engine;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Numbers the Workers of this process, for thread names and messages.
 */
final class WorkerIds
{
    private static final AtomicInteger NEXT = new AtomicInteger();

    private WorkerIds()
    {
    }

    static int next()
    {
        return NEXT.getAndIncrement();
    }
}
