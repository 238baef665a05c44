package dev.deploy.e2e.programs.tasks;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;

/**
 * A task that is a reference to a static method, with a record argument: the child runs the method
 * with the argument and its parent's pid.
 */
public final class StaticMethodReference {
  record Greeting(String word, int times) {}

  static final Expect EXPECTED =
      Expect.process()
          .stdout("spawned\n")
          .child(
              Expect.process()
                  .stdoutMatches("hi hi hi\nparent [0-9a-f]{7}\n")
                  .satisfies(
                      "was given its parent's pid",
                      p -> p.stdoutText().endsWith("parent " + p.parentPid() + "\n")));

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    spawn(StaticMethodReference::greet, new Greeting("hi", 3), new Resources(128L << 20, 0.05))
        .orElseThrow();
    System.out.println("spawned");
  }

  static void greet(Pid parent, Greeting greeting) {
    System.out.println((greeting.word() + " ").repeat(greeting.times()).strip());
    System.out.println("parent " + parent);
  }
}
