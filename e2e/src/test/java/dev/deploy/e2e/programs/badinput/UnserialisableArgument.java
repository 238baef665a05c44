package dev.deploy.e2e.programs.badinput;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;

/** A spawn argument that cannot be serialised (a Thread) throws SpawnException naming its class. */
public final class UnserialisableArgument {
  static final Expect EXPECTED =
      Expect.process()
          .exit(1)
          .stderrMatches(
              "Exception in thread \"main\" dev\\.deploy\\.SpawnException:"
                  + " [^\n]*java\\.lang\\.Thread[^\n]*\n.*");

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    spawn(UnserialisableArgument::run, new Thread(), new Resources(128L << 20, 0.05));
  }

  static void run(Pid parent, Thread thread) {
    System.out.println("should never run");
  }
}
