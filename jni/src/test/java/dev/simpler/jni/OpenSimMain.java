package dev.simpler.jni;

/**
 * Child JVM of {@link OpenWithoutJvmFlagsTest}: opens the sim chip as the first engine call and prints
 * {@link #OK}, or {@link #FAILED} and the exception's class and message on one line.
 */
final class OpenSimMain
{
    static final String OK = "OPEN-OK";
    static final String FAILED = "OPEN-FAILED ";

    private OpenSimMain()
    {
    }

    public static void main(final String[] args)
    {
        try (ChipWorker chip = ChipWorker.openSim())
        {
            chip.setDevice(0);
            System.out.println(OK);
        }
        catch (final RuntimeException | Error ex)
        {
            System.out.println(FAILED + ex.getClass().getName() + ": " + ex.getMessage());
        }
    }
}
