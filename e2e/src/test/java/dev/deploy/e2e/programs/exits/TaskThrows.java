package dev.deploy.e2e.programs.exits;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;

/**
 * A spawned task throws: its stack trace, with the exception's message, goes to its stderr and it
 * exits 1; the parent is unaffected; the bridge exits 1 (the first failure).
 */
public final class TaskThrows {
  static final Resources SMALL = new Resources(128L << 20, 0.05);

  static final Expect EXPECTED =
      Expect.process()
          .stdout("spawned the failing task\n")
          .exit(0)
          .child(
              Expect.process()
                  .stdout("about to fail\n")
                  .stderrMatches(
                      "java\\.lang\\.IllegalStateException: task failed on purpose\n"
                          + "\tat dev\\.deploy\\.e2e\\.programs\\.exits\\.TaskThrows\\.fail\\(.*")
                  .exit(1))
          .bridgeExit(1);

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    spawn(TaskThrows::fail, "on purpose", SMALL).orElseThrow();
    System.out.println("spawned the failing task");
  }

  static void fail(Pid parent, String why) {
    System.out.println("about to fail");
    throw new IllegalStateException("task failed " + why);
  }
}
