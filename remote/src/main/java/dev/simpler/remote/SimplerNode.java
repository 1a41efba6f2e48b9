package dev.simpler.remote;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.agrona.CloseHelper;

import dev.simpler.engine.OrchFn;
import dev.simpler.engine.TaskArgsView;
import dev.simpler.engine.Worker;
import dev.simpler.mailbox.SharedMemoryFile;
import dev.simpler.remote.node.NodeHost;
import dev.simpler.remote.transport.Handshake;
import dev.simpler.remote.transport.HostAndPort;
import dev.simpler.remote.transport.RemoteConfiguration;

/**
 * One L3 host that a remote L4 drives (SPEC §15): it runs an L3 {@link Worker} (any mode, sub workers and chips) and
 * named orchestration functions, and serves each L4 lane ({@link RemoteWorker}) that proves the shared secret. Each
 * task of a lane runs as one run of the Worker ({@link Worker#submit}), so the tasks of several lanes are runs in
 * flight together; its tensors live in the node's staging memory, a shared tensor of the Worker that PROCESS-mode
 * children see too.
 *
 * <pre>{@code
 * Worker l3 = Worker.builder().subWorkers(2).build();
 * int add = l3.register(args -> ...);
 * try (SimplerNode node = SimplerNode.builder()
 *         .listen("198.18.0.2:40123")
 *         .secret(secret)
 *         .worker(l3)
 *         .function("add", (orch, args) -> orch.submitSub(add, ...))
 *         .start())
 * {
 *     ...
 * }
 * }</pre>
 */
public final class SimplerNode implements AutoCloseable
{
    private final NodeHost host;

    private SimplerNode(final NodeHost host)
    {
        this.host = host;
    }

    /**
     * Start building a node.
     *
     * @return a builder.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * The endpoint the node listens on, with its port resolved when it was built with port 0.
     *
     * @return {@code host:port}.
     */
    public String listenAddress()
    {
        return host.listenAddress();
    }

    /**
     * Network messages the node dropped: malformed, truncated, outside an admitted session, or out of order
     * (SPEC §11). Each reason is also logged, at most once a second.
     *
     * @return the count since the start.
     */
    public long droppedMessages()
    {
        return host.droppedMessages();
    }

    /**
     * Sessions (L4 lanes) admitted now.
     *
     * @return the count.
     */
    public int sessionCount()
    {
        return host.sessionCount();
    }

    /**
     * Sessions refused since the start: a wrong secret, a full node, another protocol version.
     *
     * @return the count.
     */
    public long refusedSessions()
    {
        return host.sessionsRefused();
    }

    /**
     * Tasks the node ran successfully and whose outputs went back to their L4.
     *
     * @return the count since the start.
     */
    public long tasksSucceeded()
    {
        return host.tasksSucceeded();
    }

    /**
     * Tasks that failed on the node (unknown function, a failed run) and whose failure went back to their L4.
     *
     * @return the count since the start.
     */
    public long tasksFailed()
    {
        return host.tasksFailed();
    }

    /**
     * Stop accepting sessions, tell the admitted L4s that the node is closing (their tasks in flight fail at once),
     * close the Worker (bounded wait for its runs) and free everything. Idempotent.
     */
    @Override
    public void close()
    {
        host.close();
    }

    @Override
    public String toString()
    {
        return "SimplerNode{" + host.listenAddress() + '}';
    }

    NodeHost host()
    {
        return host;
    }

    /**
     * Configuration of a {@link SimplerNode}.
     */
    public static final class Builder
    {
        private HostAndPort listen;
        private byte[] secret;
        private Worker worker;
        private final Map<String, OrchFn<TaskArgsView>> functions = new LinkedHashMap<>();
        private long stagingSize = RemoteConfiguration.DEFAULT_STAGING_BYTES;
        private int maxSessions = RemoteConfiguration.DEFAULT_MAX_SESSIONS;

        private Builder()
        {
        }

        /**
         * Where the node listens for L4s.
         *
         * @param hostAndPort a local address and UDP port, e.g. {@code "198.18.0.2:40123"} ({@code 0.0.0.0} for
         *                    every interface; port 0 for any free port, see {@link SimplerNode#listenAddress()}).
         * @return this.
         * @throws IllegalArgumentException when it is not {@code host:port}.
         */
        public Builder listen(final String hostAndPort)
        {
            this.listen = HostAndPort.parse(hostAndPort, "listen address", true);
            return this;
        }

        /**
         * The secret an L4 must prove (HMAC-SHA256 challenge–response) before the node accepts anything from it.
         *
         * @param key at least 32 bytes; copied.
         * @return this.
         * @throws IllegalArgumentException when shorter.
         */
        public Builder secret(final byte[] key)
        {
            this.secret = Handshake.checkSecret(key);
            return this;
        }

        /**
         * The L3 Worker the node runs, built by the caller with its callables registered; the node initialises it if
         * needed and closes it.
         *
         * @param l3 the Worker.
         * @return this.
         */
        public Builder worker(final Worker l3)
        {
            this.worker = Objects.requireNonNull(l3, "l3");
            return this;
        }

        /**
         * A named orchestration function the L4 runs with {@code RemoteWorker.functionHandle(name)}.
         *
         * @param name the name, unique on this node.
         * @param fn   the function; it receives the task's tensors (in the node's staging memory, with their tags)
         *             and scalars.
         * @return this.
         * @throws IllegalArgumentException when the name, or another with the same handle, is taken.
         */
        public Builder function(final String name, final OrchFn<TaskArgsView> fn)
        {
            Objects.requireNonNull(fn, "fn");
            final long handle = Worker.orchestrationHandle(name);
            for (final String existing : functions.keySet())
            {
                if (existing.equals(name) || Worker.orchestrationHandle(existing) == handle)
                {
                    throw new IllegalArgumentException("the node has a function named \"" + existing
                        + "\" already" + (existing.equals(name) ? "" : ", with the same handle as \"" + name + '"'));
                }
            }
            functions.put(name, fn);
            return this;
        }

        /**
         * Bytes of staging memory for the tasks larger than a session's slot (64 KiB), beside the slots: a task
         * needing more fails, one needing more than is free now waits. The memory is a sparse shared file: bytes
         * never used cost nothing.
         *
         * @param bytes at least 1 MiB (default 256 MiB).
         * @return this.
         */
        public Builder stagingSize(final long bytes)
        {
            if (bytes < (1 << 20) || bytes > SharedMemoryFile.MAX_LENGTH / 2)
            {
                throw new IllegalArgumentException("stagingSize must be 1 MiB to " + SharedMemoryFile.MAX_LENGTH / 2
                    + " bytes: bytes=" + bytes);
            }
            this.stagingSize = bytes;
            return this;
        }

        /**
         * How many sessions (L4 lanes) the node admits at once; one more is refused as full.
         *
         * @param sessions 1 to 1024 (default 64).
         * @return this.
         */
        public Builder maxSessions(final int sessions)
        {
            if (sessions < 1 || sessions > 1024)
            {
                throw new IllegalArgumentException("maxSessions must be 1 to 1024: sessions=" + sessions);
            }
            this.maxSessions = sessions;
            return this;
        }

        /**
         * Start the node; returns once it accepts sessions.
         *
         * @return the node.
         * @throws IllegalStateException when the listen address, secret or worker is missing, when the Worker was
         *                               closed, or when the node cannot listen there (the message names the
         *                               address); the Worker is closed then too.
         */
        public SimplerNode start()
        {
            if (listen == null)
            {
                throw new IllegalStateException("a node needs listen(\"host:port\")");
            }
            if (secret == null)
            {
                throw new IllegalStateException("a node needs secret(key) of at least " + Handshake.MIN_SECRET_LENGTH
                    + " bytes");
            }
            if (worker == null)
            {
                throw new IllegalStateException("a node needs worker(l3)");
            }
            try
            {
                if (!worker.isReady())
                {
                    worker.init();
                }
                return new SimplerNode(NodeHost.start(listen, secret, worker, new LinkedHashMap<>(functions),
                    stagingSize, maxSessions));
            }
            catch (final RuntimeException | Error ex)
            {
                CloseHelper.quietClose(worker);
                throw ex;
            }
        }
    }
}
