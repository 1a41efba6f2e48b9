package dev.simpler.remote;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.simpler.engine.Worker;
import dev.simpler.engine.WorkerMode;

/**
 * What the remote tests share: the secret, nodes on loopback, lanes to them.
 */
final class RemoteTests
{
    /** The shared secret of the test nodes: 32 bytes. */
    static final byte[] SECRET = "simpler-remote-test-secret-32-by".getBytes(StandardCharsets.US_ASCII);

    /** Another 32-byte secret. */
    static final byte[] WRONG_SECRET = "simpler-remote-WRONG-secret-32-b".getBytes(StandardCharsets.US_ASCII);

    /** Connect timeout of the test lanes. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** Heap ring size of the test Workers. */
    static final long RING_BYTES = 8L << 20;

    private RemoteTests()
    {
    }

    /**
     * An L3 Worker for a node: two sub workers, small heap rings.
     *
     * @param mode its children's mode.
     * @return the Worker, not initialised.
     */
    static Worker l3(final WorkerMode mode)
    {
        return Worker.builder().mode(mode).subWorkers(2).heapRingSize(RING_BYTES).build();
    }

    /**
     * A node on a free loopback port, running the test functions.
     *
     * @param mode its Worker's mode.
     * @return the node, started.
     */
    static SimplerNode node(final WorkerMode mode)
    {
        final Worker l3 = l3(mode);
        return RemoteKernels.register(l3, SimplerNode.builder().listen("127.0.0.1:0").secret(SECRET).worker(l3))
            .start();
    }

    /**
     * A lane to a node.
     *
     * @param node the node.
     * @return the lane, connected.
     */
    static RemoteWorker lane(final SimplerNode node)
    {
        return RemoteWorker.connect(node.listenAddress(), SECRET, CONNECT_TIMEOUT);
    }
}
