package dev.simpler.remote.launcher;

import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;

import dev.simpler.engine.CallConfig;
import dev.simpler.engine.DataType;
import dev.simpler.engine.Orchestrator;
import dev.simpler.engine.SubCallable;
import dev.simpler.engine.TaskArgs;
import dev.simpler.engine.TaskArgsView;
import dev.simpler.engine.Tensor;
import dev.simpler.engine.TensorArgType;
import dev.simpler.engine.Worker;
import dev.simpler.remote.SimplerNode;

/**
 * The functions every launched node offers (SPEC §15), on FLOAT32 tensors; with sim chips they run on the chips,
 * otherwise split across the sub workers.
 *
 * <ul>
 *   <li>{@code echo}: runs nothing; INOUT and NO_DEP bytes come back as they went, for round trips.</li>
 *   <li>{@code vector-add}: tensor 2 = tensor 0 + tensor 1 (INPUT, INPUT, OUTPUT_EXISTING or OUTPUT).</li>
 *   <li>{@code scale}: tensor 1 = tensor 0 × scalar 0 as a float (INPUT, OUTPUT_EXISTING or OUTPUT).</li>
 * </ul>
 */
final class BuiltinFunctions
{
    /** Name of the function that runs nothing. */
    static final String ECHO = "echo";
    /** Name of the element-wise addition. */
    static final String VECTOR_ADD = "vector-add";
    /** Name of the scaling. */
    static final String SCALE = "scale";

    /** c[i] = a[i] + b[i]. */
    private static final SubCallable ADD = (args) ->
    {
        final UnsafeBuffer a = args.tensor(0).buffer();
        final UnsafeBuffer b = args.tensor(1).buffer();
        final UnsafeBuffer c = args.tensor(2).buffer();
        for (int i = 0; i < c.capacity(); i += Float.BYTES)
        {
            c.putFloat(i, a.getFloat(i) + b.getFloat(i));
        }
    };

    /** out[i] = x[i] * s. */
    private static final SubCallable MULTIPLY = (args) ->
    {
        final UnsafeBuffer x = args.tensor(0).buffer();
        final UnsafeBuffer out = args.tensor(1).buffer();
        final float s = args.scalarFloat(0);
        for (int i = 0; i < out.capacity(); i += Float.BYTES)
        {
            out.putFloat(i, x.getFloat(i) * s);
        }
    };

    private BuiltinFunctions()
    {
    }

    /**
     * Register the built-in functions.
     *
     * @param l3         the node's Worker.
     * @param node       the node being built.
     * @param subWorkers the Worker's sub workers (the functions split their work in as many parts).
     * @param chips      whether the Worker has sim chips, which then run the functions.
     */
    static void register(final Worker l3, final SimplerNode.Builder node, final int subWorkers, final boolean chips)
    {
        node.function(ECHO, (orch, args) ->
        {
        });
        if (chips)
        {
            final long add = ChipSupport.kernel("add_f32");
            final long scale = ChipSupport.kernel("scale_f32");
            node.function(VECTOR_ADD, (orch, args) -> orch.submitNextLevel(add, new TaskArgs()
                .input(float32(args, 0)).input(float32(args, 1)).outputExisting(float32(args, 2)), CallConfig.DEFAULT));
            node.function(SCALE, (orch, args) -> orch.submitNextLevel(scale, new TaskArgs()
                .input(float32(args, 0)).outputExisting(float32(args, 1)).addScalar(args.scalar(0)),
                CallConfig.DEFAULT));
            return;
        }
        final int parts = Math.max(1, subWorkers);
        final int add = l3.register(ADD);
        final int multiply = l3.register(MULTIPLY);
        node.function(VECTOR_ADD, (orch, args) -> split(orch, add, parts, args, 3));
        node.function(SCALE, (orch, args) -> split(orch, multiply, parts, args, 2));
    }

    /** Split element-wise work over the tensors' elements into parts, one sub task each. */
    private static void split(
        final Orchestrator orch, final int callable, final int parts, final TaskArgsView args, final int tensors)
    {
        final long elements = float32(args, tensors - 1).elementCount();
        final List<Tensor> views = new ArrayList<>();
        for (int t = 0; t < tensors; t++)
        {
            views.add(flat(float32(args, t), elements));
        }
        final long per = (elements + parts - 1) / parts;
        for (long start = 0; start < elements; start += per)
        {
            final int end = (int)Math.min(elements, start + per);
            final TaskArgs sub = new TaskArgs();
            for (int t = 0; t < tensors; t++)
            {
                sub.add(views.get(t).slice((int)start, end), t == tensors - 1 ? TensorArgType.OUTPUT_EXISTING
                    : TensorArgType.INPUT);
            }
            for (int s = 0; s < args.scalarCount(); s++)
            {
                sub.addScalar(args.scalar(s));
            }
            orch.submitSub(callable, sub);
        }
    }

    private static Tensor float32(final TaskArgsView args, final int i)
    {
        final Tensor tensor = args.tensor(i);
        if (tensor.dtype() != DataType.FLOAT32 || tensor.address() == 0)
        {
            throw new IllegalArgumentException("tensor " + i + " must be a FLOAT32 tensor with bytes: " + tensor);
        }
        return tensor;
    }

    private static Tensor flat(final Tensor tensor, final long elements)
    {
        if (tensor.elementCount() != elements)
        {
            throw new IllegalArgumentException("the tensors must have " + elements + " elements each: " + tensor);
        }
        return tensor.view(0, DataType.FLOAT32, (int)elements);
    }
}
