package dev.simpler.remote;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.agrona.CloseHelper;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.Worker;

/**
 * An L4 in a JVM of its own that the namespace tests drive line by line on its standard input: one lane to each
 * node given, then for each command a line of result.
 *
 * <ul>
 *   <li>{@code pipeline N}: the pipeline of {@link Pipelines} over N elements; {@code PIPELINE-OK} or
 *       {@code PIPELINE-FAILED <why>}.</li>
 *   <li>{@code hold K}: a group of {@code hold} tasks, one per lane, each on its own part of a tensor with scalar K;
 *       {@code HOLD-OK <parts done>} or {@code HOLD-FAILED <parts done> <message>}.</li>
 *   <li>{@code quit}.</li>
 * </ul>
 *
 * <p>Arguments: the secret file, then the nodes' addresses. It prints {@code READY} once connected, and halts when
 * the test JVM dies.
 */
final class TestL4Scenario
{
    private static final int PART = 1000;

    private TestL4Scenario()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        ChildJvm.watchParent();
        final byte[] secret = SecretFile.read(Path.of(args[0]));
        final List<RemoteWorker> lanes = new ArrayList<>();
        Worker l4 = null;
        try
        {
            final Worker.Builder builder = Worker.builder().level(4).heapRingSize(1 << 20);
            for (int i = 1; i < args.length; i++)
            {
                lanes.add(RemoteWorker.connect(args[i], secret, Duration.ofSeconds(20)));
                builder.nextLevel(lanes.get(i - 1));
            }
            l4 = builder.build();
            l4.init();
            say("READY");
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String command;
            while ((command = in.readLine()) != null && !command.equals("quit"))
            {
                final String[] words = command.split(" ");
                if (words[0].equals("pipeline"))
                {
                    try
                    {
                        final String wrong = Pipelines.run(l4, Integer.parseInt(words[1]), lanes.size());
                        say(wrong == null ? "PIPELINE-OK" : "PIPELINE-FAILED " + wrong);
                    }
                    catch (final RuntimeException ex)
                    {
                        say("PIPELINE-FAILED " + ex.getMessage());
                    }
                }
                else if (words[0].equals("hold"))
                {
                    hold(l4, lanes.size(), Integer.parseInt(words[1]));
                }
            }
        }
        finally
        {
            CloseHelper.quietClose(l4);
            lanes.forEach(CloseHelper::quietClose);
        }
        System.exit(0);
    }

    private static void hold(final Worker l4, final int parts, final int k)
    {
        final Tensor t = RemoteKernels.ints(l4, parts * PART);
        RemoteKernels.fill(t, 0);
        final long hold = RemoteWorker.functionHandle(TestNodeFunctions.HOLD);
        final List<TaskArgs> members = new ArrayList<>();
        for (int p = 0; p < parts; p++)
        {
            members.add(new TaskArgs().inout(t.slice(p * PART, (p + 1) * PART)).addScalar(k));
        }
        try
        {
            l4.run((orch, ignored) -> orch.submitNextLevelGroup(hold, members, CallConfig.DEFAULT), null);
            say("HOLD-OK " + partsDone(t, parts, k));
        }
        catch (final RuntimeException ex)
        {
            say("HOLD-FAILED " + partsDone(t, parts, k) + " " + ex.getMessage());
        }
    }

    private static int partsDone(final Tensor t, final int parts, final int k)
    {
        int done = 0;
        for (int p = 0; p < parts; p++)
        {
            boolean all = true;
            for (int i = p * PART; i < (p + 1) * PART; i++)
            {
                all &= t.buffer().getInt(i * 4) == -(i * 7) + k;
            }
            done += all ? 1 : 0;
        }
        return done;
    }

    private static void say(final String line)
    {
        System.out.println(line);
        System.out.flush();
    }
}
