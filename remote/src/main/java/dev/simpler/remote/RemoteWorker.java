package dev.simpler.remote;

import java.time.Duration;
import java.util.Objects;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.IWorker;
import dev.simpler.engine.TaskArgsView;
import dev.simpler.engine.WaitStrategy;
import dev.simpler.engine.Worker;
import dev.simpler.engine.worker.NodeGauge;
import dev.simpler.engine.worker.NodeLink;
import dev.simpler.remote.client.FunctionNames;
import dev.simpler.remote.client.Lane;
import dev.simpler.remote.client.LaneConductor;
import dev.simpler.remote.transport.Handshake;
import dev.simpler.remote.transport.HostAndPort;
import dev.simpler.remote.transport.RemoteConfiguration;
import dev.simpler.remote.transport.Transport;

/**
 * An L4's next-level worker for a remote L3 node (SPEC §15): one lane, one task in flight. Add the RemoteWorkers of
 * a node to a level-4 Worker with {@code Builder.nextLevel(IWorker)}, k of them for k lanes (k tasks in flight on
 * that node, which runs them as runs in flight). A task names the node's function with {@link #functionHandle}; its
 * INPUT bytes go with it, its OUTPUT and OUTPUT_EXISTING bytes come back into the L4's tensors before the task
 * completes, INOUT and NO_DEP both ways.
 *
 * <p>A node that dies, loses its link or stops answering fails the task in flight within the heartbeat timeout
 * (1 s by default) with an error naming it; the next task reconnects, waiting at most the connect timeout.
 *
 * <pre>{@code
 * RemoteWorker lane = RemoteWorker.connect("198.18.0.2:40123", secret, Duration.ofSeconds(5));
 * Worker l4 = Worker.builder().level(4).nextLevel(lane).build();
 * l4.init();
 * l4.run((orch, x) -> orch.submitNextLevel(RemoteWorker.functionHandle("add"), args, CallConfig.DEFAULT), null);
 * }</pre>
 */
public final class RemoteWorker implements IWorker, NodeLink, AutoCloseable
{
    private final Lane lane;
    private final Transport transport;
    private final long closeTimeoutNs;
    private boolean closed;

    private RemoteWorker(final Lane lane, final Transport transport, final long closeTimeoutNs)
    {
        this.lane = lane;
        this.transport = transport;
        this.closeTimeoutNs = closeTimeoutNs;
    }

    /**
     * Open a lane to a node: connect and prove the shared secret.
     *
     * @param hostAndPort the node's endpoint, e.g. {@code "198.18.0.2:40123"}.
     * @param secret      the node's secret, at least 32 bytes.
     * @param timeout     how long this connect, and every later reconnect, may take.
     * @return the lane, connected.
     * @throws IllegalStateException naming the node when it does not answer in time or refuses the session (a
     *                               wrong secret says so).
     */
    public static RemoteWorker connect(final String hostAndPort, final byte[] secret, final Duration timeout)
    {
        return connect(hostAndPort, secret, timeout, WaitStrategy.BACKOFF);
    }

    /**
     * Open a lane to a node, choosing how the thread running a task waits for its completion.
     *
     * @param hostAndPort the node's endpoint.
     * @param secret      the node's secret, at least 32 bytes.
     * @param timeout     how long this connect, and every later reconnect, may take.
     * @param strategy    BACKOFF (default) or BUSY_SPIN.
     * @return the lane, connected.
     * @throws IllegalStateException naming the node when it does not answer in time or refuses the session.
     */
    public static RemoteWorker connect(
        final String hostAndPort, final byte[] secret, final Duration timeout, final WaitStrategy strategy)
    {
        final HostAndPort node = HostAndPort.parse(hostAndPort, "node address");
        final byte[] key = Handshake.checkSecret(secret);
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(strategy, "strategy");
        if (timeout.isNegative() || timeout.isZero())
        {
            throw new IllegalArgumentException("the connect timeout must be positive: " + timeout);
        }
        final Transport transport = Transport.acquire(strategy);
        final Lane lane;
        try
        {
            lane = new Lane(node, transport, key, timeout.toNanos(), Transport.idleStrategy(strategy));
            lane.acquire();
            try
            {
                lane.connect();
            }
            finally
            {
                lane.release();
            }
        }
        catch (final RuntimeException | Error ex)
        {
            Transport.release(transport);
            throw ex;
        }
        finally
        {
            java.util.Arrays.fill(key, (byte)0);
        }
        LaneConductor.add(lane);
        final long closeTimeoutNs = Duration.ofMillis(2 * RemoteConfiguration.HEARTBEAT_TIMEOUT_MS).toNanos();
        return new RemoteWorker(lane, transport, closeTimeoutNs);
    }

    /**
     * The handle of a node's function, for {@code submitNextLevel}: the same as
     * {@link Worker#orchestrationHandle(String)}, remembered so that errors name the function.
     *
     * @param name the function's name.
     * @return its handle.
     */
    public static long functionHandle(final String name)
    {
        return FunctionNames.handle(name);
    }

    /**
     * Run one task on the node and wait for it; its outputs are in the L4's tensors when this returns.
     *
     * @param callable the function's handle ({@link #functionHandle}).
     * @param args     the task's tensors (with their tags) and scalars.
     * @param config   the task's launch configuration.
     * @throws Exception a failure carrying the node's error code (1 for an unknown function, naming it, or a node
     *                   that cannot be reached, stopped answering or ended the session, naming it; 2 when the
     *                   function threw).
     */
    @Override
    public void run(final long callable, final TaskArgsView args, final CallConfig config) throws Exception
    {
        lane.acquire();
        try
        {
            lane.run(callable, args, config);
        }
        finally
        {
            lane.release();
        }
    }

    /**
     * Report this lane's session to the gauge of remote nodes connected of the Worker it was added to (SPEC §14);
     * the Worker calls this when it starts and when it closes.
     *
     * @param gauge the Worker's gauge, or null.
     */
    @Override
    public void nodeGauge(final NodeGauge gauge)
    {
        lane.nodeGauge(gauge);
    }

    /**
     * Whether the lane has a session with the node now (it reconnects at the next task when not).
     *
     * @return true when connected.
     */
    public boolean isConnected()
    {
        return lane.isConnected();
    }

    /**
     * The node's endpoint.
     *
     * @return {@code host:port}.
     */
    @Override
    public String node()
    {
        return lane.node().toString();
    }

    /**
     * Messages from the node this lane dropped (malformed, out of order, another session's).
     *
     * @return the count.
     */
    public long droppedMessages()
    {
        return lane.droppedMessages();
    }

    /**
     * End the session and free the lane; a task running on another thread fails. Idempotent.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        LaneConductor.remove(lane);
        lane.close(closeTimeoutNs);
        Transport.release(transport);
    }

    @Override
    public String toString()
    {
        return "RemoteWorker{" + lane.node() + (lane.isConnected() ? ", connected" : ", not connected") + '}';
    }
}
