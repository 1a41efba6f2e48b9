package dev.simpler.remote;

import java.nio.file.Path;
import java.time.Duration;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;

/**
 * An L4 in a JVM of its own, for the tests that kill it or cut its link: connects one lane to a node, prints
 * {@code CONNECTED}, runs one task of a function on an INOUT tensor of the given elements (scalar 7), prints
 * {@code DONE} and exits 0, or prints {@code FAILED <message>} and exits 1. It halts when the test JVM dies.
 *
 * <p>Arguments: node address, secret file, function name, elements.
 */
final class TestL4Main
{
    private TestL4Main()
    {
    }

    public static void main(final String[] args)
    {
        ChildJvm.watchParent();
        try (RemoteWorker lane = RemoteWorker.connect(args[0], SecretFile.read(Path.of(args[1])),
            Duration.ofSeconds(30));
            Worker l4 = Worker.builder().level(4).nextLevel(lane).heapRingSize(1 << 20).build())
        {
            System.out.println("CONNECTED");
            System.out.flush();
            l4.init();
            final Tensor t = RemoteKernels.ints(l4, Integer.parseInt(args[3]));
            RemoteKernels.fill(t, 0);
            final long function = RemoteWorker.functionHandle(args[2]);
            l4.run((orch, ignored) -> orch.submitNextLevel(function, new TaskArgs().inout(t).addScalar(7),
                CallConfig.DEFAULT), null);
            for (int i = 0; i < t.elementCount(); i++)
            {
                if (t.buffer().getInt(i * 4) != -(i * 7) + 7)
                {
                    throw new IllegalStateException("element " + i + " is " + t.buffer().getInt(i * 4));
                }
            }
            System.out.println("DONE");
        }
        catch (final Throwable ex)
        {
            System.out.println("FAILED " + ex);
            System.out.flush();
            System.exit(1);
        }
        System.out.flush();
        System.exit(0);
    }
}
