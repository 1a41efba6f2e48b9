package dev.simpler.engine.process;

import java.io.Serializable;

/**
 * One shared file a child maps: where it lies in the engine's address space, so the child can translate tensor
 * addresses from the wire into its own mapping.
 *
 * @param path       the file.
 * @param parentBase address of the file's first byte in the engine process.
 * @param length     bytes mapped.
 */
public record SharedRegion(String path, long parentBase, long length) implements Serializable
{
    /**
     * Whether {@code [address, address + nbytes)} lies inside the region.
     *
     * @param address first byte, in the engine's address space.
     * @param nbytes  length.
     * @return true when inside.
     */
    public boolean contains(final long address, final long nbytes)
    {
        return address >= parentBase && nbytes >= 0 && address - parentBase <= length - nbytes;
    }
}
