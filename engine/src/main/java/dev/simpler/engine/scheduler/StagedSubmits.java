package dev.simpler.engine.scheduler;

import org.agrona.UnsafeApi;
import org.agrona.collections.IntArrayList;

/**
 * Where the orchestrating thread writes: how many tasks it has staged.
 */
abstract class StagedSubmitsTail
{
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15, p16;
    @SuppressWarnings("unused")
    volatile long tail;
}

/**
 * Keeps the staged count and the taken count on separate cache lines.
 */
abstract class StagedSubmitsPadding extends StagedSubmitsTail
{
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16;
}

/**
 * How many staged tasks were taken for publication, by the orchestrating thread or by a worker.
 */
abstract class StagedSubmitsHead extends StagedSubmitsPadding
{
    @SuppressWarnings("unused")
    volatile long head;
    @SuppressWarnings("unused")
    volatile int publishing;
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long r01, r02, r03, r04, r05, r06, r07;
}

/**
 * The sequence of tasks the orchestrating thread has submitted but not yet made visible to the workers. Only the
 * orchestrating thread stages. A batch is taken whole, from the first staged task not yet taken up to the last
 * one staged, under the publishing lock, by the orchestrating thread when the batch is full or when it is about
 * to wait, or by an idle worker when the orchestrating thread left tasks staged while it runs user code. The
 * lock is held until the batch is wired and published ({@link Scheduler}): batches go out one at a time and in
 * order, so a task's consumers are never wired by two threads at once.
 */
final class StagedSubmits extends StagedSubmitsHead
{
    /** Most tasks staged at once; the orchestrating thread publishes well before. */
    static final int CAPACITY = 256;

    // Offsets for Agrona's UnsafeApi rather than VarHandles: these are called from deep in the orchestrating
    // thread's submit, where a VarHandle's few extra levels of calls can exhaust the compiler's inlining depth and
    // leave the access a call through the VarHandle's guard.
    private static final long HEAD = UnsafeApi.objectFieldOffset(StagedSubmitsHead.class, "head");
    private static final long TAIL = UnsafeApi.objectFieldOffset(StagedSubmitsTail.class, "tail");
    private static final long PUBLISHING = UnsafeApi.objectFieldOffset(StagedSubmitsHead.class, "publishing");

    private final int[] entries = new int[CAPACITY];
    /** The thread that holds the publishing lock, recorded only when assertions are enabled. */
    private Thread lockOwner;

    /**
     * A taken batch: its slots in staging order and the position of the first. Each thread that takes batches
     * owns one.
     */
    static final class Batch
    {
        final int[] slots = new int[CAPACITY];
        /** Per task: every producer it waits for is in this batch, so no other thread can count it down yet. */
        final boolean[] closed = new boolean[CAPACITY];
        /** Tasks found ready while the batch is wired, per kind, published together at its end. */
        final IntArrayList[] ready = {new IntArrayList(), new IntArrayList()};
        long from;
        int count;
    }

    /**
     * Stage a task; orchestrating thread only. Everything it wrote into the slot before is visible to a worker
     * that takes the batch.
     *
     * @param slot the task.
     * @return how many tasks are staged and not taken, this one included.
     */
    long stage(final TaskSlot slot)
    {
        final long position = UnsafeApi.getLong(this, TAIL);
        slot.stageSeq = position;
        entries[(int)position & (CAPACITY - 1)] = slot.index;
        UnsafeApi.putLongRelease(this, TAIL, position + 1);
        return position + 1 - UnsafeApi.getLongAcquire(this, HEAD);
    }

    /**
     * Whether tasks are staged and not taken.
     *
     * @return true when {@link #take()} would get a batch.
     */
    boolean hasStaged()
    {
        return UnsafeApi.getLongAcquire(this, TAIL) != UnsafeApi.getLongAcquire(this, HEAD);
    }

    /**
     * How many tasks were ever staged.
     *
     * @return the staged total.
     */
    long stagedTotal()
    {
        return UnsafeApi.getLongAcquire(this, TAIL);
    }

    /**
     * Try to become the thread that publishes staged tasks.
     *
     * @return true when the lock was free; {@link #unlock()} after publishing.
     */
    boolean tryLock()
    {
        if (UnsafeApi.compareAndSetInt(this, PUBLISHING, 0, 1))
        {
            assert (lockOwner = Thread.currentThread()) != null;
            return true;
        }
        return false;
    }

    /**
     * Whether a thread holds the publishing lock now.
     *
     * @return true while a batch is being published.
     */
    boolean isPublishing()
    {
        return UnsafeApi.getIntVolatile(this, PUBLISHING) != 0;
    }

    /**
     * Whether the calling thread holds the publishing lock; tracked only with assertions enabled.
     *
     * @return true for the holder, false for any other thread (and for every thread without assertions).
     */
    boolean isLockedByCurrentThread()
    {
        return lockOwner == Thread.currentThread();
    }

    /**
     * Let another thread publish.
     */
    void unlock()
    {
        assert (lockOwner = null) == null;
        UnsafeApi.putIntRelease(this, PUBLISHING, 0);
    }

    /**
     * Take every staged task not taken yet; only while holding the lock.
     *
     * @param batch where the taken slots go, owned by the calling thread.
     * @return false when nothing is staged.
     */
    boolean take(final Batch batch)
    {
        final long from = UnsafeApi.getLong(this, HEAD);
        final long to = UnsafeApi.getLongAcquire(this, TAIL);
        if (from == to)
        {
            return false;
        }
        final int count = (int)(to - from);
        for (int i = 0; i < count; i++)
        {
            batch.slots[i] = entries[(int)(from + i) & (CAPACITY - 1)];
        }
        UnsafeApi.putLongRelease(this, HEAD, to);
        batch.from = from;
        batch.count = count;
        return true;
    }
}
