package dev.simpler.engine.trace;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Recording;

/**
 * Tells the engines whether their JFR events are enabled, so that a task asks one field instead of JFR, and no event
 * object is made while they are disabled. It listens to the Flight Recorder: whenever a recording starts or stops
 * (and when the recorder comes up), it asks JFR whether {@link TaskEvent} and {@link RunEvent} are enabled and
 * passes the answer to every live {@link Tracer}. A setting changed on a recording that is already running is seen
 * at the next start or stop of a recording.
 *
 * <p>Thread-safe: the answer is recomputed under the class's lock and handed to the tracers' volatile fields.
 */
final class JfrSwitch implements FlightRecorderListener
{
    private static final Set<Tracer> TRACERS = ConcurrentHashMap.newKeySet();
    private static final boolean AVAILABLE = listen();
    private static boolean tasks;
    private static boolean runs;

    private JfrSwitch()
    {
    }

    /**
     * Tell a tracer from now on whether the events are enabled.
     *
     * @param tracer an engine's tracer, from its start until {@link #forget}.
     */
    static synchronized void register(final Tracer tracer)
    {
        if (AVAILABLE)
        {
            TRACERS.add(tracer);
            tracer.jfr(tasks, runs);
        }
    }

    /**
     * Stop telling a tracer; its engine closed.
     *
     * @param tracer the tracer.
     */
    static void forget(final Tracer tracer)
    {
        TRACERS.remove(tracer);
    }

    @Override
    public void recorderInitialized(final FlightRecorder recorder)
    {
        refresh();
    }

    @Override
    public void recordingStateChanged(final Recording recording)
    {
        refresh();
    }

    private static synchronized void refresh()
    {
        tasks = EventType.getEventType(TaskEvent.class).isEnabled();
        runs = EventType.getEventType(RunEvent.class).isEnabled();
        for (final Tracer tracer : TRACERS)
        {
            tracer.jfr(tasks, runs);
        }
    }

    private static boolean listen()
    {
        try
        {
            FlightRecorder.addListener(new JfrSwitch());
            return true;
        }
        catch (final LinkageError | SecurityException ex)
        {
            // A runtime without the Flight Recorder: the events stay disabled.
            return false;
        }
    }
}
