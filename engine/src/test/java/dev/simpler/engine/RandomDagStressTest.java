package dev.simpler.engine;

import static dev.simpler.engine.TensorArgType.INOUT;
import static dev.simpler.engine.TensorArgType.INPUT;
import static dev.simpler.engine.TensorArgType.NO_DEP;
import static dev.simpler.engine.TensorArgType.OUTPUT;
import static dev.simpler.engine.TensorArgType.OUTPUT_EXISTING;
import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random graphs built by a sequential orchestration function: random tags over a few buffers, allocations, groups,
 * nested scopes, sub and next-level tasks, more than 64 submits in a run (THREAD mode stages those in batches).
 *
 * <p>The sequential-consistency oracle (SPEC §3): the tasks name overlapping byte ranges of shared tensors,
 * {@code alloc}'d tensors and OUTPUTs the engine allocates (whole tensors, views, slices, {@code Tensor.of} at inner
 * addresses) with all five tags. Every task hashes its id and every byte it reads, then writes bytes derived from that
 * hash into every range it writes and into an 8-byte digest of its own. The test runs the same tasks one by one in
 * submission order on byte arrays and compares every digest and the final bytes of the shared tensors: a missing
 * read-after-write, write-after-read or write-after-write dependency changes a digest or a final byte.
 *
 * <p>The trace test: every task (every group member) records when it started and ended on a global counter in
 * shared memory; each must run exactly once and start only after every producer that SPEC §3 infers from the tags
 * of whole tensors ended.
 */
class RandomDagStressTest
{
    private static final long BASE_SEED = 0x5EED_2024L;
    private static final int GRAPHS = 50;
    // Above 64 submits in a row THREAD mode stages tasks and publishes them in batches; graphs go past that.
    private static final int MAX_TASKS = 160;
    private static final int MAX_MEMBERS = 3;
    private static final int SUB_WORKERS = 3;
    private static final int NEXT_LEVEL_WORKERS = 2;
    private static final int STABLE_BUFFERS = 5;
    private static final int MAX_DEPTH = 5;

    /** Trace layout, INT64: [0] global counter, then per entry {runs, start, end}. */
    private static final int ENTRY_LONGS = 3;
    private static final int ENTRIES = MAX_TASKS * MAX_MEMBERS;

    /** Tensor 0: the trace (NO_DEP); scalar 0: entry; scalar 1: spin iterations. */
    static final SubCallable TRACE = RandomDagStressTest::trace;

    static final WorkerFactory TRACE_WORKER = TraceWorker::new;

    private static final TensorArgType[] TAGS = TensorArgType.values();

    private static final long ORACLE_SEED = 0x0AC1_E000L;
    private static final int ORACLE_GRAPHS = 400;
    private static final int ORACLE_MIN_SUBMITS = 20;
    // The submit streak that THREAD mode stages after 64 lasts the whole run: most graphs go past it.
    private static final int ORACLE_MAX_SUBMITS = 240;
    /** Byte ranges a task member names besides its digest. */
    private static final int MAX_RANGES = 4;
    /** Calls (task members) per graph: one digest each. */
    private static final int MAX_CALLS = 1024;
    private static final int DIGEST_BYTES = Long.BYTES;

    /** Access bits of one tensor in the hash kernel's scalar 1, two per tensor. */
    private static final int READS = 1;
    private static final int WRITES = 2;

    /**
     * Tensors: byte ranges; scalar 0: the call's id; scalar 1: {@link #READS} and {@link #WRITES} of tensor i at
     * bits 2i and 2i + 1. See {@link #hashReadsIntoWrites}.
     */
    static final SubCallable HASH = RandomDagStressTest::hash;

    static final WorkerFactory HASH_WORKER = HashWorker::new;

    private static final DataType[] VIEW_TYPES = {
        DataType.UINT8, DataType.INT8, DataType.INT16, DataType.FLOAT16, DataType.INT32, DataType.FLOAT32,
        DataType.INT64};

    private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;
    private static final long FNV_PRIME = 0x0000_0100_0000_01B3L;

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 300, threadMode = SEPARATE_THREAD)
    void randomGraphsRunEveryTaskOnceAndNeverBeforeItsProducers(final WorkerMode mode)
    {
        final Worker.Builder builder = builder(mode).subWorkers(SUB_WORKERS);
        for (int i = 0; i < NEXT_LEVEL_WORKERS; i++)
        {
            builder.nextLevel(TRACE_WORKER);
        }
        try (Worker worker = start(builder))
        {
            final int traceId = worker.register(TRACE);
            final Tensor trace = worker.sharedTensor(DataType.INT64, 1 + ENTRIES * ENTRY_LONGS);
            final List<Tensor> stable = new ArrayList<>();
            for (int i = 0; i < STABLE_BUFFERS; i++)
            {
                stable.add(worker.sharedTensor(DataType.INT32, 16));
            }

            for (int graph = 0; graph < GRAPHS; graph++)
            {
                final long seed = BASE_SEED + graph;
                Kernels.zero(trace);
                final RandomGraph plan = new RandomGraph(new Random(seed), traceId, trace, stable);
                worker.run((orch, ignored) -> plan.submit(orch), null);
                plan.verify(trace.buffer(), "graph " + graph + " (seed " + seed + ", " + mode + ")");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.simpler.engine.TestWorkers#modes")
    @Timeout(value = 300, threadMode = SEPARATE_THREAD)
    void randomGraphsOverOverlappingBytesComputeWhatRunningTheirTasksOneByOneComputes(final WorkerMode mode)
    {
        final Worker.Builder builder = builder(mode).subWorkers(SUB_WORKERS);
        for (int i = 0; i < NEXT_LEVEL_WORKERS; i++)
        {
            builder.nextLevel(HASH_WORKER);
        }
        try (Worker worker = start(builder))
        {
            final int hashId = worker.register(HASH);
            final SharedTensors shared = new SharedTensors(worker);
            for (int graph = 0; graph < ORACLE_GRAPHS; graph++)
            {
                final long seed = ORACLE_SEED + graph;
                final String name = "graph " + graph + " (seed 0x" + Long.toHexString(seed) + ", " + mode + ")";
                final SequentialGraph plan = new SequentialGraph(new Random(seed), seed, hashId, shared);
                try
                {
                    worker.run((orch, ignored) -> plan.submit(orch), null);
                }
                catch (final RuntimeException ex)
                {
                    throw new AssertionError(name + ": the run failed", ex);
                }
                plan.verify(name);
            }
        }
    }

    private static void trace(final TaskArgsView args)
    {
        final UnsafeBuffer trace = args.tensor(0).buffer();
        final int base = Long.BYTES * (1 + ENTRY_LONGS * (int)args.scalar(0));
        final long start = trace.getAndAddLong(0, 1);
        trace.getAndAddLong(base, 1);
        trace.putLongVolatile(base + Long.BYTES, start);
        final long spins = args.scalar(1);
        for (long i = 0; i < spins; i++)
        {
            Thread.onSpinWait();
        }
        final long end = trace.getAndAddLong(0, 1);
        trace.putLongVolatile(base + 2 * Long.BYTES, end);
    }

    static final class TraceWorker implements IWorker
    {
        @Override
        public void run(final long callable, final TaskArgsView args, final CallConfig config)
        {
            trace(args);
        }
    }

    private static void hash(final TaskArgsView args)
    {
        final long access = args.scalar(1);
        final UnsafeBuffer[] ranges = new UnsafeBuffer[args.tensorCount()];
        for (int i = 0; i < ranges.length; i++)
        {
            if (accessOf(access, i) != 0 && args.tensor(i).nbytes() > 0)
            {
                ranges[i] = args.tensor(i).buffer();
            }
        }
        hashReadsIntoWrites(args.scalar(0), access, ranges);
    }

    /**
     * What every task of the oracle test computes, in the engine's memory and in the oracle's byte arrays: a hash of
     * its id and of every byte it reads, range after range, then bytes derived from that hash and the range's
     * position in every range it writes. All reads come before all writes, as an INOUT's do.
     *
     * @param id     the call's id.
     * @param access {@link #READS} and {@link #WRITES} of range i at bits 2i and 2i + 1.
     * @param ranges the ranges; null where the call neither reads nor writes or the range is empty.
     */
    private static void hashReadsIntoWrites(final long id, final long access, final UnsafeBuffer[] ranges)
    {
        long hash = mix(id);
        for (int i = 0; i < ranges.length; i++)
        {
            if (ranges[i] != null && (accessOf(access, i) & READS) != 0)
            {
                hash = mix(hash + i);
                for (int j = 0, n = ranges[i].capacity(); j < n; j++)
                {
                    hash = (hash ^ (ranges[i].getByte(j) & 0xFF)) * FNV_PRIME;
                }
            }
        }
        for (int i = 0; i < ranges.length; i++)
        {
            if (ranges[i] != null && (accessOf(access, i) & WRITES) != 0)
            {
                long bits = 0;
                for (int j = 0, n = ranges[i].capacity(); j < n; j++)
                {
                    if ((j & 7) == 0)
                    {
                        bits = mix(hash + GOLDEN * (i + 1) + j);
                    }
                    ranges[i].putByte(j, (byte)(bits >>> ((j & 7) << 3)));
                }
            }
        }
    }

    private static int accessOf(final long access, final int range)
    {
        return (int)(access >>> (2 * range)) & (READS | WRITES);
    }

    /** SplitMix64's finaliser. */
    private static long mix(final long value)
    {
        long z = value + GOLDEN;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    static final class HashWorker implements IWorker
    {
        @Override
        public void run(final long callable, final TaskArgsView args, final CallConfig config)
        {
            hash(args);
        }
    }

    /** One random graph: builds it inside a run and knows, per task, the producers SPEC §3 gives it. */
    private static final class RandomGraph
    {
        /** Last writer of an alloc'd address: the alloc, a completed pseudo-task. */
        private static final int NONE = -1;

        private final Random random;
        private final int traceId;
        private final Tensor trace;
        private final List<Tensor> stable;
        private final List<Integer> membersOfTask = new ArrayList<>();
        private final List<Set<Integer>> producersOfTask = new ArrayList<>();
        private final List<String> descriptionOfTask = new ArrayList<>();
        /** Last writer per address: a task index, or NONE. */
        private final Map<Long, Integer> lastWriter = new HashMap<>();

        RandomGraph(final Random random, final int traceId, final Tensor trace, final List<Tensor> stable)
        {
            this.random = random;
            this.traceId = traceId;
            this.trace = trace;
            this.stable = stable;
        }

        void submit(final Orchestrator orch)
        {
            final List<Tensor> buffers = new ArrayList<>(stable);
            final Deque<Scope> scopes = new ArrayDeque<>();
            // buffers allocated in each open scope, only named while that scope is open
            final Deque<List<Tensor>> scopedBuffers = new ArrayDeque<>();
            final int tasks = 5 + random.nextInt(MAX_TASKS - 5);
            while (producersOfTask.size() < tasks)
            {
                final int action = random.nextInt(100);
                if (action < 8 && scopes.size() < MAX_DEPTH)
                {
                    scopes.push(orch.scope());
                    scopedBuffers.push(new ArrayList<>());
                }
                else if (action < 14 && !scopes.isEmpty())
                {
                    scopes.pop().close();
                    buffers.removeAll(scopedBuffers.pop());
                }
                else if (action < 22)
                {
                    final Tensor allocated = orch.alloc(DataType.INT32, 1 + random.nextInt(64));
                    lastWriter.put(allocated.address(), NONE);
                    remember(allocated, buffers, scopedBuffers);
                }
                else
                {
                    submitTask(orch, buffers, scopedBuffers);
                }
            }
            // close some of the open scopes and leave the others to run
            while (!scopes.isEmpty() && random.nextBoolean())
            {
                scopes.pop().close();
            }
        }

        private void submitTask(final Orchestrator orch, final List<Tensor> buffers, final Deque<List<Tensor>> scoped)
        {
            final int task = producersOfTask.size();
            final boolean nextLevel = random.nextInt(3) == 0;
            final int pool = nextLevel ? NEXT_LEVEL_WORKERS : SUB_WORKERS;
            final int members = random.nextInt(4) == 0 ? 2 + random.nextInt(pool - 1) : 1;
            final boolean allocateOutput = members == 1 && random.nextInt(5) == 0;

            final List<TaskArgs> lists = new ArrayList<>();
            final StringBuilder description = new StringBuilder(nextLevel ? "next-level" : "sub")
                .append(members > 1 ? " group of " + members : "").append(':');
            for (int m = 0; m < members; m++)
            {
                final TaskArgs args = new TaskArgs().noDep(trace);
                final int tensors = random.nextInt(4);
                for (int i = 0; i < tensors; i++)
                {
                    args.add(buffers.get(random.nextInt(buffers.size())), TAGS[random.nextInt(TAGS.length)]);
                }
                if (allocateOutput)
                {
                    args.output(Tensor.of(0, DataType.INT32, 8));
                }
                final int spins = random.nextInt(4) == 0 ? random.nextInt(20_000) : 0;
                args.addScalar((long)task * MAX_MEMBERS + m).addScalar(spins);
                lists.add(args);
            }

            if (nextLevel)
            {
                if (members == 1)
                {
                    orch.submitNextLevel(Kernels.ANY_HANDLE, lists.get(0), CallConfig.DEFAULT);
                }
                else
                {
                    orch.submitNextLevelGroup(Kernels.ANY_HANDLE, lists, CallConfig.DEFAULT);
                }
            }
            else if (members == 1)
            {
                orch.submitSub(traceId, lists.get(0));
            }
            else
            {
                orch.submitSubGroup(traceId, lists);
            }

            // SPEC §3 step 2 on the arguments as patched by the submit
            final Set<Integer> producers = new LinkedHashSet<>();
            for (final TaskArgs args : lists)
            {
                for (int i = 1; i < args.tensorCount(); i++)
                {
                    final long address = args.tensor(i).address();
                    assertNotEquals(0, address, "allocated OUTPUT patched into the caller's args");
                    description.append(' ').append(args.tag(i)).append("@").append(Long.toHexString(address));
                    switch (args.tag(i))
                    {
                        case INPUT:
                            addProducer(producers, address, task);
                            break;
                        case INOUT:
                            addProducer(producers, address, task);
                            lastWriter.put(address, task);
                            break;
                        case OUTPUT:
                        case OUTPUT_EXISTING:
                            lastWriter.put(address, task);
                            break;
                        default:
                            break;
                    }
                }
            }
            if (allocateOutput)
            {
                remember(lists.get(0).tensor(lists.get(0).tensorCount() - 1), buffers, scoped);
            }
            membersOfTask.add(members);
            producersOfTask.add(producers);
            descriptionOfTask.add(description.toString());
        }

        private void addProducer(final Set<Integer> producers, final long address, final int task)
        {
            final Integer writer = lastWriter.get(address);
            if (writer != null && writer != NONE && writer != task)
            {
                producers.add(writer);
            }
        }

        private static void remember(final Tensor t, final List<Tensor> buffers, final Deque<List<Tensor>> scoped)
        {
            buffers.add(t);
            if (!scoped.isEmpty())
            {
                scoped.peek().add(t);
            }
        }

        void verify(final UnsafeBuffer traceBuffer, final String graph)
        {
            for (int task = 0; task < producersOfTask.size(); task++)
            {
                final String what = graph + ", task " + task + " [" + descriptionOfTask.get(task) + "]";
                for (int m = 0; m < membersOfTask.get(task); m++)
                {
                    assertEquals(1, runs(traceBuffer, task, m), what + ", member " + m + ": runs");
                }
                final long start = firstStart(traceBuffer, task);
                for (final int producer : producersOfTask.get(task))
                {
                    final long producerEnd = lastEnd(traceBuffer, producer);
                    assertTrue(producerEnd < start, what + " started at " + start + " before producer " + producer
                        + " [" + descriptionOfTask.get(producer) + "] ended at " + producerEnd);
                }
            }
        }

        private long runs(final UnsafeBuffer traceBuffer, final int task, final int member)
        {
            return traceBuffer.getLongVolatile(offset(task, member));
        }

        private long firstStart(final UnsafeBuffer traceBuffer, final int task)
        {
            long start = Long.MAX_VALUE;
            for (int m = 0; m < membersOfTask.get(task); m++)
            {
                start = Math.min(start, traceBuffer.getLongVolatile(offset(task, m) + Long.BYTES));
            }
            return start;
        }

        private long lastEnd(final UnsafeBuffer traceBuffer, final int task)
        {
            long end = Long.MIN_VALUE;
            for (int m = 0; m < membersOfTask.get(task); m++)
            {
                end = Math.max(end, traceBuffer.getLongVolatile(offset(task, m) + 2 * Long.BYTES));
            }
            return end;
        }

        private static int offset(final int task, final int member)
        {
            return Long.BYTES * (1 + ENTRY_LONGS * (task * MAX_MEMBERS + member));
        }
    }

    /** The tensors of the oracle test's graphs, made once per engine and filled afresh for every graph. */
    private static final class SharedTensors
    {
        /** Tensors the tasks read and write. */
        final Tensor[] written;
        /** A tensor no task writes: tasks read it, through NO_DEP too. */
        final Tensor constant;
        /** One 8-byte digest per call. */
        final Tensor digests;

        SharedTensors(final Worker worker)
        {
            written = new Tensor[] {
                worker.sharedTensor(DataType.INT32, 16, 4),
                worker.sharedTensor(DataType.INT32, 40),
                worker.sharedTensor(DataType.UINT8, 9, 13)};
            constant = worker.sharedTensor(DataType.UINT8, 64);
            digests = worker.sharedTensor(DataType.INT64, MAX_CALLS);
        }
    }

    /** Bytes a graph names (a shared tensor, an alloc'd one, an OUTPUT the engine allocated) and the oracle's copy. */
    private static final class Region
    {
        final String name;
        final Tensor tensor;
        final boolean writable;
        final byte[] oracle;

        Region(final String name, final Tensor tensor, final boolean writable)
        {
            this.name = name;
            this.tensor = tensor;
            this.writable = writable;
            this.oracle = new byte[(int)tensor.nbytes()];
        }
    }

    /** One tensor of one call: a byte range of a region, its tag and what the kernel does with its bytes. */
    private static final class Use
    {
        /** As the task names it: address 0 for an OUTPUT the engine allocates. */
        final Tensor tensor;
        final TensorArgType tag;
        final int access;
        /** How the tensor was made from its region's. */
        final String how;
        /** Set at submit for an OUTPUT the engine allocates. */
        Region region;
        /** First byte within the region. */
        final int offset;

        Use(final Tensor tensor, final TensorArgType tag, final int access, final String how, final Region region,
            final int offset)
        {
            this.tensor = tensor;
            this.tag = tag;
            this.access = access;
            this.how = how;
            this.region = region;
            this.offset = offset;
        }

        int length()
        {
            return (int)tensor.nbytes();
        }

        boolean overlaps(final Use other)
        {
            return region != null && region == other.region &&
                offset < other.offset + other.length() && other.offset < offset + length();
        }

        /** Whether the kernel's accesses to both need an order: they share a byte, both touch it, one writes. */
        boolean conflictsWith(final Use other)
        {
            return access != 0 && other.access != 0 && ((access | other.access) & WRITES) != 0 && overlaps(other);
        }

        @Override
        public String toString()
        {
            return tag + (access == 0 ? " (untouched) " : " ") + region.name + "[" + offset + ", "
                + (offset + length()) + ") as " + how;
        }
    }

    /** One member of one task: what its kernel gets, and what the oracle runs. */
    private record Call(int task, String kind, List<Use> uses, long id)
    {
        long access()
        {
            long access = 0;
            for (int i = 0; i < uses.size(); i++)
            {
                access |= (long)uses.get(i).access << (2 * i);
            }
            return access;
        }

        boolean conflictsWith(final Call other)
        {
            for (final Use use : uses)
            {
                for (final Use otherUse : other.uses)
                {
                    if (use.conflictsWith(otherUse))
                    {
                        return true;
                    }
                }
            }
            return false;
        }

        @Override
        public String toString()
        {
            return "task " + task + " (" + kind + ") " + uses;
        }
    }

    /**
     * One random graph of the oracle test: submits its tasks inside a run and, as it goes, runs each on the oracle's
     * byte arrays, in submission order.
     */
    private static final class SequentialGraph
    {
        private final Random random;
        private final long seed;
        private final int hashId;
        private final List<Region> sharedRegions = new ArrayList<>();
        private final Region constant;
        private final Region digests;
        /** Regions tasks may name now, and write: the shared ones and those of the scopes still open. */
        private final List<Region> live = new ArrayList<>();
        private final Deque<Scope> scopes = new ArrayDeque<>();
        private final Deque<List<Region>> scopedRegions = new ArrayDeque<>();
        private final List<Call> calls = new ArrayList<>();
        private int tasks;
        private int regionsMade;

        SequentialGraph(final Random random, final long seed, final int hashId, final SharedTensors shared)
        {
            this.random = random;
            this.seed = seed;
            this.hashId = hashId;
            for (int i = 0; i < shared.written.length; i++)
            {
                sharedRegions.add(fill(new Region("shared" + i, shared.written[i], true)));
            }
            live.addAll(sharedRegions);
            constant = fill(new Region("constant", shared.constant, false));
            digests = new Region("digests", shared.digests, false);
            Kernels.zero(digests.tensor);
        }

        private Region fill(final Region region)
        {
            random.nextBytes(region.oracle);
            region.tensor.buffer().putBytes(0, region.oracle);
            return region;
        }

        void submit(final Orchestrator orch)
        {
            final int submits = ORACLE_MIN_SUBMITS + random.nextInt(ORACLE_MAX_SUBMITS - ORACLE_MIN_SUBMITS);
            while (tasks < submits && calls.size() + MAX_MEMBERS <= MAX_CALLS)
            {
                final int action = random.nextInt(100);
                if (action < 6 && scopes.size() < MAX_DEPTH)
                {
                    scopes.push(orch.scope());
                    scopedRegions.push(new ArrayList<>());
                }
                else if (action < 11 && !scopes.isEmpty())
                {
                    closeScope(orch);
                }
                else if (action < 17)
                {
                    allocate(orch);
                }
                else
                {
                    submitTask(orch);
                }
            }
            // close some of the open scopes and leave the others to the run
            while (!scopes.isEmpty() && random.nextBoolean())
            {
                closeScope(orch);
            }
            readSome(orch, new ArrayList<>(live.subList(sharedRegions.size(), live.size())));
        }

        private void closeScope(final Orchestrator orch)
        {
            final List<Region> regions = scopedRegions.pop();
            readSome(orch, regions);
            scopes.pop().close();
            live.removeAll(regions);
        }

        /** Tasks that read some of the regions whole, so that their final bytes reach a digest. */
        private void readSome(final Orchestrator orch, final List<Region> regions)
        {
            for (final Region region : regions)
            {
                if (random.nextBoolean() && calls.size() < MAX_CALLS)
                {
                    submit(orch, random.nextInt(4) == 0, List.of(List.of(wholeRange(region, INPUT, READS))));
                }
            }
        }

        private void allocate(final Orchestrator orch)
        {
            final DataType dtype = random.nextBoolean() ? DataType.INT32 : DataType.UINT8;
            final Region region = new Region("alloc" + regionsMade++, orch.alloc(dtype, randomShape(dtype)), true);
            // alloc'd memory starts undefined: one task writes all of it before any task may name it
            final List<Use> uses = new ArrayList<>();
            uses.add(wholeRange(region, random.nextBoolean() ? OUTPUT_EXISTING : OUTPUT, WRITES));
            for (int i = random.nextInt(3); i > 0; i--)
            {
                uses.add(randomRange(pickRegion(), INPUT, READS));
            }
            submit(orch, random.nextInt(4) == 0, List.of(uses));
            remember(region);
        }

        private void submitTask(final Orchestrator orch)
        {
            final boolean nextLevel = random.nextInt(4) == 0;
            final int pool = nextLevel ? NEXT_LEVEL_WORKERS : SUB_WORKERS;
            final int members = random.nextInt(4) == 0 ? 2 + random.nextInt(pool - 1) : 1;
            final List<List<Use>> memberUses = new ArrayList<>();
            for (int m = 0; m < members; m++)
            {
                final List<Use> uses = new ArrayList<>();
                for (int i = 1 + random.nextInt(MAX_RANGES); i > 0; i--)
                {
                    // the members of a group run at the same time: a range that conflicts with another
                    // member's is drawn again
                    for (int attempt = 0; attempt < 8; attempt++)
                    {
                        final Use use = randomUse();
                        if (!conflictsWithAny(use, memberUses))
                        {
                            uses.add(use);
                            break;
                        }
                    }
                }
                memberUses.add(uses);
            }
            submit(orch, nextLevel, memberUses);
        }

        private static boolean conflictsWithAny(final Use use, final List<List<Use>> otherMembers)
        {
            for (final List<Use> uses : otherMembers)
            {
                for (final Use other : uses)
                {
                    if (use.conflictsWith(other))
                    {
                        return true;
                    }
                }
            }
            return false;
        }

        private Use randomUse()
        {
            final int pick = random.nextInt(100);
            if (pick < 10)
            {
                final DataType dtype = random.nextBoolean() ? DataType.INT32 : DataType.UINT8;
                return new Use(Tensor.of(0, dtype, randomShape(dtype)), OUTPUT, WRITES, "new memory", null, 0);
            }
            if (pick < 35)
            {
                return randomRange(pickRegion(), INPUT, READS);
            }
            if (pick < 52)
            {
                return randomRange(pickWritable(), INOUT, READS | WRITES);
            }
            if (pick < 68)
            {
                return randomRange(pickWritable(), OUTPUT_EXISTING, WRITES);
            }
            if (pick < 82)
            {
                return randomRange(pickWritable(), OUTPUT, WRITES);
            }
            // NO_DEP is never tracked: the kernel reads it where no task writes, and leaves other bytes alone
            final Region region = pickRegion();
            return randomRange(region, NO_DEP, region.writable ? 0 : READS);
        }

        /** A region to read: a live one or the constant one. */
        private Region pickRegion()
        {
            final int pick = random.nextInt(live.size() + 1);
            return pick == live.size() ? constant : live.get(pick);
        }

        private Region pickWritable()
        {
            return live.get(random.nextInt(live.size()));
        }

        private int[] randomShape(final DataType dtype)
        {
            final int limit = dtype.elementSize() == 1 ? 160 : 48;
            if (random.nextBoolean())
            {
                return new int[] {1 + random.nextInt(limit)};
            }
            final int rows = 1 + random.nextInt(12);
            return new int[] {rows, 1 + random.nextInt(Math.max(1, limit / rows))};
        }

        /** All of a region's bytes, named one way or another. */
        private Use wholeRange(final Region region, final TensorArgType tag, final int access)
        {
            final Tensor whole = region.tensor;
            final int size = (int)whole.nbytes();
            switch (random.nextInt(4))
            {
                case 0:
                    return new Use(whole.view(0, DataType.UINT8, size), tag, access, "view(0, UINT8, " + size + ")",
                        region, 0);
                case 1:
                    return new Use(Tensor.of(whole.address(), DataType.UINT8, size), tag, access,
                        "Tensor.of(+0, UINT8, " + size + ")", region, 0);
                case 2:
                    return new Use(whole.slice(0, whole.shape(0)), tag, access, "slice(0, " + whole.shape(0) + ")",
                        region, 0);
                default:
                    return new Use(whole, tag, access, "the tensor", region, 0);
            }
        }

        /** A random byte range of a region: the tensor itself, a slice, a view (of a slice) or Tensor.of inside. */
        private Use randomRange(final Region region, final TensorArgType tag, final int access)
        {
            final Tensor whole = region.tensor;
            final int size = (int)whole.nbytes();
            final int rows = whole.shape(0);
            final int rowBytes = size / rows;
            final int kind = random.nextInt(10);
            if (kind == 0)
            {
                return new Use(whole, tag, access, "the tensor", region, 0);
            }
            if (kind <= 2)
            {
                final int start = random.nextInt(rows);
                final int end = random.nextInt(50) == 0 ? start : start + 1 + random.nextInt(Math.min(rows - start, 4));
                return new Use(whole.slice(start, end), tag, access, "slice(" + start + ", " + end + ")", region,
                    start * rowBytes);
            }
            // a view of the tensor or of a slice of it, or the same bytes as Tensor.of at the inner address
            final int firstRow = kind == 3 ? random.nextInt(rows) : 0;
            final Tensor base = firstRow == 0 ? whole : whole.slice(firstRow, rows);
            final String baseHow = firstRow == 0 ? "" : "slice(" + firstRow + ", " + rows + ").";
            final int baseSize = (int)base.nbytes();
            DataType dtype = VIEW_TYPES[random.nextInt(VIEW_TYPES.length)];
            if (dtype.elementSize() > baseSize)
            {
                dtype = DataType.UINT8;
            }
            final int most = baseSize / dtype.elementSize();
            final int elements = random.nextInt(50) == 0 ? 0
                : 1 + random.nextInt(random.nextInt(4) == 0 ? most : Math.min(most, 4));
            final int bytes = elements * dtype.elementSize();
            final int offset = elements == 0 ? random.nextInt(baseSize) : random.nextInt(baseSize - bytes + 1);
            final int[] shape = elements > 2 && elements % 2 == 0 && random.nextBoolean()
                ? new int[] {2, elements / 2} : new int[] {elements};
            final String what = offset + ", " + dtype + ", " + Arrays.toString(shape);
            final int regionOffset = firstRow * rowBytes + offset;
            if (kind <= 6)
            {
                return new Use(base.view(offset, dtype, shape), tag, access, baseHow + "view(" + what + ")", region,
                    regionOffset);
            }
            return new Use(Tensor.of(whole.address() + regionOffset, dtype, shape), tag, access,
                "Tensor.of(+" + regionOffset + ", " + dtype + ", " + Arrays.toString(shape) + ")", region,
                regionOffset);
        }

        /** The call's own 8 bytes of the digests. */
        private Use digestUse(final int call)
        {
            final TensorArgType tag = random.nextBoolean() ? OUTPUT_EXISTING : OUTPUT;
            final int offset = call * DIGEST_BYTES;
            switch (random.nextInt(3))
            {
                case 0:
                    return new Use(digests.tensor.slice(call, call + 1), tag, WRITES,
                        "slice(" + call + ", " + (call + 1) + ")", digests, offset);
                case 1:
                    return new Use(digests.tensor.view(offset, DataType.UINT8, 2, 4), tag, WRITES,
                        "view(" + offset + ", UINT8, [2, 4])", digests, offset);
                default:
                    return new Use(Tensor.of(digests.tensor.address() + offset, DataType.INT64, 1), tag, WRITES,
                        "Tensor.of(+" + offset + ", INT64, [1])", digests, offset);
            }
        }

        /** Submit one task (a group when there are several members), then run it on the oracle. */
        private void submit(final Orchestrator orch, final boolean nextLevel, final List<List<Use>> memberUses)
        {
            final int task = tasks++;
            final int members = memberUses.size();
            final String kind = (nextLevel ? "next-level" : "sub") + (members > 1 ? " group of " + members : "");
            final List<TaskArgs> lists = new ArrayList<>();
            final List<Call> submitted = new ArrayList<>();
            for (int m = 0; m < members; m++)
            {
                final int callIndex = calls.size() + m;
                final List<Use> uses = new ArrayList<>(memberUses.get(m));
                uses.add(digestUse(callIndex));
                final Call call = new Call(task, kind + (members > 1 ? ", member " + m : ""), uses,
                    mix(seed) + callIndex);
                final TaskArgs args = new TaskArgs();
                for (final Use use : uses)
                {
                    args.add(use.tensor, use.tag);
                }
                lists.add(args.addScalar(call.id()).addScalar(call.access()));
                submitted.add(call);
            }

            if (nextLevel)
            {
                if (members == 1)
                {
                    orch.submitNextLevel(Kernels.ANY_HANDLE, lists.get(0), CallConfig.DEFAULT);
                }
                else
                {
                    orch.submitNextLevelGroup(Kernels.ANY_HANDLE, lists, CallConfig.DEFAULT);
                }
            }
            else if (members == 1)
            {
                orch.submitSub(hashId, lists.get(0));
            }
            else
            {
                orch.submitSubGroup(hashId, lists);
            }

            // an OUTPUT the engine allocated is new memory, patched into the caller's arguments (SPEC §3 step 1)
            final List<Region> made = new ArrayList<>();
            for (int m = 0; m < members; m++)
            {
                final List<Use> uses = submitted.get(m).uses();
                for (int i = 0; i < uses.size(); i++)
                {
                    if (uses.get(i).region == null)
                    {
                        final Tensor allocated = lists.get(m).tensor(i);
                        assertNotEquals(0, allocated.address(), "allocated OUTPUT patched into the caller's args");
                        uses.get(i).region = new Region("output" + regionsMade++, allocated, true);
                        made.add(uses.get(i).region);
                    }
                }
            }
            for (final Call call : submitted)
            {
                runOnOracle(call);
                calls.add(call);
            }
            made.forEach(this::remember);
        }

        private static void runOnOracle(final Call call)
        {
            final List<Use> uses = call.uses();
            final UnsafeBuffer[] ranges = new UnsafeBuffer[uses.size()];
            for (int i = 0; i < ranges.length; i++)
            {
                final Use use = uses.get(i);
                if (use.access != 0 && use.length() > 0)
                {
                    ranges[i] = new UnsafeBuffer(use.region.oracle, use.offset, use.length());
                }
            }
            hashReadsIntoWrites(call.id(), call.access(), ranges);
        }

        private void remember(final Region region)
        {
            live.add(region);
            if (!scopedRegions.isEmpty())
            {
                scopedRegions.peek().add(region);
            }
        }

        /**
         * Every digest and the final bytes of every shared tensor must be the oracle's; the first digest that
         * differs names the first call that read other bytes than it would have running alone in order.
         */
        void verify(final String graph)
        {
            final UnsafeBuffer engineDigests = digests.tensor.buffer();
            final UnsafeBuffer oracleDigests = new UnsafeBuffer(digests.oracle);
            for (int c = 0; c < calls.size(); c++)
            {
                final long actual = engineDigests.getLong(c * DIGEST_BYTES);
                final long expected = oracleDigests.getLong(c * DIGEST_BYTES);
                if (actual != expected)
                {
                    fail(graph + ": call " + c + " of " + calls.size() + ", " + calls.get(c)
                        + ", read other bytes than running the tasks one by one in submission order gives it (digest 0x"
                        + Long.toHexString(actual) + ", oracle 0x" + Long.toHexString(expected) + "); "
                        + conflicting(c));
                }
            }
            for (final Region region : sharedRegions)
            {
                final byte[] actual = new byte[region.oracle.length];
                region.tensor.buffer().getBytes(0, actual);
                final int at = Arrays.mismatch(actual, region.oracle);
                if (at >= 0)
                {
                    fail(graph + ": " + region.name + " " + region.tensor + " ends with other bytes than running "
                        + "the tasks one by one in submission order leaves: byte " + at + " is " + actual[at]
                        + ", oracle " + region.oracle[at] + "; the calls that wrote it: " + writersOf(region, at));
                }
            }
        }

        /** The calls whose accesses needed an order with call c's: the last few before it, the first few after. */
        private String conflicting(final int c)
        {
            final List<String> before = new ArrayList<>();
            final List<String> after = new ArrayList<>();
            for (int other = 0; other < calls.size(); other++)
            {
                if (calls.get(other).task() != calls.get(c).task() && calls.get(other).conflictsWith(calls.get(c)))
                {
                    (other < c ? before : after).add("call " + other + ", " + calls.get(other));
                }
            }
            return "calls before it that it conflicts with (last 4): "
                + before.subList(Math.max(0, before.size() - 4), before.size())
                + "; after it (first 4): " + after.subList(0, Math.min(4, after.size()));
        }

        private String writersOf(final Region region, final int at)
        {
            final List<String> writers = new ArrayList<>();
            for (int c = 0; c < calls.size(); c++)
            {
                for (final Use use : calls.get(c).uses())
                {
                    if (use.region == region && (use.access & WRITES) != 0 && use.offset <= at
                        && at < use.offset + use.length())
                    {
                        writers.add("call " + c + ", " + calls.get(c));
                        break;
                    }
                }
            }
            return "(last 4) " + writers.subList(Math.max(0, writers.size() - 4), writers.size());
        }
    }
}
