package dev.simpler.engine.config;

/**
 * Every tuning constant of the engine, in one place, each with why it has its value and where it was measured
 * (sections of perf/README.md). The settings a user chooses per Worker are in {@link EngineContext} (through
 * {@code Worker.Builder}); these are fixed, and compile-time constants, so that the hot paths see literals.
 */
public final class Configuration
{
    // ------------------------------------------------------------------------------------------ Worker defaults

    /** Default bytes of each of the four heap rings (SPEC §4). */
    public static final long DEFAULT_HEAP_RING_SIZE = 64L << 20;

    /** Default entries of each ready queue's ring; ready tasks beyond it wait in an overflow list. */
    public static final int DEFAULT_READY_QUEUE_CAPACITY = 16384;

    /** Default time a heap-ring claim may wait without progress before it fails (SPEC §4). */
    public static final long DEFAULT_ALLOC_TIMEOUT_MS = 10_000L;

    /** Default time a PROCESS-mode child may take to report ready (SPEC §8). */
    public static final long DEFAULT_CHILD_START_TIMEOUT_MS = 30_000L;

    // ------------------------------------------------------------------------------------------ orchestrator

    /**
     * Submits in a row, with no wait between, after which THREAD-mode tasks are staged and published in batches:
     * a short run's tasks go out one by one, a stream of submits meets the workers once per batch (perf/README.md
     * section 3).
     */
    public static final int STAGE_AFTER = 64;

    /** Staged tasks published together (perf/README.md section 3). */
    public static final int STAGE_BATCH = 64;

    /**
     * A full slot table waits for this share of it (as a shift: an eighth) to free before the submits go on, rather
     * than growing with every submit of a long run (perf/README.md section 3).
     */
    public static final int PACE_REFILL_SHIFT = 3;

    /** A full slot table grows after waiting this long without any task completing (perf/README.md section 3). */
    public static final long PACE_STALL_NS = 50_000_000L;

    /**
     * Shortest park of an orchestrating thread that waits while work in flight moves only when it assists
     * (PROCESS mode); later parks grow with the wait, a sixteenth of it, up to {@link #MAX_ASSISTED_PARK_NS}, so a
     * long task costs little CPU and at most about 6 % more time (perf/README.md section 2).
     */
    public static final long ASSISTED_PARK_NS = 20_000L;

    /** Longest park of an assisting orchestrating thread (perf/README.md section 2). */
    public static final long MAX_ASSISTED_PARK_NS = 1_000_000L;

    /**
     * A wait of the orchestrating thread with no progress for this long asks the worker threads to hand
     * completions back one by one; a stream of short tasks hands back a full group well before
     * (perf/README.md section 8).
     */
    public static final long WANT_COMPLETIONS_AFTER_NS = 50_000L;

    /**
     * Reader entries a segment of the access index starts with; a list that fills drops its readers that finished
     * and doubles only when more than half are still live, so a long stream of readers keeps it short (SPEC §3).
     */
    public static final int ACCESS_READERS_INITIAL = 4;

    /**
     * Segments the access index holds before it first sweeps out those with no writer and no live reader (bytes only
     * read, by tasks that finished); it sweeps again each time it doubled since (SPEC §3).
     */
    public static final int ACCESS_INDEX_SWEEP_MIN = 4096;

    // ------------------------------------------------------------------------------------------ scheduler

    /**
     * Completions a worker thread hands back together, at most: each hand-back moves the completion stack's head
     * and the group's record between cores, and the orchestrating thread looks for completions once per this many
     * submits. Groups of 64 ran a chain about 10 % faster than groups of 16; 128 were no better
     * (perf/README.md section 8).
     */
    public static final int COMPLETION_GROUP = 64;

    /**
     * Tasks of a published batch whose links a worker thread starts loading together, so that a chain's links
     * cross from the orchestrating thread's core eight at a time (perf/README.md section 4).
     */
    public static final int LOOK_AHEAD = 8;

    /** Slots the slot table starts with and grows by; a multiple of 64 (its free set is a word per 64 slots). */
    public static final int SLOT_CHUNK_SIZE = 1024;

    // ------------------------------------------------------------------------------------------ worker threads

    /**
     * How long staged tasks wait for the orchestrating thread before an idle worker thread publishes them (the
     * orchestrating thread went on with user code and left them staged; perf/README.md section 3).
     */
    public static final long TAKE_STAGED_AFTER_NS = 20_000L;

    /**
     * An idle worker thread looks at the staged count once per this many idle rounds plus one (a mask), and at most
     * every {@link #STAGED_READ_INTERVAL_NS}: the orchestrating thread writes that count on every submit while it
     * streams, and each read takes the line away from it (perf/README.md section 4).
     */
    public static final int STAGED_CHECK_MASK = 31;

    /** Shortest time between two reads of the staged count by an idle worker thread. */
    public static final long STAGED_READ_INTERVAL_NS = 4_000L;

    /** How long {@code Worker.init} waits for a worker thread to pin itself to its CPU. */
    public static final long PIN_TIMEOUT_MS = 10_000L;

    // ------------------------------------------------------------------------------------------ waiting

    /** Spins of the backoff strategy before it starts to yield. */
    public static final int BACKOFF_SPINS = 200;

    /** Yields of the backoff strategy before it starts to park. */
    public static final int BACKOFF_YIELDS = 20;

    /** Longest park of the backoff strategy: a safety net only, wake-ups normally end a park much sooner. */
    public static final long BACKOFF_MAX_PARK_NS = 1_000_000L;

    // ------------------------------------------------------------------------------------------ PROCESS mode

    /** How often the driver checks that every child is alive (SPEC §8: a death is reported within 1 s). */
    public static final long CHILD_LIVENESS_INTERVAL_NS = 1_000_000L;

    /**
     * Quiet duty cycles of the driver thread, while tasks are in flight, that spin before it yields; then
     * {@link #DRIVER_IN_FLIGHT_YIELDS} that yield, then parks (perf/README.md section 2).
     */
    public static final int DRIVER_IN_FLIGHT_SPINS = 2_000;

    /** Quiet duty cycles that yield after the spins. */
    public static final int DRIVER_IN_FLIGHT_YIELDS = 200;

    /**
     * Shortest and longest park of the driver thread while a long task is in flight: a sixteenth of the quiet time
     * so far within these bounds, so a long task costs little CPU and at most about 6 % more time.
     */
    public static final long DRIVER_IN_FLIGHT_PARK_NS = 20_000L;

    /** Longest park of the driver thread while a task is in flight. */
    public static final long DRIVER_MAX_IN_FLIGHT_PARK_NS = 1_000_000L;

    /**
     * Shortest and longest park of the driver thread while the orchestrating thread drives the children: it looks
     * less often the longer the orchestrating thread keeps driving (perf/README.md section 2).
     */
    public static final long DRIVER_MIN_BACKUP_PARK_NS = 50_000L;

    /** Longest park of the driver thread as a backup. */
    public static final long DRIVER_MAX_BACKUP_PARK_NS = 1_000_000L;

    /** State-machine steps one child takes per duty cycle: a finished task and the dispatch of the next. */
    public static final int CHILD_STEPS_PER_CYCLE = 3;

    /** How often one task may go to a child that dies without taking it before the task fails (SPEC §8). */
    public static final int CHILD_MAX_RESENDS = 3;

    /**
     * Replacements in a row that may be killed by a signal while they start before their worker is marked dead: a
     * bound against a child that can never start, loose enough for children killed from outside again and again.
     */
    public static final int CHILD_MAX_KILLED_STARTS = 10;

    /**
     * Idle polls of a child with a doorbell (the backoff strategy) before it sleeps until the engine rings: the
     * spins and yields of its backoff, then sleep.
     */
    public static final int CHILD_ROUNDS_BEFORE_SLEEP = 120;

    /** Spins of a child's backoff idle strategy. */
    public static final int CHILD_BACKOFF_SPINS = 100;

    /** Yields of a child's backoff idle strategy. */
    public static final int CHILD_BACKOFF_YIELDS = 20;

    /** Shortest park of a child's backoff idle strategy. */
    public static final long CHILD_BACKOFF_MIN_PARK_NS = 1_000L;

    /** Longest park of a child's backoff idle strategy. */
    public static final long CHILD_BACKOFF_MAX_PARK_NS = 100_000L;

    /** How often a child looks whether its engine is still alive (SPEC §8: an orphan exits within 1 s). */
    public static final long ORPHAN_CHECK_INTERVAL_NS = 100_000_000L;

    // ------------------------------------------------------------------------------------------ runs in flight

    /** Default {@code Worker.Builder.maxRunsInFlight} (SPEC §13): build run k+1 while run k executes. */
    public static final int DEFAULT_MAX_RUNS_IN_FLIGHT = 2;

    /** Most runs in flight a Worker accepts; each holds a place in the run ledger's ring. */
    public static final int MAX_RUNS_IN_FLIGHT = 1024;

    /**
     * Park of the run finisher while no run is in flight: a safety net only, since the thread that leaves runs in
     * flight wakes it, so an idle engine's finisher wakes ten times a second rather than a thousand.
     */
    public static final long RUN_FINISHER_QUIET_PARK_NS = 100_000_000L;

    // ------------------------------------------------------------------------------------------ counters

    /**
     * Shortest time between two samples of the ready-queue depths for the counters file (SPEC §14): a sample reads
     * lines the workers write, so the orchestrating thread takes one at most this often, and {@code simpler-stat},
     * which prints once a second, never shows one older than this while the engine waits or takes completions.
     */
    public static final long COUNTERS_SAMPLE_INTERVAL_NS = 10_000_000L;

    /**
     * Completions the orchestrating thread takes between two looks at the clock for a ready-queue sample, when it
     * does not wait: one clock read per this many tasks instead of one per hand-back.
     */
    public static final int COUNTERS_SAMPLE_COMPLETIONS = 1024;

    // ------------------------------------------------------------------------------------------ shutdown

    /** How long {@code close()} waits for runs in flight to finish before it fails them. */
    public static final long CLOSE_RUNS_TIMEOUT_MS = 5_000L;

    /** How long {@code close()} waits for a child to exit, and again after killing it. */
    public static final long CHILD_EXIT_TIMEOUT_MS = 2_000L;

    /** How long {@code close()} waits for an engine thread, and again after interrupting it. */
    public static final long THREAD_STOP_TIMEOUT_MS = 5_000L;

    private Configuration()
    {
    }
}
