package dev.deploy.e2e.programs.resources;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawnAsync;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;
import dev.deploy.e2e.tester.ObservedProcess;
import dev.deploy.e2e.tester.RunOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * On a 1 GiB machine whose first process takes 256 MiB, two spawnAsync of 512 MiB: the second waits
 * in the queue and starts only after the first child exited.
 */
public final class SpawnAsyncQueues {
  static final Resources HALF_GIB = new Resources(512L << 20, 0.05);

  static final RunOptions RUN = RunOptions.defaults().env("DEPLOY_CAPACITY", "1GiB 1");

  static final Expect EXPECTED =
      Expect.process()
          .stdout("both started\n")
          .child(Expect.process().stdout("first\n"))
          .child(Expect.process().stdout("second\n"))
          .satisfies(
              "its second child was spawned after the first one exited",
              SpawnAsyncQueues::secondAfterFirst);

  static boolean secondAfterFirst(ObservedProcess p) {
    ObservedProcess first = p.childWithStdout("first\n");
    ObservedProcess second = p.childWithStdout("second\n");
    return first != null
        && second != null
        && first.exitIndex() >= 0
        && second.spawnIndex() > first.exitIndex();
  }

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.05));
    CompletableFuture<Pid> first = spawnAsync(SpawnAsyncQueues::stay, "first", HALF_GIB);
    CompletableFuture<Pid> second = spawnAsync(SpawnAsyncQueues::stay, "second", HALF_GIB);
    first.get(30, TimeUnit.SECONDS);
    second.get(30, TimeUnit.SECONDS);
    System.out.println("both started");
  }

  static void stay(Pid parent, String name) throws InterruptedException {
    System.out.println(name);
    Thread.sleep(1000);
  }
}
