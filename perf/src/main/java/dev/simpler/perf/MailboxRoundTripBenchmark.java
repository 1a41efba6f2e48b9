package dev.simpler.perf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.simpler.engine.SubCallable;
import dev.simpler.engine.process.ChildMain;
import dev.simpler.mailbox.ArgsBlobFlyweight;
import dev.simpler.mailbox.ParentMailbox;
import dev.simpler.mailbox.SharedMemoryFile;

/**
 * SPEC §12 row "mailbox round trip, parent JVM ↔ child JVM, busy-spin": one no-op task through our
 * {@link ParentMailbox} to our {@link ChildMain} in a busy-spinning child JVM and back, next to its floor in the
 * same run: a raw ping-pong on one cache line of a shared file between this JVM and a child JVM.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class MailboxRoundTripBenchmark
{
    private static final long START_TIMEOUT_NS = 30_000_000_000L;

    /** The sub callables of the mailbox child: id 0 does nothing. */
    public static final class NoopCallables implements Supplier<SubCallable[]>
    {
        @Override
        public SubCallable[] get()
        {
            return new SubCallable[] {args -> { }};
        }
    }

    /** A busy-spinning child JVM running our ChildMain behind a mailbox. */
    @State(Scope.Benchmark)
    public static class Mailbox
    {
        SharedMemoryFile file;
        ParentMailbox mailbox;
        Process child;

        /**
         * Start the child and wait until it is ready.
         *
         * @throws IOException when the child cannot start.
         */
        @Setup(Level.Trial)
        public void start() throws IOException
        {
            file = SharedMemoryFile.create("bench-mailbox", 4096);
            mailbox = new ParentMailbox(file.buffer(), "benchmark child");
            child = startJvm(ChildMain.class.getName(), "--mailbox", file.path().toString(), "--callables",
                NoopCallables.class.getName(), "--busy-spin");
            final long deadline = System.nanoTime() + START_TIMEOUT_NS;
            while (mailbox.childStatus() == 0)
            {
                if (System.nanoTime() > deadline || !child.isAlive())
                {
                    throw new IllegalStateException("mailbox child did not start");
                }
                Thread.onSpinWait();
            }
        }

        /**
         * Shut the child down.
         *
         * @throws InterruptedException when interrupted.
         */
        @TearDown(Level.Trial)
        public void stop() throws InterruptedException
        {
            mailbox.shutdown();
            stopJvm(child);
            file.close();
        }
    }

    /** A child JVM answering a counter on one cache line. */
    @State(Scope.Benchmark)
    public static class PingPong
    {
        SharedMemoryFile file;
        UnsafeBuffer line;
        Process child;
        long value = 1;

        /**
         * Start the child.
         *
         * @throws IOException when the child cannot start.
         */
        @Setup(Level.Trial)
        public void start() throws IOException
        {
            file = SharedMemoryFile.create("bench-pingpong", 4096);
            line = file.buffer();
            child = startJvm(PingPongChild.class.getName(), file.path().toString());
        }

        /**
         * Stop the child.
         *
         * @throws InterruptedException when interrupted.
         */
        @TearDown(Level.Trial)
        public void stop() throws InterruptedException
        {
            line.putLongVolatile(0, -1);
            stopJvm(child);
            file.close();
        }
    }

    /**
     * One no-op task through the mailbox protocol to a child JVM and back.
     *
     * @param state the child.
     * @return the error code, so the work is not optimised away.
     */
    @Benchmark
    public int engineMailboxRoundTrip(final Mailbox state)
    {
        final ParentMailbox mailbox = state.mailbox;
        final ArgsBlobFlyweight blob = mailbox.beginTask(0, 1, 1, false, false);
        blob.reset(0, 0);
        mailbox.publishTask();
        while (!mailbox.isDone())
        {
            Thread.onSpinWait();
        }
        return mailbox.takeResult();
    }

    /**
     * The floor: store a value on a shared cache line and spin until a child JVM answers with the next one.
     *
     * @param state the child.
     * @return the answer.
     */
    @Benchmark
    public long rawPingPong(final PingPong state)
    {
        final long sent = state.value;
        state.line.putLongRelease(0, sent);
        long answer;
        while ((answer = state.line.getLongVolatile(0)) != sent + 1)
        {
            Thread.onSpinWait();
        }
        state.value = sent + 2;
        return answer;
    }

    static Process startJvm(final String mainClass, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).inheritIO().start();
    }

    static void stopJvm(final Process child) throws InterruptedException
    {
        if (!child.waitFor(5, TimeUnit.SECONDS))
        {
            child.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
