package dev.deploy.e2e.programs.exits;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;

/**
 * {@code System.exit(137)} is an exit code, not a SIGKILL, though a shell would print the same
 * number: the event says {@code "code":137} and the bridge exits 137.
 */
public final class ExitsWith137 {
  static final Expect EXPECTED = Expect.process().exit(137).bridgeExit(137);

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    System.exit(137);
  }
}
