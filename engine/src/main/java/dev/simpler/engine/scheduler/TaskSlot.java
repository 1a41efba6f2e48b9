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
    final SubmitResult submitResult;
    CallConfig config;
    StoredArgs[] members = {new StoredArgs()};
    final IntArrayList consumers = new IntArrayList();
    final int[] completionRecord = new int[CompletionRecord.LENGTH];
    final IntArrayList deferredProducers = new IntArrayList();
    final IntArrayList producers = new IntArrayList();
    final LongArrayList writtenAddresses = new LongArrayList();

    TaskSlotDescription(final int index)
    {
        this.index = index;
        this.submitResult = new SubmitResult(index);
    }
}

/**
 * Keeps the description off the line the workers write.
 */
abstract class TaskSlotDescriptionPadding extends TaskSlotDescription
{
    @SuppressWarnings("unused")
    private long p01;
    private long p02;
    private long p03;
    private long p04;
    private long p05;
    private long p06;
    private long p07;
    private long p08;

    TaskSlotDescriptionPadding(final int index)
    {
        super(index);
    }
}

/**
 * What the workers write for every task: its state and lock, its count of unfinished producers, its first
 * consumer, its outcome, and (for groups) the members' bookkeeping. The orchestrating thread only stores into
 * these fields while a task is submitted, wired or retired, and reads them only on paths that are not taken once
 * per task, so that the line crosses from the workers' cores without the orchestrating thread waiting for it.
 */
abstract class TaskSlotShared extends TaskSlotDescriptionPadding
{
    @SuppressWarnings("unused")
    volatile int state;
    @SuppressWarnings("unused")
    volatile int lock;
    @SuppressWarnings("unused")
    volatile int pendingProducers;
    @SuppressWarnings("unused")
    volatile int claimedMembers;
    @SuppressWarnings("unused")
    volatile int unfinishedMembers;
    int firstConsumer = -1;
    int outcome;
    int nextOverflow = -1;
    /**
     * Set by the orchestrating thread while wiring (a producer had failed) or by the worker that completes a
     * failed producer, before that worker counts this task's producers down: whoever reads it after the count
     * reached zero sees it.
     */
    boolean poisoned;
    boolean moreConsumers;
    /** Fill the group to a multiple of 8 bytes, so that no field of a subclass is placed among these. */
    @SuppressWarnings("unused")
    private byte fill1;
    @SuppressWarnings("unused")
    private byte fill2;
    volatile String brokenBy;

    TaskSlotShared(final int index)
    {
        super(index);
    }
}

/**
 * Keeps the workers' line off the orchestrating thread's own fields.
 */
abstract class TaskSlotSharedPadding extends TaskSlotShared
{
    @SuppressWarnings("unused")
    private long q01;
    private long q02;
    private long q03;
    private long q04;
    private long q05;
    private long q06;
    private long q07;
    private long q08;

    TaskSlotSharedPadding(final int index)
    {
        super(index);
    }
}

/**
 * What only the orchestrating thread reads and writes: the submit's wiring state, the retirement bookkeeping
 * (producers, references, slab, scope), and what it knows of the task's consumers and poison without reading
 * the workers' line.
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
    boolean completionSeen;
    boolean scopeListed;
    /** The orchestrating thread poisoned this task while wiring it. */
    boolean wirePoisoned;
    HeapRing slabRing;

    TaskSlotOwned(final int index)
    {
        super(index);
    }
}

/**
 * Keeps the orchestrating thread's fields off whatever object follows the slot in memory.
 */
abstract class TaskSlotOwnedPadding extends TaskSlotOwned
{
    @SuppressWarnings("unused")
    private long r01;
    private long r02;
    private long r03;
    private long r04;
    private long r05;
    private long r06;
    private long r07;
    private long r08;

    TaskSlotOwnedPadding(final int index)
    {
        super(index);
    }
}

/**
 * One node of the task graph, allocated once and reused (SPEC §3). Its fields sit on separate cache lines by the
 * thread that writes them, and the orchestrating thread never has to read a line a worker wrote to take in a
 * completion, retire a task or reuse its slot (it learns a task's outcome from the completion record):
 * <ul>
 *   <li>the orchestrating thread writes the task (kind, callable, config, members) before it can be published;
 *       the workers only read it;</li>
 *   <li>the consumers (the first in a field, the rest in a list) are guarded by the slot's spin lock: the
 *       orchestrating thread appends, the worker that completes the task freezes them by setting the state to
 *       COMPLETED under the same lock, then empties them;</li>
 *   <li>the count of unfinished producers is updated atomically by whoever completes a producer;</li>
 *   <li>group bookkeeping is updated atomically by the members' workers;</li>
 *   <li>the orchestrating thread owns the retirement bookkeeping (producers, reference count, written addresses,
 *       slab, scope).</li>
 * </ul>
 */
public final class TaskSlot extends TaskSlotOwnedPadding
{
    /** Not in use. */
    public static final int FREE = 0;
    /** Submitted, waiting for producers. */
    public static final int PENDING = 1;
    /** Published to a ready queue. */
    public static final int READY = 2;
    /** Taken by a worker. */
    public static final int RUNNING = 3;
    /** Finished (successfully, failed or skipped); its consumer list is frozen. */
    public static final int COMPLETED = 4;
    /** Retired: completed, every consumer completed and its scope ended. */
    public static final int CONSUMED = 5;

    /** A task for the sub worker pool. */
    public static final int KIND_SUB = 0;
    /** A task for the next-level worker pool. */
    public static final int KIND_NEXT_LEVEL = 1;
    /** The pseudo-task of an {@code alloc}: completed from the start. */
    public static final int KIND_ALLOC = 2;

    /**
     * The pending-producer count of a task that is not sealed yet: the producers wired to it are counted apart
     * ({@code wiredProducers}) and added in one step when it is sealed, while producers that complete meanwhile
     * count down from here, which cannot reach zero before the seal.
     */
    static final int UNSEALED = 1 << 30;

    /** Ran and succeeded. */
    public static final int OUTCOME_OK = 0;
    /** Ran and failed. */
    public static final int OUTCOME_FAILED = 1;
    /** Never ran because a producer failed or was skipped. */
    public static final int OUTCOME_SKIPPED = 2;

    private static final VarHandle STATE;
    private static final VarHandle LOCK;
    private static final VarHandle PENDING_PRODUCERS;
    private static final VarHandle CLAIMED_MEMBERS;
    private static final VarHandle UNFINISHED_MEMBERS;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(TaskSlotShared.class, "state", int.class);
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

    TaskSlot(final int index)
    {
        super(index);
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
     * Addresses this task recorded itself as the last writer of; erased on retirement where it still is.
     *
     * @return the list, owned by the orchestrating thread.
     */
    public LongArrayList writtenAddresses()
    {
        return writtenAddresses;
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
     * Current state (a snapshot).
     *
     * @return one of the state constants.
     */
    public int state()
    {
        return (int)STATE.getAcquire(this);
    }

    /**
     * A worker started the task (or its first member).
     */
    public void markRunning()
    {
        setState(RUNNING);
    }

    void setState(final int newState)
    {
        STATE.setRelease(this, newState);
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

    void initPendingProducers(final int count)
    {
        PENDING_PRODUCERS.setRelease(this, count);
    }

    /**
     * Add the producers wired while the task was submitted and drop the submit's own hold on it.
     *
     * @return true when every wired producer has completed already.
     */
    boolean unseal()
    {
        final int delta = wiredProducers - UNSEALED;
        return (int)PENDING_PRODUCERS.getAndAdd(this, delta) + delta == 0;
    }

    /**
     * Seal a task no other thread can see or count down yet: every producer it waits for is unpublished.
     */
    void sealClosed()
    {
        PENDING_PRODUCERS.set(this, wiredProducers);
    }

    /**
     * One producer finished.
     *
     * @return true when it was the last one.
     */
    boolean producerDone()
    {
        return (int)PENDING_PRODUCERS.getAndAdd(this, -1) == 1;
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
     * Wire a consumer; called by the orchestrating thread under the slot's lock, before COMPLETED.
     *
     * @param consumer the consumer's slot index.
     */
    void addConsumer(final int consumer)
    {
        // Counted on the orchestrating thread's own line: the worker resets the field to -1 when it completes
        // the task, and reading it here would pull that line back.
        if (wiredConsumers++ == 0)
        {
            firstConsumer = consumer;
        }
        else
        {
            consumers.addInt(consumer);
            moreConsumers = true;
        }
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
