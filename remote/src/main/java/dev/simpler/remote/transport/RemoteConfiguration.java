package dev.simpler.remote.transport;

/**
 * Every tunable of the remote module in one place, each with why it has its value. The protocol timings and
 * Aeron's buffer sizes can be overridden with a system property (named beside each), read once at class load, as
 * Aeron's own {@code Configuration} does; the rest are fixed.
 */
public final class RemoteConfiguration
{
    /** Aeron stream of the messages from an L4 to a node (on the node's listen endpoint). */
    public static final int REQUEST_STREAM_ID = 7301;

    /**
     * Messages from a node to an L4 travel on the reply endpoint that the L4 process's lanes share, each lane's on
     * the stream whose id is its own publication's session id (the node's image of it), so that the driver reads one
     * socket for every lane and hands each lane only its own messages. This stream is the one that holds the
     * endpoint open; nothing is sent on it, and a lane whose publication got this id as its session takes another.
     */
    public static final int REPLY_ANCHOR_STREAM_ID = 7302;

    /**
     * Version of the protocol a SessionRequest asks for; a node refuses any other. 2: the node replies on the stream
     * named by the session id of the L4 lane's publication (1 replied on one stream, to a port per lane).
     */
    public static final int PROTOCOL_VERSION = 2;

    /**
     * Each side sends a heartbeat this often ({@code simpler.remote.heartbeat.interval.ms}, default 100): a tenth of
     * the timeout, so a few lost heartbeats do not end a session.
     */
    public static final long HEARTBEAT_INTERVAL_MS = Long.getLong("simpler.remote.heartbeat.interval.ms", 100L);

    /**
     * A peer silent for this long is dead ({@code simpler.remote.heartbeat.timeout.ms}, default 1000): the L4 fails
     * the node's task in flight, the node drops the L4's session. SPEC §15 wants both within 2 s of the fault; a GC
     * pause longer than this in either JVM ends the session too.
     */
    public static final long HEARTBEAT_TIMEOUT_MS = Long.getLong("simpler.remote.heartbeat.timeout.ms", 1000L);

    /** A node forgets a session whose handshake did not finish within this long. */
    public static final long HANDSHAKE_TIMEOUT_MS = Long.getLong("simpler.remote.handshake.timeout.ms", 5000L);

    /**
     * Term length of every publication ({@code simpler.remote.term.length}, default 8 MiB): a publication maps three
     * terms (sparse until written). It bounds the receiver window too (at most half a term) but does not set it: the
     * window is Aeron's default, 128 KiB ({@code aeron.rcv.initial.window.length}). A wider window moves a 64 MiB
     * transfer faster but puts more bytes ahead of a heartbeat in a session's stream (perf/README.md section 13).
     */
    public static final int TERM_LENGTH = Integer.getInteger("simpler.remote.term.length", 8 << 20);

    /**
     * Receive buffer of the UDP socket that all the lanes of an L4 process share for their replies
     * ({@code simpler.remote.reply.so.rcvbuf}, default 2 MiB; the kernel caps it at {@code net.core.rmem_max}): the
     * nodes' streams to the lanes arrive there together, each up to a receiver window at a time, and the system's
     * default (208 KiB here) dropped datagrams when four lanes took megabytes back at once (the main job's multi-host
     * runs took half as long again, until losses were repaired).
     */
    public static final int REPLY_SO_RCVBUF = Integer.getInteger("simpler.remote.reply.so.rcvbuf", 2 << 20);


    /**
     * MTU of every publication ({@code simpler.remote.mtu}, default 1408, Aeron's own, below the 1500 bytes of an
     * Ethernet or veth link). Every message the module sends on the hot path fits in one frame of this size, so no
     * message is fragmented or reassembled.
     */
    public static final int MTU = Integer.getInteger("simpler.remote.mtu", 1408);

    /** Bytes a node keeps for each admitted session: a task needing no more staging is never granted. */
    public static final int SLOT_BYTES = 64 * 1024;

    /**
     * Default bytes of a node's staging memory (a sparse shared file), where the tensors of the tasks in flight
     * live: a slot per session and the larger tasks; a task needing more than it has fails.
     */
    public static final long DEFAULT_STAGING_BYTES = 256L << 20;

    /** Default number of sessions a node admits at once (each RemoteWorker of an L4 is one). */
    public static final int DEFAULT_MAX_SESSIONS = 64;

    /** Handshakes a node runs at once; requests beyond are dropped and counted, so a flood costs little. */
    public static final int MAX_PENDING_HANDSHAKES = 16;

    /** Most tensors of one remote task. */
    public static final int MAX_TENSORS = 256;

    /** Most scalars of one remote task. */
    public static final int MAX_SCALARS = 1024;

    /** A task failure's message is cut to this many bytes of UTF-8, so that a completion fits in one frame. */
    public static final int MAX_ERROR_MESSAGE_BYTES = 1000;

    /** A refusal's message is cut to this many bytes. */
    public static final int MAX_REFUSE_MESSAGE_BYTES = 512;

    /** Each tensor of a task's block starts at a multiple of this many bytes (a cache line). */
    public static final int BLOCK_ALIGNMENT = 64;

    /** Fragments taken from a subscription in one duty cycle: enough to keep a large transfer moving. */
    public static final int FRAGMENT_LIMIT = 256;

    /** Spins of a backing-off thread before it yields (Agrona's BackoffIdleStrategy). */
    public static final long IDLE_MAX_SPINS = 20;

    /** Yields of a backing-off thread before it parks. */
    public static final long IDLE_MAX_YIELDS = 50;

    /**
     * Spins of the embedded media driver's one thread, for a Worker that backs off, before it yields
     * ({@code simpler.remote.driver.idle.spins}, default 2). Each of its idle duty cycles costs a receive call on every
     * socket it reads (the data endpoint and each publication's control endpoint), most of them on empty sockets:
     * with 20 spins and 50 yields, as the other threads here, the drivers of an L4 and two nodes took most of a
     * 2-core machine and slowed every row (perf/README.md section 13, round trip p50 389 µs against 190 µs).
     */
    public static final long DRIVER_IDLE_MAX_SPINS = Long.getLong("simpler.remote.driver.idle.spins", 2L);

    /**
     * Yields of the embedded media driver's thread, for a Worker that backs off, before it parks
     * ({@code simpler.remote.driver.idle.yields}, default 5); raise both on a machine with cores to spare.
     */
    public static final long DRIVER_IDLE_MAX_YIELDS = Long.getLong("simpler.remote.driver.idle.yields", 5L);

    /** First park of a backing-off thread. */
    public static final long IDLE_MIN_PARK_NS = 1_000L;

    /**
     * Longest park of a backing-off thread (Aeron's own default): a task arriving at an idle node waits at most this
     * long to be seen, and an idle node's threads wake a thousand times a second each, which a busy 2-core machine
     * can afford (BUSY_SPIN is the mode for latency).
     */
    public static final long IDLE_MAX_PARK_NS = 1_000_000L;

    /**
     * A thread that checks a peer's heartbeats and finds it did not run for longer than this was starved of CPU
     * itself: the excess does not count as the peer's silence (on a loaded 2-core machine a thread can wait most of
     * a second to run, while the peer's messages wait unread).
     */
    public static final long STALL_NS = 100_000_000L;

    private RemoteConfiguration()
    {
    }
}
