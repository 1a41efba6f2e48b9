package dev.simpler.remote;

import dev.simpler.engine.Worker;

/**
 * Functions a node launched from the command line offers besides its built-in ones (SPEC §15): implementations
 * listed in {@code META-INF/services/dev.simpler.remote.NodeFunctions} on the launcher's class path are found with
 * {@link java.util.ServiceLoader}. Code never travels over the network: a node runs only what its class path holds.
 */
public interface NodeFunctions
{
    /**
     * Register this provider's sub callables on the node's L3 Worker and its named functions on the node.
     *
     * @param l3   the node's Worker, not yet initialised.
     * @param node the node being built.
     */
    void register(Worker l3, SimplerNode.Builder node);
}
