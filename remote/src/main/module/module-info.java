/**
 * Remote L3 hosts over Aeron (SPEC §15): {@code SimplerNode} runs an L3 Worker for a remote L4, {@code RemoteWorker}
 * is the L4's next-level worker for it. Only {@code dev.simpler.remote} is API; the transport, the node's and the
 * L4's roles, the generated codecs and the launcher are internal.
 */
module dev.simpler.remote
{
    requires transitive dev.simpler.engine;
    requires io.aeron.client;
    requires io.aeron.driver;

    exports dev.simpler.remote;

    uses dev.simpler.remote.NodeFunctions;
}
