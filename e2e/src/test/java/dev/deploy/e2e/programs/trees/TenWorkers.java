package dev.deploy.e2e.programs.trees;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;
import dev.deploy.e2e.tester.ObservedProcess;
import java.util.HashSet;
import java.util.Set;

/**
 * docs/api.md's example without its channels: ten workers, each given a record, greet; the first
 * process sums what it gave them. Children come in any order: each must greet as a worker, and
 * together as workers 0 to 9.
 */
public final class TenWorkers {
  record WorkerArg(int index, String greeting) {}

  static final Expect EXPECTED =
      Expect.process()
          .exit(0)
          .stdout("total 4500!\n")
          .children(10, Expect.process().stdoutMatches("hello worker \\d+!\n").exit(0))
          .satisfies("its children are workers 0 to 9", TenWorkers::greetAll);

  static boolean greetAll(ObservedProcess p) {
    Set<String> greetings = new HashSet<>();
    p.children().forEach(c -> greetings.add(c.stdoutText()));
    for (int i = 0; i < 10; i++) {
      if (!greetings.contains("hello worker " + i + "!\n")) {
        return false;
      }
    }
    return true;
  }

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    long total = 0;
    for (int index = 0; index < 10; index++) {
      spawn(
              TenWorkers::worker,
              new WorkerArg(index, "hello worker " + index + "!"),
              new Resources(128L << 20, 0.05))
          .orElseThrow(() -> new IllegalStateException("Out of resources!"));
      total += index * 100;
    }
    System.out.println("total " + total + "!");
  }

  static void worker(Pid parent, WorkerArg arg) {
    System.out.println(arg.greeting());
  }
}
