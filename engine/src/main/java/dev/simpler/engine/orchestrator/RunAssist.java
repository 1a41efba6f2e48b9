package dev.simpler.engine.orchestrator;

/**
 * Work the orchestrating thread can do for the engine while it is inside {@code Worker.run}, instead of leaving
 * it to another thread: in PROCESS mode it drives the children's mailboxes itself whenever it would otherwise
 * wait, so a round trip needs no hand-off to a driver thread and no third spinning thread on a 2-core machine.
 */
public interface RunAssist
{
    /** Nothing to assist with (THREAD mode). */
    RunAssist NONE = new RunAssist()
    {
        @Override
        public void beginRun()
        {
        }

        @Override
        public int assist()
        {
            return 0;
        }

        @Override
        public boolean needsAssist()
        {
            return false;
        }

        @Override
        public void endRun()
        {
        }
    };

    /**
     * The calling thread starts a run and will assist until {@link #endRun()}.
     */
    void beginRun();

    /**
     * Do one round of the engine's work on the calling thread, if no other thread is doing it right now.
     *
     * @return how much work was done; 0 when there was none or another thread holds it.
     */
    int assist();

    /**
     * Whether work is in flight that only progresses while someone assists, so that a waiting orchestrating
     * thread should park only briefly.
     *
     * @return true while tasks are in flight.
     */
    boolean needsAssist();

    /**
     * The run ended; the engine's own threads take over again.
     */
    void endRun();
}
