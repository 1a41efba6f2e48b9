package dev.simpler.engine;

/**
 * A child JVM for {@link JvmFlagsTest}: makes one first engine call, named by its argument, and prints what came
 * of it: {@link #OK} and the result, or {@link #FAILED} and the exception's class and message on one line.
 */
final class FirstCallMain
{
    static final String OK = "FIRST-CALL-OK ";
    static final String FAILED = "FIRST-CALL-FAILED ";
    /** {@link Worker#builder()}, then a run of two sub tasks on two sub workers. */
    static final String BUILDER = "builder";
    /** {@link Tensor#buffer()} of a tensor at an address the engine never allocated (never dereferenced). */
    static final String TENSOR_BUFFER = "tensor-buffer";

    private FirstCallMain()
    {
    }

    public static void main(final String[] args)
    {
        try
        {
            System.out.println(OK + (BUILDER.equals(args[0]) ? runTwoTasks() : tensorBuffer()));
        }
        catch (final RuntimeException | Error ex)
        {
            System.out.println(FAILED + ex.getClass().getName() + ": " + ex.getMessage());
        }
    }

    private static String runTwoTasks()
    {
        try (Worker worker = Worker.builder().subWorkers(2).build())
        {
            final int fill = worker.register(args -> args.tensor(0).buffer().putInt(0, (int)args.scalar(0)));
            final Tensor a = worker.sharedTensor(DataType.INT32, 1);
            final Tensor b = worker.sharedTensor(DataType.INT32, 1);
            worker.init();
            worker.run((orch, unused) ->
            {
                orch.submitSub(fill, new TaskArgs().outputExisting(a).addScalar(1));
                orch.submitSub(fill, new TaskArgs().outputExisting(b).addScalar(2));
            }, null);
            return a.buffer().getInt(0) + "," + b.buffer().getInt(0);
        }
    }

    private static String tensorBuffer()
    {
        return String.valueOf(Tensor.of(4096, DataType.INT32, 1).buffer().capacity());
    }
}
