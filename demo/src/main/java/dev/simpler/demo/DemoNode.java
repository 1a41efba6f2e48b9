package dev.simpler.demo;

import dev.simpler.remote.launcher.NodeMain;

/**
 * A node of the main job's multi-host part: the node launcher ({@code simpler-node.jar}'s main), in a JVM that
 * stops cleanly when the demo that started it is gone, however it went, so that no node outlives the demo.
 */
public final class DemoNode
{
    private DemoNode()
    {
    }

    /**
     * Run a node until the demo JVM that started it exits.
     *
     * @param args the launcher's options.
     */
    public static void main(final String[] args)
    {
        // System.exit runs the launcher's shutdown hook, which closes the node and removes its files.
        ProcessHandle.current().parent().ifPresent((parent) -> parent.onExit().thenRun(() -> System.exit(0)));
        NodeMain.main(args);
    }
}
