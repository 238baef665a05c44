package dev.deploy.e2e.programs.output;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;

/**
 * A parent and a child each print a line to stdout and one to stderr. The suite checks the JSON
 * events; {@code HumanFormatIT} runs it in the human format.
 */
public final class ParentAndChildPrint {
  static final Expect EXPECTED =
      Expect.process()
          .stdout("parent says hi\n")
          .stderr("parent warns\n")
          .child(Expect.process().stdout("child says hi\n").stderr("child warns\n"));

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    System.out.println("parent says hi");
    spawn(ParentAndChildPrint::child, "hi", new Resources(128L << 20, 0.05)).orElseThrow();
    System.err.println("parent warns");
  }

  static void child(Pid parent, String word) {
    System.out.println("child says " + word);
    System.err.println("child warns");
  }
}
