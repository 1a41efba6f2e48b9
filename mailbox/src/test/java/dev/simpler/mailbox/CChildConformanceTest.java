package dev.simpler.mailbox;

import static dev.simpler.mailbox.MailboxDescriptor.CHILD_INIT_FAILED;
import static dev.simpler.mailbox.MailboxDescriptor.CHILD_READY;
import static dev.simpler.mailbox.MailboxDescriptor.CHILD_STARTING;
import static dev.simpler.mailbox.MailboxDescriptor.ERROR_CALLABLE_THREW;
import static dev.simpler.mailbox.MailboxDescriptor.ERROR_CHILD_INIT_FAILED;
import static dev.simpler.mailbox.MailboxDescriptor.ERROR_OK;
import static dev.simpler.mailbox.MailboxDescriptor.ERROR_RUN_FAILED;
import static dev.simpler.mailbox.TensorDescriptor.DTYPE_FLOAT32;
import static dev.simpler.mailbox.TensorDescriptor.DTYPE_INT64;
import static java.nio.ByteOrder.LITTLE_ENDIAN;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Byte-level conformance of our parent side ({@link ParentMailbox} and the flyweights) with a child written in C
 * from the SPEC §7 table alone ({@code src/test/resources/conformance/c_child.c}, which documents its callables).
 */
class CChildConformanceTest
{
    private static final long ADD = 1;
    private static final long SCALE = 2;
    private static final long FAIL = 3;
    private static final long ECHO = 4;
    private static final long UNKNOWN = 0x1_0000_0007L;
    private static final int ECHO_FIXED = 14;

    private static final int DATA_LENGTH = 256 * 1024;
    private static final long EXIT_DEADLINE_SECONDS = 10;
    private static final int EXIT_INIT_FAILED = 3;
    private static final int EXIT_CORRUPT_STATE = 4;

    private static Path cChild;

    @TempDir
    Path tempDir;

    private final List<SharedMemoryFile> files = new ArrayList<>();
    private SharedMemoryFile dataFile;
    private UnsafeBuffer data;
    private ParentMailbox parent;
    private Process child;

    @BeforeAll
    @Timeout(120)
    static void compileTheCChild() throws Exception
    {
        final Path source = Path.of(CChildConformanceTest.class.getResource("/conformance/c_child.c").toURI());
        final Path outputDirectory = source.getParent().getParent().getParent().resolve("conformance");
        Files.createDirectories(outputDirectory);
        cChild = outputDirectory.resolve("c_child");
        final Process gcc = new ProcessBuilder(
            "gcc", "-O2", "-Wall", "-Werror", "-o", cChild.toString(), source.toString())
            .redirectErrorStream(true)
            .start();
        final String output = new String(gcc.getInputStream().readAllBytes(), UTF_8);
        assertEquals(0, gcc.waitFor(), () -> "gcc failed to compile " + source + ":\n" + output);
    }

    @AfterEach
    void stopTheChildAndDeleteTheFiles() throws InterruptedException
    {
        if (null != child && child.isAlive())
        {
            child.destroyForcibly();
            child.waitFor(EXIT_DEADLINE_SECONDS, TimeUnit.SECONDS);
        }
        for (final SharedMemoryFile file : files)
        {
            file.close();
            assertFalse(Files.exists(file.path()), () -> "left behind: " + file.path());
        }
    }

    @Test
    @Timeout(30)
    void cChildReportsReadyWithItsPid() throws IOException
    {
        startChild();

        awaitStatus();

        assertEquals(CHILD_READY, parent.childStatus());
        assertEquals(child.pid(), parent.childPid());
    }

    @Test
    @Timeout(30)
    void addTasksWriteTheSumsIntoTheDataFileThroughParentAddresses() throws IOException
    {
        startReadyChild();

        for (int task = 0; task < 40; task++)
        {
            final int rows = 1 + task % 5;
            final int columns = 1 + (task * 37) % 211;
            final int n = rows * columns;
            final int a = 4096 + 64 * task;
            final int b = a + 4 * n + 64;
            final int out = b + 4 * n + 128;
            for (int i = 0; i < n; i++)
            {
                data.putFloat(a + 4 * i, i * 0.5f + task, LITTLE_ENDIAN);
                data.putFloat(b + 4 * i, -i * 0.25f - 1.0f / (task + 1), LITTLE_ENDIAN);
                data.putFloat(out + 4 * i, Float.NaN, LITTLE_ENDIAN);
            }
            parent.beginTask(ADD, 24, 3, false, false)
                .reset(3, 0)
                .putTensor(0, address(a), DTYPE_FLOAT32, 1, n)
                .putTensor(1, address(b), DTYPE_FLOAT32, 2, rows, columns)
                .putTensor(2, address(out), DTYPE_FLOAT32, 3, rows, 1, columns);

            assertEquals(ERROR_OK, runTask(), () -> parent.errorMessage());
            for (int i = 0; i < n; i++)
            {
                final float expected =
                    data.getFloat(a + 4 * i, LITTLE_ENDIAN) + data.getFloat(b + 4 * i, LITTLE_ENDIAN);
                assertEquals(expected, data.getFloat(out + 4 * i, LITTLE_ENDIAN), "task " + task + ", element " + i);
            }
        }
    }

    @Test
    @Timeout(30)
    void scaleTaskMultipliesByAFloatScalarSentAsZeroExtendedBits() throws IOException
    {
        startReadyChild();
        final float factor = -1.75f;
        final int n = 1000;
        final int in = 0;
        final int out = 8192;
        for (int i = 0; i < n; i++)
        {
            data.putFloat(in + 4 * i, i - 333.25f, LITTLE_ENDIAN);
        }

        parent.beginTask(SCALE, 24, 3, false, false)
            .reset(2, 1)
            .putTensor(0, address(in), DTYPE_FLOAT32, 1, n)
            .putTensor(1, address(out), DTYPE_FLOAT32, 2, 10, 100)
            .scalar(0, Integer.toUnsignedLong(Float.floatToRawIntBits(factor)));

        assertEquals(ERROR_OK, runTask(), () -> parent.errorMessage());
        for (int i = 0; i < n; i++)
        {
            assertEquals((i - 333.25f) * factor, data.getFloat(out + 4 * i, LITTLE_ENDIAN), "element " + i);
        }
    }

    @Test
    @Timeout(30)
    void callableIdConfigTensorRecordAndScalarsCrossUnchanged() throws IOException
    {
        startReadyChild();
        final int out = 1024;
        final long[] scalars = { 0x8877_6655_4433_2211L, -1L, 0L, Long.MIN_VALUE };

        echo(out, 0x0102_0304, 7, true, false, new int[] { 4, 1, 2, 1, 4 }, scalars);
        assertEchoed(out, 0x0102_0304, 7, 1, 0, new int[] { 4, 1, 2, 1, 4 }, scalars);

        echo(out, -24, Integer.MAX_VALUE, false, true, new int[] { 32 }, scalars);
        assertEchoed(out, -24, Integer.MAX_VALUE, 0, 1, new int[] { 32 }, scalars);
    }

    @Test
    @Timeout(30)
    void aBlobFillingTheWholeArgsCapacityCrossesIntact() throws IOException
    {
        startReadyChild();
        final int scalarCount = (MailboxDescriptor.ARGS_CAPACITY - 8 - 40) / 8;
        assertEquals(MailboxDescriptor.ARGS_CAPACITY, ArgsBlobDescriptor.encodedLength(1, scalarCount));
        final long[] scalars = new long[scalarCount];
        for (int i = 0; i < scalarCount; i++)
        {
            scalars[i] = 0x0101_0101_0101_0101L * (i % 256) ^ ((long)i << 40);
        }
        final int out = 0;

        echo(out, 24, 3, false, false, new int[] { ECHO_FIXED + scalarCount }, scalars);

        assertEchoed(out, 24, 3, 0, 0, new int[] { ECHO_FIXED + scalarCount }, scalars);
    }

    @Test
    @Timeout(30)
    void failingCallableReportsError2AndItsExactMessage() throws IOException
    {
        startReadyChild();

        parent.beginTask(FAIL, 24, 3, false, false).reset(0, 0);

        assertEquals(ERROR_CALLABLE_THREW, runTask());
        assertEquals("c child: callable 3 failed on purpose", parent.errorMessage());
    }

    @Test
    @Timeout(30)
    void unknownCallableReportsError1WithAMessageNamingTheWhole64BitId() throws IOException
    {
        startReadyChild();

        parent.beginTask(UNKNOWN, 24, 3, false, false).reset(0, 0);

        assertEquals(ERROR_RUN_FAILED, runTask());
        assertEquals("c child: unknown callable " + UNKNOWN, parent.errorMessage());
    }

    @Test
    @Timeout(30)
    void aTaskAfterAFailedOneSucceedsOverTheMessageLeftInTheArgsArea() throws IOException
    {
        startReadyChild();
        parent.beginTask(FAIL, 24, 3, false, false).reset(0, 0);
        assertEquals(ERROR_CALLABLE_THREW, runTask());
        final int in = 0;
        final int out = 64;
        data.putFloat(in, 3.0f, LITTLE_ENDIAN);

        parent.beginTask(SCALE, 24, 3, false, false)
            .reset(2, 1)
            .putTensor(0, address(in), DTYPE_FLOAT32, 1, 1)
            .putTensor(1, address(out), DTYPE_FLOAT32, 1, 1)
            .scalar(0, Integer.toUnsignedLong(Float.floatToRawIntBits(0.5f)));

        assertEquals(ERROR_OK, runTask(), () -> parent.errorMessage());
        assertEquals(1.5f, data.getFloat(out, LITTLE_ENDIAN));
    }

    @Test
    @Timeout(30)
    void shutdownMakesTheChildExitZero() throws Exception
    {
        startReadyChild();

        parent.shutdown();

        assertTrue(child.waitFor(EXIT_DEADLINE_SECONDS, TimeUnit.SECONDS), "the C child did not exit after SHUTDOWN");
        assertEquals(0, child.exitValue(), this::childOutput);
    }

    @Test
    @Timeout(30)
    void aCorruptStateMakesTheChildExit4NamingTheValue() throws Exception
    {
        startReadyChild();

        parent.flyweight().buffer().putIntRelease(MailboxDescriptor.STATE_OFFSET, 17);

        assertTrue(child.waitFor(EXIT_DEADLINE_SECONDS, TimeUnit.SECONDS), "the C child hung on state 17");
        assertEquals(EXIT_CORRUPT_STATE, child.exitValue(), this::childOutput);
        assertTrue(childOutput().contains("corrupt mailbox state 17"), this::childOutput);
    }

    @Test
    @Timeout(30)
    void aChildThatCannotMapItsDataFileReportsInitFailedWithItsMessage() throws Exception
    {
        final Path missing = tempDir.resolve("no-such-data-file");
        startChild(missing);

        awaitStatus();

        assertEquals(CHILD_INIT_FAILED, parent.childStatus());
        assertEquals(ERROR_CHILD_INIT_FAILED, parent.flyweight().error());
        assertEquals(child.pid(), parent.childPid());
        assertTrue(parent.errorMessage().startsWith("c child: cannot open " + missing + ": "), parent.errorMessage());
        assertTrue(child.waitFor(EXIT_DEADLINE_SECONDS, TimeUnit.SECONDS), "the C child did not exit");
        assertEquals(EXIT_INIT_FAILED, child.exitValue());
    }

    private void echo(
        final int out,
        final int blockDim,
        final int aicpuThreadNum,
        final boolean enableProfiling,
        final boolean enableDumpTensor,
        final int[] shape,
        final long[] scalars)
    {
        final ArgsBlobFlyweight blob = parent.beginTask(ECHO, blockDim, aicpuThreadNum, enableProfiling,
            enableDumpTensor)
            .reset(1, scalars.length)
            .putTensor(0, address(out), DTYPE_INT64, shape.length, shape);
        for (int i = 0; i < scalars.length; i++)
        {
            blob.scalar(i, scalars[i]);
        }
        data.setMemory(out, 8 * (ECHO_FIXED + scalars.length), (byte)0x5A);

        assertEquals(ERROR_OK, runTask(), () -> parent.errorMessage());
    }

    private void assertEchoed(
        final int out,
        final int blockDim,
        final int aicpuThreadNum,
        final int enableProfiling,
        final int enableDumpTensor,
        final int[] shape,
        final long[] scalars)
    {
        assertEquals(ECHO, echoed(out, 0), "callable");
        assertEquals(blockDim, echoed(out, 1), "blockDim");
        assertEquals(aicpuThreadNum, echoed(out, 2), "aicpuThreadNum");
        assertEquals(enableProfiling, echoed(out, 3), "enableProfiling");
        assertEquals(enableDumpTensor, echoed(out, 4), "enableDumpTensor");
        assertEquals(1, echoed(out, 5), "tensor count");
        assertEquals(scalars.length, echoed(out, 6), "scalar count");
        assertEquals(shape.length, echoed(out, 7), "ndims");
        for (int d = 0; d < 5; d++)
        {
            assertEquals(d < shape.length ? shape[d] : 0, echoed(out, 8 + d), "shape[" + d + "]");
        }
        assertEquals(DTYPE_INT64, echoed(out, 13), "dtype");
        for (int i = 0; i < scalars.length; i++)
        {
            assertEquals(scalars[i], echoed(out, ECHO_FIXED + i), "scalar " + i);
        }
    }

    private long echoed(final int out, final int index)
    {
        return data.getLong(out + 8 * index, LITTLE_ENDIAN);
    }

    private long address(final int offset)
    {
        return dataFile.address() + offset;
    }

    private void startReadyChild() throws IOException
    {
        startChild();
        awaitStatus();
        assertEquals(CHILD_READY, parent.childStatus(), () -> "the C child failed to start: " + parent.errorMessage());
    }

    private void startChild() throws IOException
    {
        dataFile = track(SharedMemoryFile.create("cchild-data", DATA_LENGTH));
        data = dataFile.buffer();
        startChild(dataFile.path());
    }

    private void startChild(final Path dataPath) throws IOException
    {
        final SharedMemoryFile mailboxFile = track(SharedMemoryFile.create("cchild-mailbox",
            MailboxDescriptor.MAILBOX_LENGTH));
        parent = new ParentMailbox(mailboxFile.buffer(), "c child");
        final long parentBase = null == dataFile ? 0x7f00_0000_0000L : dataFile.address();
        child = new ProcessBuilder(
            cChild.toString(), mailboxFile.path().toString(), dataPath.toString(), Long.toHexString(parentBase))
            .redirectErrorStream(true)
            .redirectOutput(tempDir.resolve("c_child.out").toFile())
            .start();
    }

    private void awaitStatus()
    {
        while (parent.childStatus() == CHILD_STARTING)
        {
            assertTrue(child.isAlive() || parent.childStatus() != CHILD_STARTING,
                () -> "the C child exited before reporting its status: " + childOutput());
            Thread.onSpinWait();
        }
    }

    private int runTask()
    {
        parent.publishTask();
        while (!parent.isDone())
        {
            assertTrue(child.isAlive() || parent.isDone(), () -> "the C child died during a task: " + childOutput());
            Thread.onSpinWait();
        }
        return parent.takeResult();
    }

    private String childOutput()
    {
        try
        {
            return Files.readString(tempDir.resolve("c_child.out"));
        }
        catch (final IOException ex)
        {
            return "(no output: " + ex + ")";
        }
    }

    private SharedMemoryFile track(final SharedMemoryFile file)
    {
        files.add(file);
        return file;
    }
}
