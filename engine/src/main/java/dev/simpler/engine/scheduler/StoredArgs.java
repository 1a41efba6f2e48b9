package dev.simpler.engine.scheduler;

import java.util.Arrays;

import dev.simpler.engine.TaskArgsView;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.TensorArgType;

/**
 * The arguments of one task (or one group member) as stored in its slot at submit time, tags stripped. The
 * worker reads them in place through this view. Also carries the member's outcome. A PROCESS-mode child
 * decodes each task from its mailbox into one of these too.
 *
 * <p>Reference fields are only stored when they change: these objects live long (old generation), and every
 * reference store into them costs the garbage collector a card mark and later a refinement pass.
 *
 * <p>Written by the orchestrating thread before the task is published; read by the worker that runs it.
 * The outcome fields are written by that worker before it reports the member finished.
 */
public final class StoredArgs implements TaskArgsView
{
    private static final int INITIAL_CAPACITY = 16;

    // Room for common tasks from the start (16 tensors is also the chip-args limit), so that a slot taking a
    // wider task than before does not allocate in steady state; wider tasks grow the arrays once per slot.
    private Tensor[] tensors = new Tensor[INITIAL_CAPACITY];
    private TensorArgType[] tags = new TensorArgType[INITIAL_CAPACITY];
    /** Whether the tags were stored: true for arguments copied from a submit, false for those a child decoded. */
    private boolean tagsKnown;
    private long[] scalars = new long[INITIAL_CAPACITY];
    private int tensorCount;
    private int scalarCount;

    int errorCode;
    String errorMessage;
    Throwable errorCause;
    String workerName;

    /**
     * Copy the caller's arguments in, keeping the storage when it is large enough.
     *
     * @param source the arguments to store.
     */
    public void copyFrom(final TaskArgsView source)
    {
        final int tensorTotal = source.tensorCount();
        final int scalarTotal = source.scalarCount();
        resize(tensorTotal, scalarTotal);
        final Tensor[] stored = tensors;
        final TensorArgType[] storedTags = tags;
        for (int i = 0; i < tensorTotal; i++)
        {
            final Tensor t = source.tensor(i);
            if (stored[i] != t)
            {
                stored[i] = t;
            }
            final TensorArgType tag = source.tag(i);
            if (storedTags[i] != tag)
            {
                storedTags[i] = tag;
            }
        }
        if (!tagsKnown)
        {
            tagsKnown = true;
        }
        final long[] storedScalars = scalars;
        for (int i = 0; i < scalarTotal; i++)
        {
            final long bits = source.scalar(i);
            if (storedScalars[i] != bits)
            {
                storedScalars[i] = bits;
            }
        }
    }

    /**
     * Make room for a task's arguments to be set one by one with {@link #setTensor} and {@link #setScalar}.
     *
     * @param tensorTotal tensor count.
     * @param scalarTotal scalar count.
     */
    public void reset(final int tensorTotal, final int scalarTotal)
    {
        resize(tensorTotal, scalarTotal);
        if (tagsKnown)
        {
            tagsKnown = false;
        }
    }

    private void resize(final int tensorTotal, final int scalarTotal)
    {
        if (tensorTotal > tensors.length)
        {
            tensors = new Tensor[Math.max(tensorTotal, tensors.length * 2)];
            tags = new TensorArgType[tensors.length];
        }
        if (scalarTotal > scalars.length)
        {
            scalars = new long[Math.max(scalarTotal, scalars.length * 2)];
        }
        if (tensorTotal < tensorCount)
        {
            Arrays.fill(tensors, tensorTotal, tensorCount, null);
        }
        // Written only when changed: the worker that ran the slot's last task read these, and a store would take
        // the line back from it. The outcome was cleared when that task retired.
        if (tensorCount != tensorTotal)
        {
            tensorCount = tensorTotal;
        }
        if (scalarCount != scalarTotal)
        {
            scalarCount = scalarTotal;
        }
        if (errorCode != 0)
        {
            clearOutcome();
        }
    }

    /**
     * Set scalar {@code i}.
     *
     * @param i    index.
     * @param bits the raw bits.
     */
    public void setScalar(final int i, final long bits)
    {
        scalars[i] = bits;
    }

    /**
     * Replace tensor {@code i}; used to patch in allocated OUTPUTs.
     *
     * @param i index.
     * @param t the tensor.
     */
    public void setTensor(final int i, final Tensor t)
    {
        if (tensors[i] != t)
        {
            tensors[i] = t;
        }
    }

    /**
     * Record that the member failed.
     *
     * @param code    error code.
     * @param message what went wrong.
     * @param cause   the exception, when it was thrown in this process.
     * @param worker  name of the worker that ran the member.
     */
    public void fail(final int code, final String message, final Throwable cause, final String worker)
    {
        errorCode = code;
        errorMessage = message;
        errorCause = cause;
        workerName = worker;
    }

    /**
     * Whether the member failed.
     *
     * @return true when {@link #fail} was called since the last store.
     */
    public boolean failed()
    {
        return errorCode != 0;
    }

    void clearOutcome()
    {
        errorCode = 0;
        errorMessage = null;
        errorCause = null;
        workerName = null;
    }

    void release()
    {
        // The tensor references stay until the slot is reused: a task in a hot slot mostly names the same
        // tensors as the one before, and an unchanged reference is not stored again (no GC card mark).
        // Counts and outcome are rewritten when the slot is next used; only a failure's references are dropped now.
        if (errorCode != 0)
        {
            clearOutcome();
        }
    }

    @Override
    public int tensorCount()
    {
        return tensorCount;
    }

    /**
     * The tag tensor {@code i} was submitted with; a worker the engine calls in its own process can read it.
     *
     * @param i index.
     * @return the tag.
     * @throws UnsupportedOperationException in a PROCESS-mode child: tags do not travel through mailboxes.
     */
    @Override
    public TensorArgType tag(final int i)
    {
        if (!tagsKnown)
        {
            throw new UnsupportedOperationException("tags do not travel through mailboxes (SPEC §7): a PROCESS-mode "
                + "child cannot read the tag of tensor " + i + "; pass what the callable needs as a scalar");
        }
        if (i < 0 || i >= tensorCount)
        {
            throw new IndexOutOfBoundsException("tensor index out of range: i=" + i + ", tensorCount=" + tensorCount);
        }
        return tags[i];
    }

    @Override
    public Tensor tensor(final int i)
    {
        if (i < 0 || i >= tensorCount)
        {
            throw new IndexOutOfBoundsException("tensor index out of range: i=" + i + ", tensorCount=" + tensorCount);
        }
        return tensors[i];
    }

    @Override
    public int scalarCount()
    {
        return scalarCount;
    }

    @Override
    public long scalar(final int i)
    {
        if (i < 0 || i >= scalarCount)
        {
            throw new IndexOutOfBoundsException("scalar index out of range: i=" + i + ", scalarCount=" + scalarCount);
        }
        return scalars[i];
    }
}
