package dev.simpler.engine.scheduler;

/**
 * Told when a run in flight finished (SPEC §13), on the thread that plays the driving role at that moment: the
 * submitting thread, a thread joining a run, or the Worker's run finisher. It must not block.
 */
public interface RunListener
{
    /**
     * Every task of the run completed and its orchestration function returned.
     *
     * @param run    the run's number.
     * @param report its failures; read it now, the ledger reuses it for a later run.
     */
    void runFinished(int run, RunReport report);

    /**
     * The run will not finish: the engine broke or closed while it was in flight.
     *
     * @param run   the run's number.
     * @param error what happened.
     */
    void runAbandoned(int run, Throwable error);
}
