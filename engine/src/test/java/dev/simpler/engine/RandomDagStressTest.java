package dev.simpler.engine;

import static dev.simpler.engine.TestWorkers.builder;
import static dev.simpler.engine.TestWorkers.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD;

import java.util.ArrayDeque;
import java.util.ArrayList;
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
 * Random graphs: random tags over a few buffers, allocations, groups, nested scopes, sub and next-level tasks.
 * Every task (every group member) records when it started and ended on a global counter in shared memory; each must
 * run exactly once and start only after every producer that SPEC §3 infers from the tags ended.
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
}
