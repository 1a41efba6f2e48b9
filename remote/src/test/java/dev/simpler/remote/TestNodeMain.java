package dev.simpler.remote;

import dev.simpler.remote.launcher.NodeMain;

/**
 * The node launcher as the tests run it in a JVM of its own: the real {@link NodeMain} (with the test functions
 * found by ServiceLoader, {@link TestNodeFunctions}) that halts when the test JVM dies.
 */
final class TestNodeMain
{
    private TestNodeMain()
    {
    }

    public static void main(final String[] args)
    {
        ChildJvm.watchParent();
        NodeMain.main(args);
    }
}
