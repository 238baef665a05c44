package dev.deploy.e2e.programs.resources;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawnAsync;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;
import dev.deploy.e2e.tester.ObservedProcess;
import dev.deploy.e2e.tester.RunOptions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Twenty processes of 128 MiB at once on a 2-core machine: spawnAsync twenty times, join them all;
 * each child prints and stays a second, so they overlap.
 */
public final class TwentyAtOnce {
  static final int COUNT = 20;

  /** Fewer than this many children alive at the same time would mean spawns were serialised. */
  static final int OVERLAP = 10;

  static final RunOptions RUN = RunOptions.defaults().env("DEPLOY_CAPACITY", "4GiB 2");

  static final Expect EXPECTED =
      Expect.process()
          .stdout(COUNT + " started\n")
          .children(COUNT, Expect.process().stdoutMatches("worker \\d+\n"))
          .satisfies("its children are workers 0 to 19", TwentyAtOnce::allWorkers)
          .satisfies(
              "at least " + OVERLAP + " children were alive at once",
              p -> p.maxChildrenAliveAtOnce() >= OVERLAP);

  static boolean allWorkers(ObservedProcess p) {
    Set<String> seen = new HashSet<>();
    p.children().forEach(c -> seen.add(c.stdoutText()));
    for (int i = 0; i < COUNT; i++) {
      if (!seen.contains("worker " + i + "\n")) {
        return false;
      }
    }
    return true;
  }

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.05));
    List<CompletableFuture<Pid>> started = new ArrayList<>();
    for (int i = 0; i < COUNT; i++) {
      started.add(spawnAsync(TwentyAtOnce::work, i, new Resources(128L << 20, 0.05)));
    }
    CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    System.out.println(COUNT + " started");
  }

  static void work(Pid parent, Integer index) throws InterruptedException {
    System.out.println("worker " + index);
    Thread.sleep(1000);
  }
}
