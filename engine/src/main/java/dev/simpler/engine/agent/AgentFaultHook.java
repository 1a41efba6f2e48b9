package dev.simpler.engine.agent;

/**
 * A test hook: called at the start of every duty cycle of every agent of a Worker built with it, so that a test can
 * make an agent fail the way an engine bug would. Workers built without it run their agents undecorated.
 */
@FunctionalInterface
public interface AgentFaultHook
{
    /**
     * Called before an agent's duty cycle.
     *
     * @param role the agent's role name, e.g. "sub worker 0".
     * @throws Exception to make the duty cycle fail.
     */
    void beforeDutyCycle(String role) throws Exception;
}
