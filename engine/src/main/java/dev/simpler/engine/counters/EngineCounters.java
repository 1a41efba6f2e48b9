package dev.simpler.engine.counters;

import java.nio.charset.StandardCharsets;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import dev.simpler.mailbox.SharedMemoryFile;

/**
 * The live counters of one Worker (SPEC §14), in a shared-memory file that {@code simpler-stat} reads from another
 * process ({@link CountersFileDescriptor} owns the layout). Each counter has one writer, named below, which updates
 * it with a plain read of its own copy and a release store: no atomic read-modify-write, and no counter shares a
 * cache line with another (Agrona puts each value on a pair of lines of its own).
 *
 * <table>
 *   <caption>The counters, in file order; type id and key as {@code simpler-stat} and tests find them</caption>
 *   <tr><th>counter</th><th>type id</th><th>key</th><th>writer and when</th></tr>
 *   <tr><td>tasks submitted</td><td>{@link #TASKS_SUBMITTED_TYPE_ID}</td><td>—</td>
 *       <td>the orchestrating thread, at each submit (a group counts once; an alloc is no task)</td></tr>
 *   <tr><td>tasks completed, failed, skipped</td><td>{@link #TASKS_COMPLETED_TYPE_ID},
 *       {@link #TASKS_FAILED_TYPE_ID}, {@link #TASKS_SKIPPED_TYPE_ID}</td><td>—</td>
 *       <td>the orchestrating thread, when it takes the completions back (a worker hands them back in groups,
 *       so "completed" trails the workers by up to a group, and catches up whenever the orchestrating thread
 *       waits)</td></tr>
 *   <tr><td>runs started, runs finished</td><td>{@link #RUNS_STARTED_TYPE_ID}, {@link #RUNS_FINISHED_TYPE_ID}</td>
 *       <td>—</td><td>the orchestrating thread, when a run begins and when it has drained</td></tr>
 *   <tr><td>ready queue depth</td><td>{@link #READY_QUEUE_DEPTH_TYPE_ID}</td><td>worker type (0 sub,
 *       1 next-level)</td><td>a gauge sampled by the orchestrating thread: while it waits (at most every
 *       {@link dev.simpler.engine.config.Configuration#COUNTERS_SAMPLE_INTERVAL_NS}), after every
 *       {@link dev.simpler.engine.config.Configuration#COUNTERS_SAMPLE_COMPLETIONS} completions it takes (with the
 *       same interval), and at the end of a run when the last sample was not 0</td></tr>
 *   <tr><td>heap ring bytes in use</td><td>{@link #HEAP_RING_BYTES_IN_USE_TYPE_ID}</td><td>ring (0..3)</td>
 *       <td>the orchestrating thread, when the ring allocates or frees a slab</td></tr>
 *   <tr><td>children alive, children replaced</td><td>{@link #CHILDREN_ALIVE_TYPE_ID},
 *       {@link #CHILDREN_REPLACED_TYPE_ID}</td><td>—</td><td>PROCESS mode: the holder of the process driver's
 *       driving lock (the thread that initialises or closes the Worker before and after the driver runs), when a
 *       child reports ready, when its death is noticed, and when a replacement starts; 0 in THREAD mode</td></tr>
 *   <tr><td>remote nodes connected</td><td>{@link #REMOTE_NODES_CONNECTED_TYPE_ID}</td><td>—</td>
 *       <td>the Worker's {@link dev.simpler.engine.worker.NodeGauge}, under its lock, when a lane to a node on
 *       another host (SPEC §15) starts or ends a session: distinct nodes with at least one lane up</td></tr>
 * </table>
 *
 * <p>Created by the thread that initialises the Worker, which allocates every counter before the file is marked
 * ready; closed by the thread that closes it, after every writer stopped.
 */
public final class EngineCounters implements AutoCloseable
{
    /** Type id of the tasks submitted. */
    public static final int TASKS_SUBMITTED_TYPE_ID = 1;
    /** Type id of the tasks that completed successfully. */
    public static final int TASKS_COMPLETED_TYPE_ID = 2;
    /** Type id of the tasks that failed. */
    public static final int TASKS_FAILED_TYPE_ID = 3;
    /** Type id of the tasks skipped because a producer failed or was skipped. */
    public static final int TASKS_SKIPPED_TYPE_ID = 4;
    /** Type id of the runs started. */
    public static final int RUNS_STARTED_TYPE_ID = 5;
    /** Type id of the runs finished (drained, failed or not). */
    public static final int RUNS_FINISHED_TYPE_ID = 6;
    /** Type id of the depth of a ready queue; the key is the worker type (0 sub, 1 next-level). */
    public static final int READY_QUEUE_DEPTH_TYPE_ID = 7;
    /** Type id of the bytes in use in a heap ring; the key is the ring (0..3). */
    public static final int HEAP_RING_BYTES_IN_USE_TYPE_ID = 8;
    /** Type id of the PROCESS-mode children alive. */
    public static final int CHILDREN_ALIVE_TYPE_ID = 9;
    /** Type id of the PROCESS-mode children replaced after they died. */
    public static final int CHILDREN_REPLACED_TYPE_ID = 10;
    /** Type id of the remote nodes connected (SPEC §15). */
    public static final int REMOTE_NODES_CONNECTED_TYPE_ID = 11;

    /** Worker types with a ready queue, in key order (the scheduler's task kinds). */
    private static final String[] WORKER_TYPES = {"sub", "next-level"};
    /** Heap rings per Worker (SPEC §4). */
    private static final int HEAP_RINGS = 4;

    private final SharedMemoryFile file;
    private final AtomicCounter tasksSubmitted;
    private final AtomicCounter tasksCompleted;
    private final AtomicCounter tasksFailed;
    private final AtomicCounter tasksSkipped;
    private final AtomicCounter runsStarted;
    private final AtomicCounter runsFinished;
    private final AtomicCounter[] readyQueueDepth = new AtomicCounter[WORKER_TYPES.length];
    private final AtomicCounter[] heapRingBytesInUse = new AtomicCounter[HEAP_RINGS];
    private final AtomicCounter childrenAlive;
    private final AtomicCounter childrenReplaced;
    private final AtomicCounter remoteNodesConnected;

    /** Counters over a buffer whose header is filled. */
    private EngineCounters(final SharedMemoryFile file, final AtomicBuffer buffer)
    {
        this.file = file;
        final CountersManager manager = new CountersManager(
            CountersFileDescriptor.metaDataBuffer(buffer), CountersFileDescriptor.valuesBuffer(buffer),
            StandardCharsets.US_ASCII);
        tasksSubmitted = manager.newCounter("tasks submitted", TASKS_SUBMITTED_TYPE_ID);
        tasksCompleted = manager.newCounter("tasks completed", TASKS_COMPLETED_TYPE_ID);
        tasksFailed = manager.newCounter("tasks failed", TASKS_FAILED_TYPE_ID);
        tasksSkipped = manager.newCounter("tasks skipped", TASKS_SKIPPED_TYPE_ID);
        runsStarted = manager.newCounter("runs started", RUNS_STARTED_TYPE_ID);
        runsFinished = manager.newCounter("runs finished", RUNS_FINISHED_TYPE_ID);
        for (int kind = 0; kind < readyQueueDepth.length; kind++)
        {
            final int key = kind;
            readyQueueDepth[kind] = manager.newCounter("ready queue depth: " + WORKER_TYPES[kind],
                READY_QUEUE_DEPTH_TYPE_ID, (keyBuffer) -> keyBuffer.putInt(0, key));
        }
        for (int ring = 0; ring < heapRingBytesInUse.length; ring++)
        {
            final int key = ring;
            heapRingBytesInUse[ring] = manager.newCounter("heap ring " + ring + " bytes in use",
                HEAP_RING_BYTES_IN_USE_TYPE_ID, (keyBuffer) -> keyBuffer.putInt(0, key));
        }
        childrenAlive = manager.newCounter("children alive", CHILDREN_ALIVE_TYPE_ID);
        childrenReplaced = manager.newCounter("children replaced", CHILDREN_REPLACED_TYPE_ID);
        remoteNodesConnected = manager.newCounter("remote nodes connected", REMOTE_NODES_CONNECTED_TYPE_ID);
    }

    /**
     * Create a Worker's counters file and its counters, all 0; the file is complete when this returns.
     *
     * @param workerId the Worker's id.
     * @param level    its level.
     * @param process  whether its children are child JVMs (PROCESS mode).
     * @return the counters.
     * @throws java.io.UncheckedIOException when the file cannot be created; nothing is left behind.
     */
    public static EngineCounters create(final String workerId, final int level, final boolean process)
    {
        final SharedMemoryFile file =
            SharedMemoryFile.create(CountersFileDescriptor.FILE_PURPOSE, CountersFileDescriptor.FILE_LENGTH);
        try
        {
            final UnsafeBuffer buffer = file.buffer();
            CountersFileDescriptor.fillHeader(buffer, ProcessHandle.current().pid(), System.currentTimeMillis(),
                level, process ? CountersFileDescriptor.MODE_PROCESS : CountersFileDescriptor.MODE_THREAD, workerId);
            final EngineCounters counters = new EngineCounters(file, buffer);
            CountersFileDescriptor.signalReady(buffer);
            return counters;
        }
        catch (final RuntimeException | Error ex)
        {
            file.close();
            throw ex;
        }
    }

    /**
     * Counters in this process's memory that nobody reads, for components built without a Worker (tests, the
     * jcstress states, of which thousands live at once): one set shared by all of them, so their values mean
     * nothing.
     *
     * @return the shared unpublished counters.
     */
    public static EngineCounters unpublished()
    {
        return Unpublished.COUNTERS;
    }

    /**
     * A counter in this process's memory that nobody reads, for a component built without a Worker (tests).
     *
     * @return a counter of its own.
     */
    public static AtomicCounter unpublishedCounter()
    {
        return new AtomicCounter(new UnsafeBuffer(new byte[CountersReader.COUNTER_LENGTH]), 0);
    }

    /**
     * Tasks submitted.
     *
     * @return the counter; its writer is the orchestrating thread.
     */
    public AtomicCounter tasksSubmitted()
    {
        return tasksSubmitted;
    }

    /**
     * Tasks that completed successfully.
     *
     * @return the counter; its writer is the orchestrating thread.
     */
    public AtomicCounter tasksCompleted()
    {
        return tasksCompleted;
    }

    /**
     * Tasks that failed.
     *
     * @return the counter; its writer is the orchestrating thread.
     */
    public AtomicCounter tasksFailed()
    {
        return tasksFailed;
    }

    /**
     * Tasks skipped because a producer failed or was skipped.
     *
     * @return the counter; its writer is the orchestrating thread.
     */
    public AtomicCounter tasksSkipped()
    {
        return tasksSkipped;
    }

    /**
     * Runs started.
     *
     * @return the counter; its writer is the orchestrating thread.
     */
    public AtomicCounter runsStarted()
    {
        return runsStarted;
    }

    /**
     * Runs finished.
     *
     * @return the counter; its writer is the orchestrating thread.
     */
    public AtomicCounter runsFinished()
    {
        return runsFinished;
    }

    /**
     * Depth of the ready queue of one worker type.
     *
     * @param kind the scheduler's task kind: 0 sub, 1 next-level.
     * @return the gauge; its writer is the orchestrating thread.
     */
    public AtomicCounter readyQueueDepth(final int kind)
    {
        return readyQueueDepth[kind];
    }

    /**
     * Bytes in use in one heap ring.
     *
     * @param ring 0..3.
     * @return the gauge; its writer is the orchestrating thread, through the ring.
     */
    public AtomicCounter heapRingBytesInUse(final int ring)
    {
        return heapRingBytesInUse[ring];
    }

    /**
     * PROCESS-mode children alive: started, reported ready, and not seen dead.
     *
     * @return the gauge; its writer is the holder of the process driver's driving lock.
     */
    public AtomicCounter childrenAlive()
    {
        return childrenAlive;
    }

    /**
     * PROCESS-mode replacement children started after a child died.
     *
     * @return the counter; its writer is the holder of the process driver's driving lock.
     */
    public AtomicCounter childrenReplaced()
    {
        return childrenReplaced;
    }

    /**
     * Remote nodes connected (SPEC §15): written only by the Worker's {@link dev.simpler.engine.worker.NodeGauge}.
     *
     * @return the gauge.
     */
    public AtomicCounter remoteNodesConnected()
    {
        return remoteNodesConnected;
    }

    /**
     * Where the counters are.
     *
     * @return the path of the counters file, or null for the {@link #unpublished()} counters.
     */
    public java.nio.file.Path path()
    {
        return file == null ? null : file.path();
    }

    /**
     * Delete the file and unmap it. Every writer must have stopped: a write after this would touch unmapped memory.
     * Idempotent.
     */
    @Override
    public void close()
    {
        if (file != null)
        {
            file.close();
        }
    }

    /**
     * Delete the file but leave the memory mapped, for when a writer may still run (a run that did not leave when
     * its Worker closed): {@code simpler-stat} no longer lists the Worker, and a late count lands in memory nobody
     * reads instead of crashing the JVM. The mapping goes with the last reference to these counters.
     */
    public void closeLeavingMapped()
    {
        if (file != null)
        {
            file.deleteLeavingMapped();
        }
    }

    /** Built on first use only: a Worker never needs it. */
    private static final class Unpublished
    {
        static final EngineCounters COUNTERS = create();

        private static EngineCounters create()
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(
                BufferUtil.allocateDirectAligned(CountersFileDescriptor.FILE_LENGTH, 2 * BitUtil.CACHE_LINE_LENGTH));
            CountersFileDescriptor.fillHeader(buffer, ProcessHandle.current().pid(), System.currentTimeMillis(), 0,
                CountersFileDescriptor.MODE_THREAD, "unpublished");
            return new EngineCounters(null, buffer);
        }
    }
}
