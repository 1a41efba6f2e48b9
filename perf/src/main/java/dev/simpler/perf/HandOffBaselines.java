package dev.simpler.perf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;

/**
 * The in-process floors and baselines of SPEC §12's THREAD rows, as JMH states: a raw two-thread ping-pong on one
 * cache line (the floor of a one-task round trip), a ping-pong through two Disruptor rings (what a user of the LMAX
 * Disruptor would write for a request and its answer), and a one-producer-one-consumer Disruptor hand-off of no-op
 * events (the throughput such a user gets for independent tasks). Every waiting thread busy-spins, as the engine's
 * BUSY_SPIN rows do; each state starts its second thread at setup and stops it at teardown.
 *
 * <p>In each state the benchmark thread is the only one that publishes (the ping, the events) and the second
 * thread the only one that answers or consumes; they meet only through the line or the rings' sequences.
 */
public final class HandOffBaselines
{
    private static final long STOP_TIMEOUT_MS = 5_000L;

    private HandOffBaselines()
    {
    }

    /** A Disruptor event: one long. */
    static final class Event
    {
        long value;
    }

    /**
     * Two threads trading one cache line: the benchmark thread writes a number, the echo thread writes it back in
     * the next word of the same line. The floor of any hand-off there and back between two threads.
     */
    @State(Scope.Benchmark)
    public static class RawPingPong
    {
        /** Longs of padding before the two words, and after: their line holds nothing else. */
        private static final int PAD = 16;
        private static final int PING = PAD;
        private static final int PONG = PAD + 1;
        private static final VarHandle LINE = MethodHandles.arrayElementVarHandle(long[].class);

        private final long[] line = new long[PAD + 2 + PAD];
        private volatile boolean running;
        private Thread echo;
        private long next;

        /**
         * Start the echo thread.
         */
        @Setup(Level.Trial)
        public void start()
        {
            running = true;
            echo = new Thread(this::echo, "raw-ping-pong-echo");
            echo.setDaemon(true);
            echo.start();
        }

        private void echo()
        {
            long seen = 0;
            while (running)
            {
                final long ping = (long)LINE.getAcquire(line, PING);
                if (ping != seen)
                {
                    seen = ping;
                    LINE.setRelease(line, PONG, ping);
                }
                else
                {
                    Thread.onSpinWait();
                }
            }
        }

        /**
         * One round trip.
         *
         * @return the number that went there and back.
         */
        long roundTrip()
        {
            final long ping = ++next;
            LINE.setRelease(line, PING, ping);
            while ((long)LINE.getAcquire(line, PONG) != ping)
            {
                Thread.onSpinWait();
            }
            return ping;
        }

        /**
         * Stop the echo thread.
         *
         * @throws InterruptedException when interrupted while it stops.
         */
        @TearDown(Level.Trial)
        public void stop() throws InterruptedException
        {
            running = false;
            join(echo);
        }
    }

    /**
     * A request and its answer through two Disruptor rings: the benchmark thread publishes a ping on one ring, an
     * event processor on that ring publishes it back on the other, and the benchmark thread waits for it at the
     * second ring's barrier. Both rings are single-producer with busy-spin waits, the Disruptor's fastest setting.
     */
    @State(Scope.Benchmark)
    public static class DisruptorPingPong
    {
        private static final int RING_SIZE = 1024;

        private RingBuffer<Event> pings;
        private RingBuffer<Event> pongs;
        private BatchEventProcessor<Event> ponger;
        private SequenceBarrier pongBarrier;
        private final Sequence pongsRead = new Sequence(-1);
        private Thread pongerThread;

        /**
         * Build the rings and start the processor that answers.
         */
        @Setup(Level.Trial)
        public void start()
        {
            pings = RingBuffer.createSingleProducer(Event::new, RING_SIZE, new BusySpinWaitStrategy());
            pongs = RingBuffer.createSingleProducer(Event::new, RING_SIZE, new BusySpinWaitStrategy());
            ponger = new BatchEventProcessorBuilder().build(pings, pings.newBarrier(), (ping, sequence, endOfBatch) ->
            {
                final long at = pongs.next();
                pongs.get(at).value = ping.value;
                pongs.publish(at);
            });
            pings.addGatingSequences(ponger.getSequence());
            pongBarrier = pongs.newBarrier();
            pongs.addGatingSequences(pongsRead);
            pongerThread = new Thread(ponger, "disruptor-ponger");
            pongerThread.setDaemon(true);
            pongerThread.start();
        }

        /**
         * One round trip.
         *
         * @return the number that went there and back.
         * @throws Exception when the barrier is alerted (only at teardown) or the answer is wrong.
         */
        long roundTrip() throws Exception
        {
            final long at = pings.next();
            pings.get(at).value = at;
            pings.publish(at);
            final long answer = pongsRead.get() + 1;
            pongBarrier.waitFor(answer);
            final long value = pongs.get(answer).value;
            pongsRead.set(answer);
            if (value != at)
            {
                throw new IllegalStateException("ping " + at + " came back as " + value);
            }
            return value;
        }

        /**
         * Stop the processor.
         *
         * @throws InterruptedException when interrupted while it stops.
         */
        @TearDown(Level.Trial)
        public void stop() throws InterruptedException
        {
            ponger.halt();
            join(pongerThread);
        }
    }

    /**
     * A one-producer-one-consumer hand-off of no-op events through a Disruptor ring: the benchmark thread publishes
     * a batch of events one by one, an event processor runs a no-op handler on each, and the batch ends when the
     * processor has passed the last one. The two threads are pinned as the single-worker engine and its
     * {@code CompletableFuture} baseline are ({@link Placement}).
     */
    @State(Scope.Benchmark)
    public static class DisruptorHandOff
    {
        private static final int RING_SIZE = 16384;

        private RingBuffer<Event> ring;
        private BatchEventProcessor<Event> consumer;
        private ExecutorService consumerThread;

        /**
         * Build the ring and start the consumer on a thread pinned as the engine's sub worker is.
         */
        @Setup(Level.Trial)
        public void start()
        {
            Placement.pinBenchmarkThread();
            ring = RingBuffer.createSingleProducer(Event::new, RING_SIZE, new BusySpinWaitStrategy());
            consumer = new BatchEventProcessorBuilder().build(ring, ring.newBarrier(),
                (event, sequence, endOfBatch) ->
                {
                });
            ring.addGatingSequences(consumer.getSequence());
            consumerThread = Executors.newSingleThreadExecutor();
            Placement.pinExecutorThread(consumerThread);
            consumerThread.execute(consumer);
        }

        /**
         * Hand {@code count} no-op events to the consumer and wait until it has run them all.
         *
         * @param count events.
         * @return the sequence of the last one.
         */
        long handOff(final int count)
        {
            long last = -1;
            for (int i = 0; i < count; i++)
            {
                last = ring.next();
                ring.get(last).value = i;
                ring.publish(last);
            }
            final Sequence done = consumer.getSequence();
            while (done.get() < last)
            {
                Thread.onSpinWait();
            }
            return last;
        }

        /**
         * Stop the consumer.
         *
         * @throws InterruptedException when interrupted while it stops.
         */
        @TearDown(Level.Trial)
        public void stop() throws InterruptedException
        {
            consumer.halt();
            consumerThread.shutdown();
            if (!consumerThread.awaitTermination(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                throw new IllegalStateException("the Disruptor's consumer did not stop within " + STOP_TIMEOUT_MS
                    + " ms");
            }
        }
    }

    private static void join(final Thread thread) throws InterruptedException
    {
        thread.join(STOP_TIMEOUT_MS);
        if (thread.isAlive())
        {
            throw new IllegalStateException(thread.getName() + " did not stop within " + STOP_TIMEOUT_MS + " ms");
        }
    }
}
