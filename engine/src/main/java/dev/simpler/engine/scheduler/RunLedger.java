package dev.simpler.engine.scheduler;

import dev.simpler.engine.trace.Tracer;

/**
 * Keeps the ledger's per-task counts off the lines of whatever the collector placed before it.
 */
abstract class RunLedgerLeadPadding
{
    @SuppressWarnings("unused")
    private int o00;
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long o01, o02, o03, o04, o05, o06, o07, o08, o09, o10, o11, o12, o13, o14, o15, o16;
}

/**
 * What the driving thread counts on every claim and every completion it takes.
 */
abstract class RunLedgerCounts extends RunLedgerLeadPadding
{
    /** Tasks claimed for the current run and not yet added to its unseen count: one field per claim. */
    int claimsPending;
    /** Completions seen in a row for one run and not yet subtracted: one field per completion taken. */
    int seenRun;
    int seenPending;
}

/**
 * The runs in flight of one Worker (SPEC §13): for each, how many of its tasks the driving thread has not yet seen
 * complete, whether its orchestration function is still submitting, and its failures. A run finishes when its
 * function returned and every task it submitted completed; its {@link RunListener} hears of it then, on the driving
 * thread. Runs are numbered from 1 and kept in a ring indexed by number: the oldest run in flight and the newest are
 * never further apart than the ring allows, so a run that finishes early keeps its place until the older ones
 * finished too ({@link #hasRoom()}).
 *
 * <p>Single writer: the thread that plays the scheduler's driving role. {@link #inFlight()} may be read by any
 * thread.
 */
public final class RunLedger extends RunLedgerCounts
{
    // Laid out right after the counts (long fields come first among a class's own).
    @SuppressWarnings({"unused", "checkstyle:MultipleVariableDeclarations"})
    private long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16;

    private final int limit;
    private final int mask;
    private final int[] unseen;
    private final boolean[] submitting;
    private final boolean[] finished;
    private final RunReport[] reports;
    private final RunListener[] listeners;
    private final Tracer trace;
    private int oldest = 1;
    private int next = 1;
    private int current;
    private SchedulerCounters counters;
    private volatile int inFlight;

    /**
     * A ledger for at most {@code limit} runs in flight.
     *
     * @param limit the Worker's {@code maxRunsInFlight}, at least 1.
     */
    public RunLedger(final int limit)
    {
        this(limit, Tracer.untraced());
    }

    /**
     * A ledger for at most {@code limit} runs in flight, whose runs are traced.
     *
     * @param limit the Worker's {@code maxRunsInFlight}, at least 1.
     * @param trace told when a run begins and finishes.
     */
    public RunLedger(final int limit, final Tracer trace)
    {
        this.trace = trace;
        if (limit < 1)
        {
            throw new IllegalArgumentException("maxRunsInFlight must be at least 1: " + limit);
        }
        this.limit = limit;
        final int capacity = Integer.highestOneBit(limit - 1 | 1) << 1;
        this.mask = capacity - 1;
        this.unseen = new int[capacity];
        this.submitting = new boolean[capacity];
        this.finished = new boolean[capacity];
        this.reports = new RunReport[capacity];
        this.listeners = new RunListener[capacity];
        for (int i = 0; i < capacity; i++)
        {
            reports[i] = new RunReport();
            finished[i] = true;
        }
    }

    /**
     * Where runs begun and finished are counted (SPEC §14); set once by the scheduler that owns the ledger.
     *
     * @param schedulerCounters the scheduler's counters.
     */
    void counters(final SchedulerCounters schedulerCounters)
    {
        counters = schedulerCounters;
    }

    /**
     * The most runs in flight at once.
     *
     * @return the limit.
     */
    public int limit()
    {
        return limit;
    }

    /**
     * Runs begun and not finished; readable from any thread.
     *
     * @return the count.
     */
    public int inFlight()
    {
        return inFlight;
    }

    /**
     * Whether a run can begin: fewer than {@code limit} runs lie between the oldest one in flight and the next.
     *
     * @return false while the oldest run in flight must finish first.
     */
    public boolean hasRoom()
    {
        return next - oldest < limit;
    }

    /**
     * The oldest run in flight, which {@link #hasRoom()} waits for.
     *
     * @return its number; the next run's number when none is in flight.
     */
    public int oldest()
    {
        return oldest;
    }

    /**
     * Begin a run: from now on claimed tasks belong to it, until {@link #endSubmit}.
     *
     * @param listener told when the run finished, or null when its caller waits for it itself.
     * @return the run's number.
     * @throws IllegalStateException when there is no room ({@link #hasRoom()}).
     */
    public int begin(final RunListener listener)
    {
        if (!hasRoom())
        {
            throw new IllegalStateException("no room for another run: run " + oldest + " is still in flight and "
                + limit + " runs may be in flight");
        }
        flushClaims();
        final int run = next++;
        final int at = run & mask;
        unseen[at] = 0;
        submitting[at] = true;
        finished[at] = false;
        reports[at].reset();
        listeners[at] = listener;
        current = run;
        inFlight = inFlight + 1;
        if (counters != null)
        {
            counters.runStarted();
        }
        if (trace.on())
        {
            trace.runBegan(run);
        }
        return run;
    }

    /**
     * The run that claimed tasks belong to: the last one begun.
     *
     * @return its number.
     */
    public int current()
    {
        return current;
    }

    /**
     * The run's orchestration function returned: it finishes as soon as its tasks completed, maybe now.
     *
     * @param run the run.
     */
    public void endSubmit(final int run)
    {
        flushClaims();
        final int at = run & mask;
        submitting[at] = false;
        if (unseen[at] == 0)
        {
            finish(run);
        }
    }

    /**
     * Whether the run finished.
     *
     * @param run the run's number.
     * @return true once every task of the run completed and its function returned (or it was abandoned).
     */
    public boolean isFinished(final int run)
    {
        return run < oldest || finished[run & mask];
    }

    /**
     * What went wrong in a run; valid until another run takes its place in the ring.
     *
     * @param run the run's number.
     * @return its report.
     */
    public RunReport report(final int run)
    {
        return reports[run & mask];
    }

    /**
     * Give up on every run in flight: the engine broke or closed under them. Each listener hears of the error.
     *
     * @param error why the runs did not finish.
     */
    public void abandonAll(final Throwable error)
    {
        for (int run = oldest; run < next; run++)
        {
            final int at = run & mask;
            if (!finished[at])
            {
                if (trace.on())
                {
                    trace.runFinished(run, reports[at], true);
                }
                finished[at] = true;
                final RunListener listener = listeners[at];
                listeners[at] = null;
                inFlight = inFlight - 1;
                if (counters != null)
                {
                    counters.runFinished();
                }
                if (listener != null)
                {
                    listener.runAbandoned(run, error);
                }
            }
        }
        oldest = next;
        claimsPending = 0;
        seenPending = 0;
    }

    /**
     * A task was claimed for the current run. Counted in a field and added to the run's count before any
     * completion is subtracted from it ({@link #flushSeen()}) and when another run begins or the run's function
     * returns, so that a run's count never reaches 0 while tasks it claimed are still uncounted.
     */
    void claimed()
    {
        claimsPending++;
    }

    /**
     * The driving thread saw a task of {@code run} complete. Completions of one run in a row are counted in a field
     * and subtracted together by {@link #flushSeen()}, which the scheduler calls before it returns.
     *
     * @param run the task's run.
     */
    void seen(final int run)
    {
        if (run != seenRun)
        {
            flushSeen();
            seenRun = run;
        }
        seenPending++;
    }

    /**
     * Subtract the completions {@link #seen} counted; the run they belong to finishes now if nothing else is left
     * of it.
     */
    void flushSeen()
    {
        final int count = seenPending;
        if (count != 0)
        {
            flushClaims();
            seenPending = 0;
            final int run = seenRun;
            final int at = run & mask;
            if ((unseen[at] -= count) == 0 && !submitting[at] && !finished[at])
            {
                finish(run);
            }
        }
    }

    private void flushClaims()
    {
        if (claimsPending != 0)
        {
            unseen[current & mask] += claimsPending;
            claimsPending = 0;
        }
    }

    void failed(final int run, final int slot, final StoredArgs failedMember)
    {
        reports[run & mask].failed(slot, failedMember);
    }

    void skipped(final int run)
    {
        reports[run & mask].skipped();
    }

    private void finish(final int run)
    {
        final int at = run & mask;
        if (trace.on())
        {
            // Before the run counts as finished: a thread that sees it finished sees its trace event too.
            trace.runFinished(run, reports[at], false);
        }
        finished[at] = true;
        inFlight = inFlight - 1;
        if (counters != null)
        {
            counters.runFinished();
        }
        while (oldest < next && finished[oldest & mask])
        {
            oldest++;
        }
        final RunListener listener = listeners[at];
        listeners[at] = null;
        if (listener != null)
        {
            listener.runFinished(run, reports[at]);
        }
    }
}
