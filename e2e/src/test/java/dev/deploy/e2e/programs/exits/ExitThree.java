package dev.deploy.e2e.programs.exits;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;

/** {@code System.exit(3)}: the process exits 3, and so does the bridge. */
public final class ExitThree {
  static final Expect EXPECTED = Expect.process().stdout("exiting with 3\n").exit(3).bridgeExit(3);

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    System.out.println("exiting with 3");
    System.exit(3);
  }
}
