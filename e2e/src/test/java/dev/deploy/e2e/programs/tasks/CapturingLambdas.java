package dev.deploy.e2e.programs.tasks;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;

/**
 * Lambdas as tasks, capturing an int, a String, a record, and all three: the captured values travel
 * with the lambda, next to the spawn's argument.
 */
public final class CapturingLambdas {
  record Point(int x, int y) {}

  static final Resources SMALL = new Resources(128L << 20, 0.05);

  static final Expect EXPECTED =
      Expect.process()
          .stdout("spawned 4\n")
          .child(Expect.process().stdout("int 42 arg-a\n"))
          .child(Expect.process().stdout("string captured text arg-b\n"))
          .child(Expect.process().stdout("record Point[x=3, y=4] arg-c\n"))
          .child(Expect.process().stdout("all 42 captured text Point[x=3, y=4] arg-d\n"));

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    // Not compile-time constants, so the lambdas really capture them.
    int number = 40 + args.length + 2;
    String word = String.join(" ", "captured", "text");
    Point point = new Point(3, number - 38);
    spawn((parent, arg) -> System.out.println("int " + number + " " + arg), "arg-a", SMALL)
        .orElseThrow();
    spawn((parent, arg) -> System.out.println("string " + word + " " + arg), "arg-b", SMALL)
        .orElseThrow();
    spawn((parent, arg) -> System.out.println("record " + point + " " + arg), "arg-c", SMALL)
        .orElseThrow();
    spawn(
            (parent, arg) ->
                System.out.println("all " + number + " " + word + " " + point + " " + arg),
            "arg-d",
            SMALL)
        .orElseThrow();
    System.out.println("spawned 4");
  }
}
