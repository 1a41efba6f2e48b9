package dev.simpler.remote.launcher;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

import dev.simpler.engine.IWorker;
import dev.simpler.engine.WorkerFactory;

/**
 * Sim chips for a launched node ({@code --chips N}): the bundled sim runtime of {@code simpler-jni}, found on the
 * class path (the launcher's jar holds it) rather than compiled against, so that {@code simpler-remote} itself does
 * not depend on the chip level.
 */
final class ChipSupport
{
    private static final String CHIP_WORKER = "dev.simpler.jni.ChipWorker";

    private ChipSupport()
    {
    }

    /**
     * Whether the chip level is on the class path.
     *
     * @throws IllegalStateException when it is not, saying what to add.
     */
    static void check()
    {
        chipClass();
    }

    /**
     * The handle of a kernel of the sim runtime (the same in every process that loads it).
     *
     * @param name the kernel's name.
     * @return its handle.
     */
    static long kernel(final String name)
    {
        try (AutoCloseable chip = (AutoCloseable)openSim())
        {
            return (Long)chipClass().getMethod("kernel", String.class).invoke(chip, name);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("the sim runtime has no kernel " + name + ": " + cause(ex), ex);
        }
    }

    /**
     * A factory of one sim chip, built where it runs (a PROCESS-mode child opens its own).
     *
     * @param device the chip's device id, 0..15.
     * @return the factory.
     */
    static WorkerFactory chip(final int device)
    {
        return () -> openChip(device);
    }

    private static IWorker openChip(final int device) throws Exception
    {
        final Object chip = openSim();
        chipClass().getMethod("setDevice", int.class).invoke(chip, device);
        return (IWorker)chip;
    }

    private static Object openSim() throws ReflectiveOperationException
    {
        final Method openSim = chipClass().getMethod("openSim");
        try
        {
            return openSim.invoke(null);
        }
        catch (final InvocationTargetException ex)
        {
            throw new IllegalStateException("the sim chip runtime did not open: " + cause(ex), ex);
        }
    }

    private static Class<?> chipClass()
    {
        try
        {
            return Class.forName(CHIP_WORKER);
        }
        catch (final ClassNotFoundException ex)
        {
            throw new IllegalStateException("--chips needs simpler-jni on the class path (the launcher jar "
                + "remote/target/simpler-node.jar has it)", ex);
        }
    }

    private static String cause(final Throwable ex)
    {
        Throwable cause = ex;
        while (cause instanceof InvocationTargetException && cause.getCause() != null)
        {
            cause = cause.getCause();
        }
        return String.valueOf(cause);
    }
}
