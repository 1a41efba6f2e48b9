package dev.simpler.remote.node;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.agrona.CloseHelper;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.DataType;
import dev.simpler.engine.OrchFn;
import dev.simpler.engine.TaskArgsView;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;
import dev.simpler.remote.transport.DropCounters;
import dev.simpler.remote.transport.DropReason;
import dev.simpler.remote.transport.HostAndPort;
import dev.simpler.remote.transport.RemoteConfiguration;
import dev.simpler.remote.transport.Transport;
import io.aeron.ChannelUri;
import io.aeron.Subscription;

/**
 * A running node: its subscription on the listen endpoint, its staging memory (a shared tensor of its L3 Worker),
 * and the threads of its {@link NodeConductor} and {@link NodeRunner}, each an Agrona agent that idles as the
 * Worker's wait strategy says. {@code dev.simpler.remote.SimplerNode} is its public face.
 */
public final class NodeHost implements AutoCloseable
{
    private static final long RESOLVE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
    private static final int THREAD_STOP_TIMEOUT_MS = 5_000;

    private final String listenAddress;
    private final Worker worker;
    private final Transport transport;
    private final DropCounters drops;
    private final NodeConductor conductor;
    private final NodeRunner runner;
    private final AgentRunner conductorRunner;
    private final AgentRunner runnerRunner;
    private boolean closed;

    private NodeHost(
        final String listenAddress,
        final Worker worker,
        final Transport transport,
        final DropCounters drops,
        final NodeConductor conductor,
        final NodeRunner runner,
        final AgentRunner conductorRunner,
        final AgentRunner runnerRunner)
    {
        this.listenAddress = listenAddress;
        this.worker = worker;
        this.transport = transport;
        this.drops = drops;
        this.conductor = conductor;
        this.runner = runner;
        this.conductorRunner = conductorRunner;
        this.runnerRunner = runnerRunner;
    }

    /**
     * Start a node; returns once its subscription is open, so sessions are accepted.
     *
     * @param listen       where to listen (port 0: any free port).
     * @param secret       the shared secret, checked by the caller.
     * @param worker       the L3 Worker, initialised; the node closes it.
     * @param functions    the node's functions by name.
     * @param stagingBytes bytes of staging for the blocks of large tasks.
     * @param maxSessions  sessions admitted at once.
     * @return the node.
     * @throws IllegalStateException when it cannot listen there; nothing is left running then.
     */
    public static NodeHost start(
        final HostAndPort listen,
        final byte[] secret,
        final Worker worker,
        final Map<String, OrchFn<TaskArgsView>> functions,
        final long stagingBytes,
        final int maxSessions)
    {
        final Long2ObjectHashMap<OrchFn<TaskArgsView>> byHandle = new Long2ObjectHashMap<>();
        functions.forEach((fnName, fn) -> byHandle.put(Worker.orchestrationHandle(fnName), fn));
        final String functionNames = functions.keySet().toString();

        final Transport transport = Transport.acquire(worker.waitStrategy());
        Subscription subscription = null;
        AgentRunner conductorRunner = null;
        try
        {
            try
            {
                subscription = transport.aeron().addSubscription(listen.subscriptionChannel(),
                    RemoteConfiguration.REQUEST_STREAM_ID);
            }
            catch (final RuntimeException ex)
            {
                throw new IllegalStateException("a node cannot listen on " + listen + ": " + ex.getMessage(), ex);
            }
            final String address = resolvedAddress(listen, subscription);
            final String name = "node " + address;
            final long slotsBytes = (long)NodeConductor.slotCount(maxSessions) * RemoteConfiguration.SLOT_BYTES;
            final Tensor stagingTensor =
                worker.sharedTensor(DataType.UINT8, Math.toIntExact(slotsBytes + stagingBytes));
            final UnsafeBuffer staging = new UnsafeBuffer(stagingTensor.address(), (int)stagingTensor.nbytes());
            // A task per staging slot can be with the runner: an ended session's run may still be going.
            final int maxTasks = NodeConductor.slotCount(maxSessions);
            final OneToOneConcurrentArrayQueue<NodeTask> toRunner = new OneToOneConcurrentArrayQueue<>(maxTasks);
            final OneToOneConcurrentArrayQueue<NodeTask> fromRunner = new OneToOneConcurrentArrayQueue<>(maxTasks);
            final DropCounters drops = new DropCounters(name);
            final NodeFault fault = new NodeFault(name);
            final NodeConductor conductor = new NodeConductor(name, transport.aeron(), subscription, secret, staging,
                maxSessions, toRunner, fromRunner, drops, fault);
            final NodeRunner runner = new NodeRunner(name, worker, byHandle, functionNames, toRunner, fromRunner,
                maxTasks, fault);
            conductorRunner = startAgent(conductor, worker, address, fault);
            // The conductor owns the subscription now: its onClose closes it.
            subscription = null;
            final AgentRunner runnerThread = startAgent(runner, worker, address, fault);
            return new NodeHost(address, worker, transport, drops, conductor, runner, conductorRunner,
                runnerThread);
        }
        catch (final RuntimeException | Error ex)
        {
            if (conductorRunner != null)
            {
                CloseHelper.quietClose(conductorRunner);
            }
            CloseHelper.quietClose(subscription);
            Transport.release(transport);
            throw ex;
        }
    }

    /**
     * The endpoint the node listens on, its port resolved.
     *
     * @return {@code host:port}.
     */
    public String listenAddress()
    {
        return listenAddress;
    }

    /**
     * Messages dropped for any reason (SPEC §11).
     *
     * @return the count.
     */
    public long droppedMessages()
    {
        return drops.total();
    }

    /**
     * Messages dropped for one reason.
     *
     * @param reason the reason.
     * @return the count.
     */
    public long droppedMessages(final DropReason reason)
    {
        return drops.count(reason);
    }

    /**
     * Sessions admitted now.
     *
     * @return the count.
     */
    public int sessionCount()
    {
        return conductor.admittedSessions();
    }

    /**
     * Sessions admitted since the start.
     *
     * @return the count.
     */
    public long sessionsAdmitted()
    {
        return conductor.admittedTotal();
    }

    /**
     * Sessions refused since the start.
     *
     * @return the count.
     */
    public long sessionsRefused()
    {
        return conductor.refusedTotal();
    }

    /**
     * Tasks that succeeded and whose outputs went back.
     *
     * @return the count.
     */
    public long tasksSucceeded()
    {
        return runner.tasksSucceeded();
    }

    /**
     * Tasks that failed and whose failure went back.
     *
     * @return the count.
     */
    public long tasksFailed()
    {
        return runner.tasksFailed();
    }

    /**
     * Staging bytes held now (sessions' slots and large tasks' blocks), as of the conductor's last timer tick.
     *
     * @return bytes.
     */
    public long stagingInUse()
    {
        return conductor.stagingInUse();
    }

    /**
     * The most staging bytes one task may need.
     *
     * @return bytes.
     */
    public long maxTaskBytes()
    {
        return conductor.maxTaskBytes();
    }

    /**
     * Stop: tell admitted L4s the node is closing, stop the threads, close the Worker (which waits a bounded time
     * for runs in flight and frees the staging memory), then give back the transport. Idempotent.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            stop(conductorRunner);
            stop(runnerRunner);
        }
        finally
        {
            CloseHelper.quietClose(worker);
            Transport.release(transport);
        }
    }

    private static String resolvedAddress(final HostAndPort listen, final Subscription subscription)
    {
        if (listen.port() != 0)
        {
            return listen.toString();
        }
        final long deadline = System.nanoTime() + RESOLVE_TIMEOUT_NS;
        String resolved;
        while ((resolved = subscription.tryResolveChannelEndpointPort()) == null
            || resolved.equals(subscription.channel()))
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("the port of " + listen + " was not resolved within 5 s");
            }
            Thread.onSpinWait();
            Thread.yield();
        }
        final String endpoint = ChannelUri.parse(resolved).get("endpoint");
        return endpoint != null ? endpoint : resolved;
    }

    private static AgentRunner startAgent(
        final Agent agent, final Worker worker, final String address, final NodeFault fault)
    {
        final AgentRunner runner = new AgentRunner(Transport.idleStrategy(worker.waitStrategy()),
            (error) -> fault.onError(agent.roleName(), error), null, agent);
        AgentRunner.startOnThread(runner, (runnable) ->
        {
            final Thread thread = new Thread(runnable, agent.roleName() + "-" + address);
            thread.setDaemon(true);
            return thread;
        });
        return runner;
    }

    private static void stop(final AgentRunner runner)
    {
        final int[] tries = new int[1];
        runner.close(THREAD_STOP_TIMEOUT_MS, (stuck) ->
        {
            if (++tries[0] > 1)
            {
                throw new IllegalStateException("thread " + stuck.getName() + " did not stop within "
                    + 2 * THREAD_STOP_TIMEOUT_MS + " ms, also after an interrupt");
            }
            stuck.interrupt();
        });
    }
}
