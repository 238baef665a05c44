package dev.deploy.e2e.programs.exits;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;

/** The simplest program: one process prints a line and returns; the bridge exits 0. */
public final class Success {
  static final Expect EXPECTED = Expect.process().exit(0).stdout("hello from the first process\n");

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    System.out.println("hello from the first process");
  }
}
