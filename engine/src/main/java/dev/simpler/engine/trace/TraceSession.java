package dev.simpler.engine.trace;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The recording between one {@code startTrace} and its {@code stopTrace}: a {@link TraceBuffer} per recording
 * thread, handed out on a thread's first event from buffers allocated when tracing started (a thread beyond them
 * gets a new one, once).
 *
 * <p>Thread-safe: each thread writes only its own buffer; buffers are handed out with an atomic counter and
 * published through a concurrent queue.
 */
final class TraceSession
{
    private final long startNs;
    private final int capacity;
    private final TraceBuffer[] preallocated;
    private final AtomicInteger handedOut = new AtomicInteger();
    private final ConcurrentLinkedQueue<TraceBuffer> bound = new ConcurrentLinkedQueue<>();
    private final ThreadLocal<TraceBuffer> own = new ThreadLocal<>();

    /**
     * Start recording.
     *
     * @param capacity events per thread, a power of two.
     * @param threads  buffers to allocate now: the threads expected to record.
     */
    TraceSession(final int capacity, final int threads)
    {
        this.capacity = capacity;
        this.preallocated = new TraceBuffer[threads];
        for (int i = 0; i < threads; i++)
        {
            preallocated[i] = new TraceBuffer(capacity);
        }
        this.startNs = System.nanoTime();
    }

    long startNs()
    {
        return startNs;
    }

    int capacity()
    {
        return capacity;
    }

    /**
     * The calling thread's buffer.
     *
     * @return its buffer, bound to it on its first event.
     */
    TraceBuffer buffer()
    {
        final TraceBuffer buffer = own.get();
        return buffer != null ? buffer : bind();
    }

    /**
     * Every buffer a thread recorded into; read once recording stopped and the engine is quiet.
     *
     * @return the buffers, in the order their threads first recorded.
     */
    List<TraceBuffer> buffers()
    {
        return new ArrayList<>(bound);
    }

    private TraceBuffer bind()
    {
        final int next = handedOut.getAndIncrement();
        final TraceBuffer buffer = next < preallocated.length ? preallocated[next] : new TraceBuffer(capacity);
        buffer.bind();
        own.set(buffer);
        bound.add(buffer);
        return buffer;
    }
}
