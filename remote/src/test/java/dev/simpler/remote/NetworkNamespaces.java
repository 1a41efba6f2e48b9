package dev.simpler.remote;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;

/**
 * Network namespaces a test creates and removes (SPEC §15: hosts on one machine): named
 * {@code simpler-rt-<pid>-<role>}, removed at {@link #close()}, by a shutdown hook when the JVM exits first, and by
 * {@link #sweep()} in a later run when this JVM was killed. Only {@code ip} commands inside them, and veth pairs
 * between them, are used: no traffic leaves them.
 */
final class NetworkNamespaces implements AutoCloseable
{
    /** Every namespace of these tests starts with it. */
    static final String PREFIX = "simpler-rt-";

    private static final Pattern NAME = Pattern.compile(PREFIX + "(\\d+)-.*");
    private static final long COMMAND_TIMEOUT_S = 20;

    private final List<String> names = new ArrayList<>();
    private final Thread hook = new Thread(this::removeAll, "simpler-rt-netns-cleanup");

    private NetworkNamespaces()
    {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Create namespaces, or abort the test (not fail it) when this machine cannot make them (not root).
     *
     * @param roles one namespace per role, named after it.
     * @return the namespaces.
     */
    static NetworkNamespaces create(final String... roles)
    {
        sweep();
        final NetworkNamespaces namespaces = new NetworkNamespaces();
        for (final String role : roles)
        {
            final String name = PREFIX + ProcessHandle.current().pid() + "-" + role;
            final Result result = exec("ip", "netns", "add", name);
            if (result.status != 0)
            {
                namespaces.close();
                Assumptions.abort("network namespaces cannot be made here (`ip netns add " + name + "` said: "
                    + result.output.trim() + "); the loopback tests cover the same behaviour, run as root to test "
                    + "between namespaces");
            }
            namespaces.names.add(name);
            namespaces.run("ip", "-n", name, "link", "set", "lo", "up");
        }
        return namespaces;
    }

    /**
     * The namespace of a role.
     *
     * @param role the role.
     * @return its name.
     */
    String name(final String role)
    {
        return PREFIX + ProcessHandle.current().pid() + "-" + role;
    }

    /**
     * Link two namespaces with a veth pair, each end with an address of 198.18.0.0/15 in a /24.
     *
     * @param a        one role.
     * @param aDevice  its end's device name.
     * @param aAddress its end's address.
     * @param b        the other role.
     * @param bDevice  its end's device name.
     * @param bAddress its end's address.
     */
    void link(
        final String a, final String aDevice, final String aAddress,
        final String b, final String bDevice, final String bAddress)
    {
        run("ip", "-n", name(a), "link", "add", aDevice, "type", "veth", "peer", "name", bDevice, "netns", name(b));
        run("ip", "-n", name(a), "addr", "add", aAddress + "/24", "dev", aDevice);
        run("ip", "-n", name(b), "addr", "add", bAddress + "/24", "dev", bDevice);
        run("ip", "-n", name(a), "link", "set", aDevice, "up");
        run("ip", "-n", name(b), "link", "set", bDevice, "up");
    }

    /**
     * Set a device of a namespace up or down.
     *
     * @param role   the namespace's role.
     * @param device the device.
     * @param up     up or down.
     */
    void setLink(final String role, final String device, final boolean up)
    {
        run("ip", "-n", name(role), "link", "set", device, up ? "up" : "down");
    }

    /**
     * Run a command that must succeed.
     *
     * @param command the command.
     */
    void run(final String... command)
    {
        final Result result = exec(command);
        if (result.status != 0)
        {
            throw new IllegalStateException(String.join(" ", command) + " failed with status " + result.status
                + ": " + result.output);
        }
    }

    @Override
    public void close()
    {
        removeAll();
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException ex)
        {
            // The JVM is exiting: the hook runs anyway.
        }
    }

    /**
     * Remove the namespaces of runs whose JVM is gone.
     */
    static void sweep()
    {
        final Result list = exec("ip", "netns", "list");
        if (list.status != 0)
        {
            return;
        }
        for (final String line : list.output.split("\n"))
        {
            final String name = line.trim().split(" ")[0];
            final Matcher matcher = NAME.matcher(name);
            if (matcher.matches() && !ProcessHandle.of(Long.parseLong(matcher.group(1)))
                .map(ProcessHandle::isAlive).orElse(false))
            {
                exec("ip", "netns", "del", name);
            }
        }
    }

    private synchronized void removeAll()
    {
        for (final String name : names)
        {
            exec("ip", "netns", "del", name);
        }
        names.clear();
    }

    private static Result exec(final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(COMMAND_TIMEOUT_S, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                return new Result(-1, String.join(" ", command) + " did not finish in " + COMMAND_TIMEOUT_S + " s");
            }
            return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
        }
        catch (final IOException ex)
        {
            return new Result(-1, String.valueOf(ex));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    private record Result(int status, String output)
    {
    }
}
