package dev.deploy.e2e.netns;

import dev.deploy.e2e.tester.ClosingParameter;

/**
 * Gives each test a fresh {@link Machines} as a parameter and closes it after the test, whether it
 * passed or failed: every process killed by pid, every namespace and route it made deleted.
 */
public final class MachinesCleanup extends ClosingParameter<Machines> {
  public MachinesCleanup() {
    super(Machines.class, Machines::new);
  }
}
