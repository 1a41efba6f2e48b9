/**
 * The simpler engine: runs graphs of tasks over sub workers (Java callables in engine threads or child JVMs) and
 * next-level workers (chips, or lower-level Workers). Only {@code dev.simpler.engine} is API; the packages of the
 * engine's roles are internal and exported only to the project's own modules that build on them.
 */
module dev.simpler.engine
{
    requires transitive dev.simpler.mailbox;
    requires transitive org.agrona;
    requires com.lmax.disruptor;
    requires jdk.unsupported;
    requires jdk.jfr;
    // Chronicle's thread affinity (net.openhft:affinity) is not required here: its jar has no module name, and
    // CpuAffinity makes the engine read its module when pinning is first used.

    exports dev.simpler.engine;
    // TaskExecutionException: a remote next-level worker fails a task with the node's own error code.
    exports dev.simpler.engine.worker to dev.simpler.remote;
}
