package dev.simpler.engine.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.agrona.collections.IntArrayList;
import org.agrona.collections.LongArrayList;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.SubmitResult;
import dev.simpler.engine.memory.HeapRing;

/**
 * What the orchestrating thread writes before a task is published and the workers only read: the task's
 * description, and the references to the slot's own objects, which never change. The slot number sits in the
 * word after the object header, so that no field of a subclass can be placed there.
 */
abstract class TaskSlotDescription
{
    final int index;
    long callable;
    int kind;
    int groupSize;
    /**
     * 1 when the task is recorded in the access index neither as a writer nor as a reader, so that no consumer can
     * ever be wired to it: its worker completes it without the lock. Part of the description, so that a slot that
     * takes such a task again does not write it.
     */
    int recordsNothing;
    /**
     * The task's claim and run, copied here while its engine traces (SPEC §14) so that the threads that record its
     * ready and its run read them from this line, which they read anyway, instead of the orchestrating thread's
     * own; valid when {@code traceEpoch} is the tracer's epoch (see {@link #claimForTrace}).
     */
    long traceClaim;
    int traceRun;
    int traceEpoch;
    /** Fills the group to a multiple of 8 bytes, so that no field of a subclass is placed among these. */
    @SuppressWarnings("unused")
    private int fillDescription;
    final SubmitResult submitResult;
    /** The link array of this slot's chunk of the slot table, and where this slot's link starts in it. */
    final int[] links;
    final int link;
    CallConfig config;
    StoredArgs[] members = {new StoredArgs()};
    /**
     * Consumers past the first: appended by whoever wires a consumer to this task (see {@link TaskSlotOwned}),
     * emptied by the orchestrating thread when the slot is claimed.
     */
    final IntArrayList consumers = new IntArrayList();
    final int[] completionRecord = new int[CompletionRecord.LENGTH];
    /** Producers past the first (the first is a field: most tasks have one or none). */
    final IntArrayList moreProducers = new IntArrayList();
    /** Staged producers past the first, wired when the task is published. */
    final IntArrayList moreDeferred = new IntArrayList();
    /** Written ranges past the first, as start and end. */
    final LongArrayList moreWritten = new LongArrayList();

    TaskSlotDescription(final int index, final int[] links, final int link)
    {
        this.index = index;
        this.links = links;
        this.link = link;
        this.submitResult = new SubmitResult(index);
    }
}

/**
 * Keeps the description off the line the workers write.
 */
abstract class TaskSlotDescriptionPadding extends TaskSlotDescription
{
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15, p16;

    TaskSlotDescriptionPadding(final int index, final int[] links, final int link)
    {
        super(index, links, link);
    }
}

/**
 * The look-ahead of a task that heads a group of {@link dev.simpler.engine.config.Configuration#LOOK_AHEAD}
 * tasks in its published batch: only the
 * orchestrating thread stores into it (once per group, not per task), and only workers read it.
 */
abstract class TaskSlotLookAhead extends TaskSlotDescriptionPadding
{
    /** The use whose look-ahead {@code ahead0..ahead7} names. */
    int aheadUse;
    /**
     * Set on every {@link dev.simpler.engine.config.Configuration#LOOK_AHEAD}th task of a published batch: the slot
     * numbers of the tasks that follow it in the batch (-1 past its end). Only a hint: the worker that runs this
     * task starts loading their links ({@link SlotLinks}) at once, so that a chain's next links cross from the
     * orchestrating thread's core together instead of one per task.
     */
    int ahead0;
    int ahead1;
    int ahead2;
    int ahead3;
    int ahead4;
    int ahead5;
    int ahead6;
    int ahead7;
    /** Fills the group to a multiple of 8 bytes. */
    @SuppressWarnings("unused")
    private int fillLookAhead;

    TaskSlotLookAhead(final int index, final int[] links, final int link)
    {
        super(index, links, link);
    }
}

/**
 * Keeps the look-ahead off the line the workers write.
 */
abstract class TaskSlotLookAheadPadding extends TaskSlotLookAhead
{
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long l01, l02, l03, l04, l05, l06, l07, l08, l09, l10, l11, l12, l13, l14, l15, l16;

    TaskSlotLookAheadPadding(final int index, final int[] links, final int link)
    {
        super(index, links, link);
    }
}

/**
 * What the workers write for every task: its state and lock, its count of unfinished producers, its first
 * consumer, its outcome, and (for groups) the members' bookkeeping. The orchestrating thread only stores into
 * these fields while a task is submitted, wired or retired, and reads them only on paths that are not taken once
 * per task, so that the line crosses from the workers' cores without the orchestrating thread waiting for it.
 */
abstract class TaskSlotShared extends TaskSlotLookAheadPadding
{
    /** The use of the slot whose task completed last; the current task is complete when this equals its use. */
    @SuppressWarnings("unused")
    volatile int completedUse;
    @SuppressWarnings("unused")
    volatile int lock;
    @SuppressWarnings("unused")
    volatile int pendingProducers;
    @SuppressWarnings("unused")
    volatile int claimedMembers;
    @SuppressWarnings("unused")
    volatile int unfinishedMembers;
    int outcome;
    int nextOverflow = -1;
    /** Fills the group to a multiple of 8 bytes. */
    @SuppressWarnings("unused")
    private int fillShared;
    /**
     * Set by the orchestrating thread while wiring (a producer had failed) or by the worker that completes a
     * failed producer, before that worker counts this task's producers down: whoever reads it after the count
     * reached zero sees it.
     */
    boolean poisoned;
    /** Fill the group to a multiple of 8 bytes, so that no field of a subclass is placed among these. */
    @SuppressWarnings("unused")
    private byte fill0;
    @SuppressWarnings("unused")
    private byte fill1;
    @SuppressWarnings("unused")
    private byte fill2;
    volatile String brokenBy;

    TaskSlotShared(final int index, final int[] links, final int link)
    {
        super(index, links, link);
    }
}

/**
 * Keeps the workers' line off the orchestrating thread's own fields.
 */
abstract class TaskSlotSharedPadding extends TaskSlotShared
{
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16;

    TaskSlotSharedPadding(final int index, final int[] links, final int link)
    {
        super(index, links, link);
    }
}

/**
 * The orchestrating thread's own group: the retirement bookkeeping (producers, references, slab, scope), written
 * only by it; and the wiring state (wired producers and consumers, the wire poison), written by whoever wires the
 * task — the orchestrating thread while it submits the task, then, for a staged task, the holder of the publishing
 * lock that publishes its batch ({@link BatchPublisher}; the task is handed over when it is staged, so the two never
 * wire one task at once), and for a published producer only under the producer's slot lock.
 */
abstract class TaskSlotOwned extends TaskSlotSharedPadding
{
    /** Read also by a worker that publishes a staged batch, under the publishing lock. */
    long stageSeq = -1;
    long slabId = -1;
    long scopeEpoch;
    int wiredProducers;
    int refCount;
    int scopeDepth = -1;
    int scopeNext = -1;
    /** Consumers wired to this task since it was claimed: whether the next one goes in the field or the list. */
    int wiredConsumers;
    /** Which use of the slot this is: counted up by every claim. */
    int use;
    /** The run in flight this task belongs to (its number in the {@link RunLedger}). */
    int run;
    /** The first producer (the rest in {@code moreProducers}) and how many there are. */
    int firstProducer;
    int producerCount;
    /** The first staged producer to wire at publication (the rest in {@code moreDeferred}) and how many. */
    int firstDeferred;
    int deferredCount;
    /** Byte ranges this task recorded itself as the writer of in the access index: the first, and how many. */
    long firstWrittenStart;
    long firstWrittenEnd;
    int writtenCount;
    /** Segments of the access index this task is the writer of; retirement looks them up only when some are left. */
    int lastWrites;
    /** Reader entries of this task in the access index, where a later writer may find it and wire to it. */
    int readerEntries;
    /** The claim of the last consumer wired to this task, so that a consumer is wired to it once. */
    long lastConsumerClaim = -1;
    /** Which claim of the slot table this use of the slot is: names the task among all of the table's. */
    long claim;
    boolean completionSeen;
    /**
     * Its completion was seen as failed: only then do its members' stored arguments hold a failure to drop when it
     * retires, so the retirement of any other task does not touch them.
     */
    boolean failedSeen;
    boolean scopeListed;
    /** The orchestrating thread poisoned this task while wiring it. */
    boolean wirePoisoned;
    HeapRing slabRing;

    TaskSlotOwned(final int index, final int[] links, final int link)
    {
        super(index, links, link);
    }
}

/**
 * Keeps the orchestrating thread's fields off whatever object follows the slot in memory.
 */
abstract class TaskSlotOwnedPadding extends TaskSlotOwned
{
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long r01, r02, r03, r04, r05, r06, r07, r08, r09, r10, r11, r12, r13, r14, r15, r16;

    TaskSlotOwnedPadding(final int index, final int[] links, final int link)
    {
        super(index, links, link);
    }
}

/**
 * One node of the task graph, allocated once and reused (SPEC §3). Its fields sit on separate cache lines by the
 * thread that writes them, so that a task crosses between the orchestrating thread's core and a worker's as few
 * lines as possible, and neither thread waits for a line the other just wrote:
 * <ul>
 *   <li>the description (kind, callable, config, members) is written by the orchestrating thread before the task
 *       is published, and only where it changed since the slot's last use; the workers only read it;</li>
 *   <li>the link (first consumer, producers it was sealed with, whether its consumers are final) lies in the
 *       slot table's link array ({@link SlotLinks}), four slots to a line, and the look-ahead (the tasks that
 *       follow it in its batch) on a line of the slot's own: both only stored into by the orchestrating thread
 *       and only read by the workers;</li>
 *   <li>the workers' line holds what the thread that completes the task writes: the completed use, the outcome,
 *       the producer count of a task that needs one, the lock and the group bookkeeping. The orchestrating thread
 *       reads it only on paths not taken once per task (wiring to a producer that was published before, a
 *       failure), and learns outcomes from the completion record;</li>
 *   <li>the consumers past the first, in a list of their own, are written only by the orchestrating thread and
 *       only read by the worker that completes the task;</li>
 *   <li>the orchestrating thread's own line holds the retirement bookkeeping (producers, references, written
 *       addresses, slab, scope) and its copies of what it told the workers.</li>
 * </ul>
 * The groups are 128 bytes apart, not 64: the adjacent-line prefetcher fetches lines in pairs, and with one line
 * between them a worker reading its line took the orchestrating thread's neighbouring line away from it.
 *
 * <p>Consumers are guarded by the slot's spin lock while one can still be wired: the orchestrating thread appends
 * under it, and the worker that completes the task marks it complete under it. Once the task is recorded in the
 * access index as neither writer nor reader and its batch is published, no consumer can be wired any more, and the
 * worker completes it without the lock. A task sealed before any of its producers was published counts nothing
 * when it has one producer (only that producer's completer can make it ready), and otherwise counts its completed
 * producers up to the number it was sealed with; any other task's count is balanced against its wired producers
 * when it is sealed.
 */
public final class TaskSlot extends TaskSlotOwnedPadding
{
    // A slot knows two of a task's states (SPEC §3) itself: READY and RUNNING are where the task is (a ready queue,
    // a worker), FREE and CONSUMED are the slot table's.
    /** Submitted and not completed yet. */
    public static final int PENDING = 0;
    /** Finished (successfully, failed or skipped); its consumer list is frozen. */
    public static final int COMPLETED = 1;

    /** What {@link #firstConsumer} returns for a task that has none. */
    static final int NO_CONSUMER = Integer.MIN_VALUE;

    /** A task for the sub worker pool. */
    public static final int KIND_SUB = 0;
    /** A task for the next-level worker pool. */
    public static final int KIND_NEXT_LEVEL = 1;
    /** The pseudo-task of an {@code alloc}: completed from the start. */
    public static final int KIND_ALLOC = 2;

    /** Ran and succeeded. */
    public static final int OUTCOME_OK = 0;
    /** Ran and failed. */
    public static final int OUTCOME_FAILED = 1;
    /** Never ran because a producer failed or was skipped. */
    public static final int OUTCOME_SKIPPED = 2;

    private static final VarHandle COMPLETED_USE;
    private static final VarHandle LINKS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle LOCK;
    private static final VarHandle PENDING_PRODUCERS;
    private static final VarHandle CLAIMED_MEMBERS;
    private static final VarHandle UNFINISHED_MEMBERS;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            COMPLETED_USE = lookup.findVarHandle(TaskSlotShared.class, "completedUse", int.class);
            LOCK = lookup.findVarHandle(TaskSlotShared.class, "lock", int.class);
            PENDING_PRODUCERS = lookup.findVarHandle(TaskSlotShared.class, "pendingProducers", int.class);
            CLAIMED_MEMBERS = lookup.findVarHandle(TaskSlotShared.class, "claimedMembers", int.class);
            UNFINISHED_MEMBERS = lookup.findVarHandle(TaskSlotShared.class, "unfinishedMembers", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    TaskSlot(final int index, final int[] links, final int link)
    {
        super(index, links, link);
    }

    /**
     * What a submit into this slot returns; allocated once with the slot, so submitting allocates nothing.
     *
     * @return the result naming this slot.
     */
    public SubmitResult submitResult()
    {
        return submitResult;
    }

    /**
     * Slot number.
     *
     * @return the index in the slot table.
     */
    public int index()
    {
        return index;
    }

    /**
     * Describe the task the slot holds; called by the orchestrating thread before the task is sealed.
     *
     * @param taskKind     one of the KIND_ constants.
     * @param taskCallable callable id or handle.
     * @param taskConfig   launch configuration.
     * @param size         members: 1, or N for a group.
     */
    public void describe(final int taskKind, final long taskCallable, final CallConfig taskConfig, final int size)
    {
        // A reused slot mostly takes the same kind of task again. A store, even of the same value, takes the line
        // back from the worker that read it (and a reference store costs a GC card mark), so only what changed
        // is written.
        if (kind != taskKind)
        {
            kind = taskKind;
        }
        if (callable != taskCallable)
        {
            callable = taskCallable;
        }
        if (config != taskConfig)
        {
            config = taskConfig;
        }
        if (groupSize != size)
        {
            groupSize = size;
        }
        ensureMembers(size);
        if (size > 1)
        {
            // Member counts are read only for groups: a single task leaves the line the workers write alone.
            initGroup(size);
        }
    }

    /**
     * Attach the heap-ring slab that holds the task's allocated outputs; freed when the task retires.
     *
     * @param ring the ring.
     * @param id   the slab id.
     */
    public void attachSlab(final HeapRing ring, final long id)
    {
        slabRing = ring;
        slabId = id;
    }

    /**
     * The ring of the attached slab.
     *
     * @return the ring, or null when the task holds no slab.
     */
    public HeapRing slabRing()
    {
        return slabRing;
    }

    /**
     * The attached slab.
     *
     * @return the slab id, or -1.
     */
    public long slabId()
    {
        return slabId;
    }

    /**
     * Record a byte range this task writes; its writer records there are erased on retirement where they still are.
     *
     * @param start first byte.
     * @param end   one past the last byte.
     */
    public void addWrittenRange(final long start, final long end)
    {
        if (writtenCount++ == 0)
        {
            firstWrittenStart = start;
            firstWrittenEnd = end;
        }
        else
        {
            moreWritten.addLong(start);
            moreWritten.addLong(end);
        }
    }

    /**
     * How many written ranges the task recorded.
     *
     * @return the count.
     */
    public int writtenCount()
    {
        return writtenCount;
    }

    /**
     * First byte of a recorded written range.
     *
     * @param i 0..writtenCount()-1.
     * @return the address.
     */
    public long writtenStartAt(final int i)
    {
        return i == 0 ? firstWrittenStart : moreWritten.getLong((i - 1) << 1);
    }

    /**
     * End (exclusive) of a recorded written range.
     *
     * @param i 0..writtenCount()-1.
     * @return the address one past the range.
     */
    public long writtenEndAt(final int i)
    {
        return i == 0 ? firstWrittenEnd : moreWritten.getLong(((i - 1) << 1) + 1);
    }

    /**
     * One more reader entry of this task in the access index: a later writer may wire to it.
     */
    public void addReaderEntry()
    {
        readerEntries++;
    }

    /**
     * A reader entry of this task left the access index (a write cleared it, or its segment went).
     */
    public void loseReaderEntry()
    {
        readerEntries--;
    }

    /**
     * Reader entries of this task in the access index.
     *
     * @return the count; 0 once no later writer can find the task as a reader.
     */
    public int readerEntries()
    {
        return readerEntries;
    }

    /**
     * Which claim of the slot table this task is: a number unique among all the table's tasks, for traces.
     *
     * @return the claim number, counted from 1.
     */
    public long claimNumber()
    {
        return claim;
    }

    /**
     * The run in flight the task belongs to.
     *
     * @return the run's number in the {@link RunLedger}.
     */
    public int runNumber()
    {
        return run;
    }

    /**
     * Copy the task's claim and run onto the description line, which the threads that record it read; called by
     * the orchestrating thread while tracing, before the task is sealed.
     *
     * @param epoch the tracer's epoch, which changes whenever recording starts.
     */
    public void copyForTrace(final int epoch)
    {
        traceClaim = claim;
        traceRun = run;
        traceEpoch = epoch;
    }

    /**
     * The task's claim number, for a thread that records it: from the description line when it was copied there
     * in this epoch, else (a task submitted before recording started) from the orchestrating thread's line.
     *
     * @param epoch the tracer's epoch.
     * @return the claim number.
     */
    public long claimForTrace(final int epoch)
    {
        return traceEpoch == epoch ? traceClaim : claim;
    }

    /**
     * The task's run, for a thread that records it (see {@link #claimForTrace}).
     *
     * @param epoch the tracer's epoch.
     * @return the run's number.
     */
    public int runForTrace(final int epoch)
    {
        return traceEpoch == epoch ? traceRun : run;
    }

    /**
     * Which use of the slot this is (counted up by every claim); with the slot number it names one task.
     *
     * @return the use.
     */
    public int use()
    {
        return use;
    }

    /**
     * Whether the orchestrating thread has seen the task complete; a reader that has no longer needs to be waited
     * for by a later writer.
     *
     * @return true once its completion was taken.
     */
    public boolean isCompletionSeen()
    {
        return completionSeen;
    }

    /**
     * The task became the writer of one more segment of the access index.
     */
    public void addLastWrite()
    {
        lastWrites++;
    }

    /**
     * A segment this task was the writer of got a later writer, or went.
     */
    public void loseLastWrite()
    {
        lastWrites--;
    }

    /**
     * Whether the task is still the writer of a segment of the access index.
     *
     * @return false once every byte it wrote has a later writer (or it never wrote).
     */
    public boolean isLastWriterOfAny()
    {
        return lastWrites > 0;
    }

    /**
     * Make the slot ready for a new task; called by the orchestrating thread when it claims the slot. The task holds
     * one reference, for its scope, and waits for nothing yet. Only what the orchestrating thread owns, or what must
     * read as fresh before the task is published, is reset here (the consumers past the first, when there were
     * any): the outcome is written when the task completes, and the stack links when it is pushed, so the lines the
     * workers write are not pulled back.
     */
    void resetForClaim()
    {
        refCount = 1;
        completionSeen = false;
        use++;
        wirePoisoned = false;
        if (wiredConsumers > 1)
        {
            consumers.clear();
        }
        wiredConsumers = 0;
        clearWiring();
        slabRing = null;
        slabId = -1;
        scopeDepth = -1;
        scopeListed = false;
        stageSeq = -1;
        wiredProducers = 0;
    }

    /**
     * Wire this task (a consumer being submitted or published) to a producer that is published: under the
     * producer's lock, as a consumer of a producer not completed yet, or poisoned by one that failed. A producer
     * seen completed needs no lock: it stays completed while this task holds it, and its outcome was set before
     * its completion was released, so its line is not taken back from the worker that completed it.
     *
     * @param producer the producer.
     */
    void wireTo(final TaskSlot producer)
    {
        if (!producer.isCompleted())
        {
            producer.lock();
            try
            {
                if (!producer.isCompleted())
                {
                    if (wiredProducers == 0)
                    {
                        // Before the first producer can count it: the link may hold the count of an earlier use.
                        openProducers();
                    }
                    producer.addConsumer(index);
                    wiredProducers++;
                    return;
                }
            }
            finally
            {
                producer.unlock();
            }
        }
        if (producer.outcome != TaskSlot.OUTCOME_OK)
        {
            poisoned = true;
            wirePoisoned = true;
        }
    }

    /**
     * Forget the previous use's producers and addresses; called when the slot is claimed.
     */
    void clearWiring()
    {
        clearProducers();
        if (deferredCount > 1)
        {
            moreDeferred.clear();
        }
        deferredCount = 0;
        if (writtenCount > 1)
        {
            moreWritten.clear();
        }
        writtenCount = 0;
        lastWrites = 0;
        readerEntries = 0;
    }

    void clearProducers()
    {
        if (producerCount > 1)
        {
            moreProducers.clear();
        }
        producerCount = 0;
    }

    void addProducer(final int producer)
    {
        if (producerCount++ == 0)
        {
            firstProducer = producer;
        }
        else
        {
            moreProducers.addInt(producer);
        }
    }

    int producerAt(final int i)
    {
        return i == 0 ? firstProducer : moreProducers.getInt(i - 1);
    }

    void addDeferred(final int producer)
    {
        if (deferredCount++ == 0)
        {
            firstDeferred = producer;
        }
        else
        {
            moreDeferred.addInt(producer);
        }
    }

    int deferredAt(final int i)
    {
        return i == 0 ? firstDeferred : moreDeferred.getInt(i - 1);
    }

    /**
     * Whether the task failed or was skipped; meaningful once it completed.
     *
     * @return the outcome, one of the OUTCOME_ constants.
     */
    public int outcome()
    {
        return outcome;
    }

    /**
     * What kind of task the slot holds.
     *
     * @return one of the KIND_ constants.
     */
    public int kind()
    {
        return kind;
    }

    /**
     * The callable id or handle.
     *
     * @return the value handed to the worker.
     */
    public long callable()
    {
        return callable;
    }

    /**
     * Launch configuration.
     *
     * @return the config handed to the worker.
     */
    public CallConfig config()
    {
        return config;
    }

    /**
     * Members of the task: 1 for a single task, N for a group.
     *
     * @return group size.
     */
    public int groupSize()
    {
        return groupSize;
    }

    /**
     * Arguments of one member.
     *
     * @param member 0..groupSize-1.
     * @return the stored arguments.
     */
    public StoredArgs member(final int member)
    {
        return members[member];
    }

    /**
     * Current state, as the orchestrating thread sees it.
     *
     * @return {@link #PENDING} or {@link #COMPLETED}.
     */
    public int state()
    {
        return isCompleted() ? COMPLETED : PENDING;
    }

    /**
     * Whether the task of the slot's current use completed; read by the orchestrating thread.
     *
     * @return true once the task completed, until the slot is claimed again.
     */
    boolean isCompleted()
    {
        return (int)COMPLETED_USE.getAcquire(this) == use;
    }

    /**
     * The use of the slot whose task is running; read by the thread that completes it (uses complete in order,
     * each once).
     *
     * @return the use.
     */
    int useInProgress()
    {
        return (int)COMPLETED_USE.get(this) + 1;
    }

    /**
     * Mark the task complete; called by the thread that completes it, after its outcome is set (under the lock
     * unless the consumers are final).
     *
     * @param current the use being completed, {@link #useInProgress()}.
     */
    void markCompleted(final int current)
    {
        COMPLETED_USE.setRelease(this, current);
    }

    /**
     * Mark the task complete from the orchestrating thread (the pseudo-task of an {@code alloc}).
     */
    void markCompletedByOwner()
    {
        COMPLETED_USE.setRelease(this, use);
    }

    /**
     * Whether no consumer can be wired to the task any more; read by the worker that completes it.
     *
     * @param current the use being completed.
     * @return true when the consumers are final.
     */
    boolean consumersFinal(final int current)
    {
        return recordsNothing != 0 || (int)LINKS.getAcquire(links, link + SlotLinks.FINAL_USE) == current;
    }

    /**
     * The first consumer wired to the task, read by the thread that completes it once the consumers are frozen.
     *
     * @param current the use being completed.
     * @return the slot number of the first consumer when it is the only one, its complement ({@code ~index},
     *         negative) when more are in {@link #consumers}, or {@link #NO_CONSUMER}.
     */
    int firstConsumer(final int current)
    {
        return links[link + SlotLinks.CONSUMER_USE] == current ? links[link + SlotLinks.FIRST_CONSUMER] : NO_CONSUMER;
    }

    /**
     * Called when the task is fully wired: a task recorded nowhere in the access index can get no consumer.
     */
    public void noteWhetherRecorded()
    {
        final int nothing = writtenCount == 0 && readerEntries == 0 ? 1 : 0;
        if (recordsNothing != nothing)
        {
            recordsNothing = nothing;
        }
    }

    /**
     * Called by the orchestrating thread when it published the task's batch: every consumer submitted so far is
     * wired, and when the task is recorded in the access index neither as a writer nor as a reader, no other can be.
     */
    void finalIfReplaced()
    {
        // A task recorded nowhere is final already ({@link #consumersFinal}): its links are left alone, so that
        // the worker that reads them does not have to fetch them back from this core.
        if (recordsNothing == 0 && lastWrites == 0 && readerEntries == 0)
        {
            LINKS.setRelease(links, link + SlotLinks.FINAL_USE, use);
        }
    }

    void lock()
    {
        while (!LOCK.weakCompareAndSetAcquire(this, 0, 1))
        {
            Thread.onSpinWait();
        }
    }

    void unlock()
    {
        LOCK.setRelease(this, 0);
    }

    /**
     * Seal a task one or more of whose producers may already be published: count the producers wired while it
     * was submitted against those that completed meanwhile.
     *
     * @return true when every wired producer has completed already.
     */
    boolean sealOpen()
    {
        final int wired = wiredProducers;
        return (int)PENDING_PRODUCERS.getAndAdd(this, -wired) - wired == 0;
    }

    /**
     * Seal a task no other thread can see or count yet: every producer it waits for is unpublished. Only the
     * link is written: the workers' line of the slot is left alone.
     */
    void sealClosed()
    {
        // A task without producers mostly finds the 0 of the slot's last use, and nothing else writes its links:
        // a store of the same value would still take the line from the worker that read it. One with producers
        // stores at once: its line is written again when its consumer is wired, and one transfer for both costs
        // less than a read first (a chain ran 20 % slower with the read).
        if (wiredProducers != 0 || links[link + SlotLinks.CLOSED_PRODUCERS] != 0)
        {
            links[link + SlotLinks.CLOSED_PRODUCERS] = wiredProducers;
        }
    }

    /**
     * Whether the task is recorded nowhere in the access index: it has no producer and can get no consumer, so
     * its links are never written while it is in flight.
     *
     * @return true for a task without tensor accesses (no arguments, or only NO_DEP).
     */
    boolean recordsNothing()
    {
        return recordsNothing != 0;
    }

    /**
     * One producer finished. A task sealed closed with one producer is ready without counting (only that
     * producer's completer gets here); otherwise the count goes up from zero: a task sealed closed is ready when
     * it reaches the count it was sealed with, any other reaches zero only after {@link #sealOpen} took its wired
     * producers off, and stays above zero until then.
     *
     * @return true when it was the last one.
     */
    boolean producerDone()
    {
        final int closed = links[link + SlotLinks.CLOSED_PRODUCERS];
        return closed == 1 || (int)PENDING_PRODUCERS.getAndAdd(this, 1) + 1 == closed;
    }

    /**
     * Reset what the workers' line holds for the next use of the slot; called by the thread that completes the
     * task, which holds that line, once every producer has counted and nothing else writes it.
     */
    void resetForNextUse()
    {
        if ((int)PENDING_PRODUCERS.get(this) != 0)
        {
            PENDING_PRODUCERS.set(this, 0);
        }
        if (poisoned)
        {
            poisoned = false;
        }
    }

    void initGroup(final int size)
    {
        CLAIMED_MEMBERS.setRelease(this, 0);
        UNFINISHED_MEMBERS.setRelease(this, size);
        if (brokenBy != null)
        {
            brokenBy = null;
        }
    }

    /**
     * A member of this group went to a worker that cannot run it, so the group can never run all its members at
     * the same time: the other members must not run either. Called before that member is claimed.
     *
     * @param reason why, naming the worker.
     */
    public void breakGroup(final String reason)
    {
        brokenBy = reason;
    }

    /**
     * Why the group cannot run; read after every member was claimed.
     *
     * @return the reason given to {@link #breakGroup}, or null when the group can run.
     */
    public String brokenBy()
    {
        return brokenBy;
    }

    /**
     * A worker took one member of the group.
     *
     * @return how many members are taken now.
     */
    public int claimMember()
    {
        return (int)CLAIMED_MEMBERS.getAndAdd(this, 1) + 1;
    }

    /**
     * How many members are taken.
     *
     * @return claimed member count.
     */
    public int claimedMembers()
    {
        return (int)CLAIMED_MEMBERS.getAcquire(this);
    }

    /**
     * A member finished.
     *
     * @return true when it was the last one.
     */
    public boolean memberDone()
    {
        return (int)UNFINISHED_MEMBERS.getAndAdd(this, -1) == 1;
    }

    /**
     * Wire a consumer; called by whoever wires it (see {@link TaskSlotOwned}): under this slot's lock, before
     * COMPLETED, once this task is published.
     *
     * @param consumer the consumer's slot index.
     */
    void addConsumer(final int consumer)
    {
        // Counted on the orchestrating thread's own line. Only the wiring role writes the consumers: the link says
        // whether the list holds more (the first consumer's complement), and the list is emptied when the slot is
        // claimed again, so the worker that completes the task reads them and writes nothing back.
        if (wiredConsumers++ == 0)
        {
            links[link + SlotLinks.FIRST_CONSUMER] = consumer;
            links[link + SlotLinks.CONSUMER_USE] = use;
        }
        else
        {
            consumers.addInt(consumer);
            if (wiredConsumers == 2)
            {
                links[link + SlotLinks.FIRST_CONSUMER] = ~links[link + SlotLinks.FIRST_CONSUMER];
            }
        }
    }

    /**
     * The producer count the task was sealed with; read by a worker only to start loading the link early.
     *
     * @return the count in the link, whatever use it belongs to.
     */
    int closedProducersHint()
    {
        return links[link + SlotLinks.CLOSED_PRODUCERS];
    }

    /**
     * Mark the task as one that counts its producers down from what it was wired with; called before any
     * producer can count it, since the link may still hold the count of an earlier use.
     */
    void openProducers()
    {
        links[link + SlotLinks.CLOSED_PRODUCERS] = 0;
    }

    void ensureMembers(final int size)
    {
        if (members.length < size)
        {
            final StoredArgs[] grown = new StoredArgs[Math.max(size, members.length * 2)];
            System.arraycopy(members, 0, grown, 0, members.length);
            for (int i = members.length; i < grown.length; i++)
            {
                grown[i] = new StoredArgs();
            }
            members = grown;
        }
    }
}
