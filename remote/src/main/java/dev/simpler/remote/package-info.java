/**
 * Remote L3 hosts (SPEC §15): a {@link dev.simpler.remote.SimplerNode} runs an L3 Worker for an L4 on another
 * machine, and a {@link dev.simpler.remote.RemoteWorker} is that L4's next-level worker for it, over Aeron.
 */
package dev.simpler.remote;
