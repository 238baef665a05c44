package dev.deploy.e2e.programs.badinput;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;
import dev.deploy.e2e.tester.RunOptions;

/**
 * The JVM options ({@code -XX:MinHeapSize=512m}) pass to every process, and a child of 128 MiB gets
 * {@code -Xmx96m}: that JVM refuses to start. The parent's spawn throws SpawnException with the
 * JVM's own words, and the run does not hang.
 */
public final class ChildJvmCannotStart {
  static final RunOptions RUN = RunOptions.defaults().jvm("-XX:MinHeapSize=512m");

  static final Expect EXPECTED =
      Expect.process()
          .exit(1)
          .stderrMatches(
              "Exception in thread \"main\" dev\\.deploy\\.SpawnException:"
                  + " [^\n]*Incompatible minimum and maximum heap sizes specified[^\n]*\n.*");

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    spawn(ChildJvmCannotStart::run, "x", new Resources(128L << 20, 0.05));
  }

  static void run(Pid parent, String arg) {
    System.out.println("should never run");
  }
}
