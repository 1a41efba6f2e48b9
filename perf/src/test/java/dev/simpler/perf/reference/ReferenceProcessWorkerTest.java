package dev.simpler.perf.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReferenceProcessWorkerTest
{
    @Test
    void workerRunsTasksInARealChildAndCleansUp()
    {
        final ProcessHandle child;
        final Path mailbox;
        try (ReferenceProcessWorker worker = new ReferenceProcessWorker())
        {
            child = worker.childProcess();
            mailbox = worker.mailboxPath();
            assertTrue(child.isAlive());
            assertEquals(child.pid(), worker.childPid());
            assertNotEquals(ProcessHandle.current().pid(), child.pid());
            assertTrue(Files.exists(mailbox));
            for (int i = 1; i <= 50; i++)
            {
                worker.execute(ReferenceProcessWorker.NOOP_CALLABLE);
                assertEquals(i, worker.childTasksCompleted());
            }
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> worker.execute(42));
            assertTrue(ex.getMessage().contains("unknown callable"), ex.getMessage());
            worker.execute(ReferenceProcessWorker.NOOP_CALLABLE);
        }
        assertFalse(child.isAlive());
        assertFalse(Files.exists(mailbox));
    }

    @Test
    void processEngineRunsAChainThroughItsChildren()
    {
        final int n = 200;
        final List<Integer> order = new ArrayList<>();
        final List<ProcessHandle> children = new ArrayList<>();
        final List<Path> mailboxes = new ArrayList<>();
        try (ReferenceEngine engine = new ReferenceEngine(ReferenceMode.PROCESS, 2))
        {
            for (int i = 0; i < 2; i++)
            {
                children.add(engine.processWorker(i).childProcess());
                mailboxes.add(engine.processWorker(i).mailboxPath());
            }
            int previous = -1;
            for (int i = 0; i < n; i++)
            {
                final int index = i;
                final Runnable task = () ->
                {
                    synchronized (order)
                    {
                        order.add(index);
                    }
                };
                previous = previous < 0 ? engine.submit(task, ReferenceEngine.NO_PRODUCERS) :
                    engine.submit(task, previous);
            }
            engine.drain();
            assertEquals(n, engine.processWorker(0).childTasksCompleted() +
                engine.processWorker(1).childTasksCompleted());
        }
        synchronized (order)
        {
            assertEquals(n, order.size());
            for (int i = 0; i < n; i++)
            {
                assertEquals(i, order.get(i));
            }
        }
        for (final ProcessHandle child : children)
        {
            assertFalse(child.isAlive());
        }
        for (final Path mailbox : mailboxes)
        {
            assertFalse(Files.exists(mailbox));
        }
    }
}
