package dev.simpler.remote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import dev.simpler.engine.SubCallable;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Worker;

/**
 * The test functions of a launched node, found with ServiceLoader (src/test/resources/META-INF/services): those of
 * {@link RemoteKernels}, and {@code hold}, which prints {@code HOLDING} and holds its task for the milliseconds of
 * the node JVM's {@code simpler.test.hold.ms}, or of the file {@code simpler.test.hold.file} names when it is set
 * (0 by default, at most a minute), before it negates-and-adds scalar 0
 * on its INOUT tensor, so that a test can kill the node, or cut its link, while a task is in flight.
 */
public final class TestNodeFunctions implements NodeFunctions
{
    /** Name of the holding function. */
    static final String HOLD = "hold";

    /** Printed when a held task starts. */
    static final String HOLDING = "HOLDING";

    private static final SubCallable HOLD_KERNEL = (args) ->
    {
        final long holdMs = Math.min(60_000L, holdMs());
        if (holdMs > 0)
        {
            System.out.println(HOLDING);
            System.out.flush();
            TimeUnit.MILLISECONDS.sleep(holdMs);
        }
        RemoteKernels.NEGATE_ADD_KERNEL.call(args);
    };

    /** The hold: from the file named by simpler.test.hold.file when set (absent: 0), else simpler.test.hold.ms. */
    private static long holdMs() throws IOException
    {
        final String file = System.getProperty("simpler.test.hold.file");
        if (file == null)
        {
            return Long.getLong("simpler.test.hold.ms", 0L);
        }
        final Path path = Path.of(file);
        return Files.exists(path) ? Long.parseLong(Files.readString(path).trim()) : 0L;
    }

    @Override
    public void register(final Worker l3, final SimplerNode.Builder node)
    {
        RemoteKernels.register(l3, node);
        final int hold = l3.register(HOLD_KERNEL);
        node.function(HOLD, (orch, args) -> orch.submitSub(hold, new TaskArgs().inout(args.tensor(0))
            .addScalar(args.scalar(0))));
    }
}
