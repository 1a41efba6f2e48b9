package dev.simpler.perf.reference;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * A reference design for the benchmarks: a faithful Java rendering of how the upstream runtime dispatches, so every
 * figure of our engine can be quoted as a ratio to it in the same JVM on the same shapes.
 *
 * <ul>
 *     <li>The orchestrator thread calls {@link #submit(Runnable, int...)} / {@link #submitGroup(int, IntConsumer,
 *     int...)}, naming the ids of the tasks it depends on, and {@link #drain()} to wait for everything.</li>
 *     <li>One ready queue (one worker type), an {@code ArrayDeque} guarded by a {@link ReentrantLock}; idle worker
 *     threads block on its {@link Condition}.</li>
 *     <li>A separate scheduler thread waits on a completion queue (lock + condition) with
 *     {@code awaitNanos(1 ms)} timeouts, marks finished tasks complete, releases consumers whose producers have
 *     all completed into the ready queue, and signals {@link #drain()}.</li>
 *     <li>A group of N runs on N workers at once: the scheduler dispatches it only when N workers are idle.</li>
 *     <li>Per-task state is plain objects; this is a baseline and allocates freely.</li>
 * </ul>
 *
 * <p>In {@link ReferenceMode#PROCESS} each worker thread owns a {@link ReferenceProcessWorker}: it first runs a
 * no-op task in its child JVM (parent polls with 50 µs sleeps), then runs the submitted {@code Runnable} on the
 * worker thread as the task's completion hook.
 *
 * <p>Task ids grow across {@link #drain()} calls; a producer id from before the last drain names a retired task and
 * is ignored. Submit and drain must be called from one orchestrator thread.
 */
public final class ReferenceEngine implements AutoCloseable
{
    /** Depend on nothing. */
    public static final int[] NO_PRODUCERS = new int[0];

    /** How long the scheduler waits for a completion before looking again, as upstream. */
    public static final long SCHEDULER_WAIT_NS = 1_000_000L;

    private static final long JOIN_TIMEOUT_MS = 5_000L;
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final ReferenceMode mode;
    private final int workerCount;
    private final String threadNamePrefix;
    private final Thread[] workers;
    private final ReferenceProcessWorker[] processWorkers;
    private final Thread scheduler;

    // The ready queue: work for the worker threads.
    private final ReentrantLock readyLock = new ReentrantLock();
    private final Condition workAvailable = readyLock.newCondition();
    private final ArrayDeque<Work> readyQueue = new ArrayDeque<>();
    private int idleWorkers;

    // The scheduler: task graph, completion queue, groups waiting for idle workers, drain.
    private final ReentrantLock schedulerLock = new ReentrantLock();
    private final Condition completionAvailable = schedulerLock.newCondition();
    private final Condition drained = schedulerLock.newCondition();
    private final ArrayDeque<Work> completions = new ArrayDeque<>();
    private final ArrayDeque<Task> waitingGroups = new ArrayDeque<>();
    private final ArrayList<Task> tasks = new ArrayList<>();
    private volatile int waitingGroupCount;
    private int idBase;
    private int outstanding;
    private Throwable failure;

    private volatile boolean running = true;

    /**
     * Start the worker threads (and in PROCESS mode their children) and the scheduler thread.
     *
     * @param mode        THREAD or PROCESS.
     * @param workerCount how many workers, at least 1.
     * @throws IllegalArgumentException when {@code workerCount} is below 1.
     * @throws IllegalStateException    when a child fails to start; everything started is stopped.
     */
    public ReferenceEngine(final ReferenceMode mode, final int workerCount)
    {
        if (workerCount < 1)
        {
            throw new IllegalArgumentException("workerCount must be at least 1: workerCount=" + workerCount);
        }
        this.mode = mode;
        this.workerCount = workerCount;
        this.threadNamePrefix = "reference-" + INSTANCES.incrementAndGet() + "-";

        if (ReferenceMode.PROCESS == mode)
        {
            processWorkers = new ReferenceProcessWorker[workerCount];
            try
            {
                for (int i = 0; i < workerCount; i++)
                {
                    processWorkers[i] = new ReferenceProcessWorker();
                }
            }
            catch (final RuntimeException ex)
            {
                closeProcessWorkers();
                throw ex;
            }
        }
        else
        {
            processWorkers = null;
        }

        workers = new Thread[workerCount];
        for (int i = 0; i < workerCount; i++)
        {
            final int index = i;
            workers[i] = new Thread(() -> workerLoop(index), threadNamePrefix + "worker-" + i);
            workers[i].setDaemon(true);
            workers[i].start();
        }
        scheduler = new Thread(this::schedulerLoop, threadNamePrefix + "scheduler");
        scheduler.setDaemon(true);
        scheduler.start();
    }

    /**
     * The mode the engine was started in.
     *
     * @return THREAD or PROCESS.
     */
    public ReferenceMode mode()
    {
        return mode;
    }

    /**
     * How many workers run tasks.
     *
     * @return the worker count.
     */
    public int workerCount()
    {
        return workerCount;
    }

    /**
     * The prefix of the names of this engine's threads.
     *
     * @return e.g. {@code "reference-3-"}.
     */
    public String threadNamePrefix()
    {
        return threadNamePrefix;
    }

    /**
     * Submit one task.
     *
     * @param task        what to run on a worker.
     * @param producerIds ids of tasks that must complete first; duplicates and retired ids are ignored.
     * @return the task's id.
     * @throws IllegalArgumentException when a producer id was never returned.
     * @throws IllegalStateException    when the engine is closed.
     */
    public int submit(final Runnable task, final int... producerIds)
    {
        return submitTask(new Task(1, task, null), producerIds);
    }

    /**
     * Submit a group: one graph node that runs on {@code size} workers at the same time, member i getting i.
     *
     * @param size        how many members, 1..{@link #workerCount()}.
     * @param member      what each member runs, given its index.
     * @param producerIds ids of tasks that must complete first; duplicates and retired ids are ignored.
     * @return the group's id.
     * @throws IllegalArgumentException when the group is larger than the pool or a producer id was never returned.
     * @throws IllegalStateException    when the engine is closed.
     */
    public int submitGroup(final int size, final IntConsumer member, final int... producerIds)
    {
        if (size < 1 || size > workerCount)
        {
            throw new IllegalArgumentException("group size must be 1.." + workerCount + " (the pool), it could " +
                "never run otherwise: size=" + size);
        }
        return submitTask(new Task(size, null, member), producerIds);
    }

    /**
     * Block until every submitted task has completed; then ids submitted so far are retired.
     *
     * @throws IllegalStateException when a task failed since the last drain (the first failure is the cause), the
     *                               engine was closed, or the thread was interrupted.
     */
    public void drain()
    {
        schedulerLock.lock();
        try
        {
            while (outstanding > 0 && running)
            {
                drained.await();
            }
            if (outstanding > 0)
            {
                throw new IllegalStateException("engine closed while draining");
            }
            idBase = Math.addExact(idBase, tasks.size());
            tasks.clear();
            final Throwable error = failure;
            failure = null;
            if (null != error)
            {
                throw new IllegalStateException("a task failed: " + error, error);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while draining", ex);
        }
        finally
        {
            schedulerLock.unlock();
        }
    }

    /**
     * Stop the threads (bounded wait) and, in PROCESS mode, the children. Tasks still queued are dropped.
     */
    @Override
    public void close()
    {
        if (!running)
        {
            return;
        }
        running = false;
        signalAll(readyLock, workAvailable);
        signalAll(schedulerLock, completionAvailable);
        signalAll(schedulerLock, drained);
        try
        {
            for (final Thread worker : workers)
            {
                join(worker);
            }
            join(scheduler);
        }
        finally
        {
            closeProcessWorkers();
        }
    }

    ReferenceProcessWorker processWorker(final int index)
    {
        return processWorkers[index];
    }

    private int submitTask(final Task task, final int[] producerIds)
    {
        schedulerLock.lock();
        try
        {
            if (!running)
            {
                throw new IllegalStateException("engine is closed");
            }
            final int count = tasks.size();
            for (final int id : producerIds)
            {
                if (id - idBase >= count || id < 0)
                {
                    throw new IllegalArgumentException("unknown producer id: " + id);
                }
            }
            task.id = Math.addExact(idBase, count);
            for (final int id : producerIds)
            {
                if (id < idBase)
                {
                    continue;
                }
                final Task producer = tasks.get(id - idBase);
                if (producer.completed || producer.lastConsumer == task.id)
                {
                    continue;
                }
                producer.lastConsumer = task.id;
                producer.consumers.add(task);
                task.pendingProducers++;
            }
            tasks.add(task);
            outstanding++;
            if (0 == task.pendingProducers)
            {
                makeReady(task);
                if (task.size > 1)
                {
                    completionAvailable.signal();
                }
            }
            return task.id;
        }
        finally
        {
            schedulerLock.unlock();
        }
    }

    // Called with schedulerLock held.
    private void makeReady(final Task task)
    {
        if (1 == task.size)
        {
            readyLock.lock();
            try
            {
                readyQueue.addLast(new Work(task, 0));
                workAvailable.signal();
            }
            finally
            {
                readyLock.unlock();
            }
        }
        else
        {
            waitingGroups.addLast(task);
            waitingGroupCount = waitingGroups.size();
        }
    }

    private void schedulerLoop()
    {
        schedulerLock.lock();
        try
        {
            while (running)
            {
                if (completions.isEmpty())
                {
                    completionAvailable.awaitNanos(SCHEDULER_WAIT_NS);
                }
                Work work;
                while (null != (work = completions.pollFirst()))
                {
                    onCompleted(work);
                }
                dispatchGroups();
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            schedulerLock.unlock();
        }
    }

    // Called with schedulerLock held.
    private void onCompleted(final Work work)
    {
        if (null != work.error && null == failure)
        {
            failure = work.error;
        }
        final Task task = work.task;
        if (--task.membersRemaining > 0)
        {
            return;
        }
        task.completed = true;
        for (final Task consumer : task.consumers)
        {
            if (--consumer.pendingProducers == 0)
            {
                makeReady(consumer);
            }
        }
        task.consumers.clear();
        if (--outstanding == 0)
        {
            drained.signalAll();
        }
    }

    // Called with schedulerLock held: a group goes out only when enough workers are idle and not yet spoken for.
    private void dispatchGroups()
    {
        if (waitingGroups.isEmpty())
        {
            return;
        }
        readyLock.lock();
        try
        {
            Task group;
            while (null != (group = waitingGroups.peekFirst()) && idleWorkers - readyQueue.size() >= group.size)
            {
                waitingGroups.pollFirst();
                for (int i = 0; i < group.size; i++)
                {
                    readyQueue.addLast(new Work(group, i));
                }
                workAvailable.signalAll();
            }
        }
        finally
        {
            readyLock.unlock();
        }
        waitingGroupCount = waitingGroups.size();
    }

    private void workerLoop(final int index)
    {
        final ReferenceProcessWorker processWorker = null == processWorkers ? null : processWorkers[index];
        Work work;
        while (null != (work = takeWork()))
        {
            try
            {
                if (null != processWorker)
                {
                    processWorker.execute(ReferenceProcessWorker.NOOP_CALLABLE);
                }
                final Task task = work.task;
                if (null != task.single)
                {
                    task.single.run();
                }
                else
                {
                    task.member.accept(work.member);
                }
            }
            catch (final Throwable ex)
            {
                work.error = ex;
            }

            schedulerLock.lock();
            try
            {
                completions.addLast(work);
                completionAvailable.signal();
            }
            finally
            {
                schedulerLock.unlock();
            }
        }
    }

    private Work takeWork()
    {
        readyLock.lock();
        try
        {
            idleWorkers++;
            try
            {
                boolean nudged = false;
                while (running && readyQueue.isEmpty())
                {
                    if (!nudged && waitingGroupCount > 0)
                    {
                        // A group waits for idle workers: tell the scheduler this one is idle now rather than
                        // leaving it to the next 1 ms timeout. Never take the scheduler lock under the ready lock.
                        nudged = true;
                        readyLock.unlock();
                        try
                        {
                            signalAll(schedulerLock, completionAvailable);
                        }
                        finally
                        {
                            readyLock.lock();
                        }
                        continue;
                    }
                    workAvailable.await();
                }
                return running ? readyQueue.pollFirst() : null;
            }
            finally
            {
                idleWorkers--;
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return null;
        }
        finally
        {
            readyLock.unlock();
        }
    }

    private static void signalAll(final ReentrantLock lock, final Condition condition)
    {
        lock.lock();
        try
        {
            condition.signalAll();
        }
        finally
        {
            lock.unlock();
        }
    }

    private static void join(final Thread thread)
    {
        try
        {
            thread.join(JOIN_TIMEOUT_MS);
            if (thread.isAlive())
            {
                thread.interrupt();
                thread.join(TimeUnit.MILLISECONDS.toMillis(JOIN_TIMEOUT_MS));
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void closeProcessWorkers()
    {
        if (null == processWorkers)
        {
            return;
        }
        RuntimeException error = null;
        for (final ReferenceProcessWorker processWorker : processWorkers)
        {
            if (null == processWorker)
            {
                continue;
            }
            try
            {
                processWorker.close();
            }
            catch (final RuntimeException ex)
            {
                if (null == error)
                {
                    error = ex;
                }
            }
        }
        if (null != error)
        {
            throw error;
        }
    }

    private static final class Task
    {
        final int size;
        final Runnable single;
        final IntConsumer member;
        final ArrayList<Task> consumers = new ArrayList<>(2);
        int id;
        int pendingProducers;
        int membersRemaining;
        int lastConsumer = -1;
        boolean completed;

        Task(final int size, final Runnable single, final IntConsumer member)
        {
            this.size = size;
            this.single = single;
            this.member = member;
            this.membersRemaining = size;
        }
    }

    private static final class Work
    {
        final Task task;
        final int member;
        Throwable error;

        Work(final Task task, final int member)
        {
            this.task = task;
            this.member = member;
        }
    }
}
