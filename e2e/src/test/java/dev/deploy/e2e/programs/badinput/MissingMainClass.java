package dev.deploy.e2e.programs.badinput;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;
import dev.deploy.e2e.tester.RunOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs from a throw-away copy of the classes and deletes its own class file before spawning: the
 * new JVM cannot find the main class, and the spawn throws SpawnException with the JVM's "Could not
 * find or load main class".
 */
public final class MissingMainClass {
  static final RunOptions RUN = RunOptions.defaults().disposableClasses();

  static final Expect EXPECTED =
      Expect.process()
          .exit(1)
          .stdout("deleted my class file\n")
          .stderrMatches(
              "Exception in thread \"main\" dev\\.deploy\\.SpawnException:"
                  + " [^\n]*Could not find or load main class[^\n]*\n.*");

  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT);
    String disposable = System.getenv(RunOptions.DISPOSABLE_CLASSES);
    Path classes =
        Path.of(MissingMainClass.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (disposable == null || !Files.isSameFile(classes, Path.of(disposable))) {
      System.err.println(
          "refusing to delete a class file from " + classes + ": not a throw-away copy");
      System.exit(2);
    }
    Files.delete(classes.resolve(MissingMainClass.class.getName().replace('.', '/') + ".class"));
    System.out.println("deleted my class file");
    spawn(MissingMainClass::run, "x", new Resources(128L << 20, 0.05));
  }

  static void run(Pid parent, String arg) {
    System.out.println("should never run");
  }
}
