package dev.simpler.engine;

/**
 * Read-only view of a task's arguments: tensors first, then 64-bit scalars.
 */
public interface TaskArgsView
{
    /**
     * Number of tensors.
     *
     * @return tensor count.
     */
    int tensorCount();

    /**
     * Tensor {@code i}.
     *
     * @param i index, {@code 0 <= i < tensorCount()}.
     * @return the tensor.
     */
    Tensor tensor(int i);

    /**
     * Number of scalars.
     *
     * @return scalar count.
     */
    int scalarCount();

    /**
     * Scalar {@code i} as raw 64 bits (a float's bits are in the low half).
     *
     * @param i index, {@code 0 <= i < scalarCount()}.
     * @return the bits.
     */
    long scalar(int i);

    /**
     * The tag tensor {@code i} was submitted with (SPEC §2.3). Workers the engine calls in its own process (THREAD
     * mode) can read it; tags are consumed at submit time and do not travel through mailboxes, so a PROCESS-mode
     * child cannot.
     *
     * @param i index, 0..tensorCount()-1.
     * @return the tag.
     * @throws UnsupportedOperationException where the tags are not known, as in a PROCESS-mode child.
     */
    default TensorArgType tag(final int i)
    {
        throw new UnsupportedOperationException("these arguments carry no tags: " + getClass().getName());
    }

    /**
     * Scalar {@code i} read as a float.
     *
     * @param i index.
     * @return the float whose bits are the low half of the scalar.
     */
    default float scalarFloat(final int i)
    {
        return Float.intBitsToFloat((int)scalar(i));
    }

    /**
     * Scalar {@code i} read as a double.
     *
     * @param i index.
     * @return the double with the scalar's bits.
     */
    default double scalarDouble(final int i)
    {
        return Double.longBitsToDouble(scalar(i));
    }
}
