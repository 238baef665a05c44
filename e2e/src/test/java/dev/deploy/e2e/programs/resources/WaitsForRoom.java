package dev.deploy.e2e.programs.resources;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawnAsync;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.tester.RunOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A spawn that waits for room well over a second: on a machine of 1280 MiB (or a master of 1 GiB
 * and a worker of 1 GiB) whose first process takes 256 MiB, two spawnAsync of 896 MiB; the first
 * child stays 2.5 s, so the second waits that long and then starts where the first ran. {@code
 * WaitNoticeIT} checks that the bridge said so.
 */
public final class WaitsForRoom {
  /** What each child asks for. */
  public static final Resources CHILD = new Resources(896L << 20, 0.05);

  /** {@link #CHILD} as the bridge writes it. */
  public static final String CHILD_TEXT = "896 MiB, 0.05 cpu";

  /** A local run's machine. */
  public static final RunOptions RUN = RunOptions.defaults().env("DEPLOY_CAPACITY", "1280MiB 1");

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.05));
    CompletableFuture<Pid> first = spawnAsync(WaitsForRoom::stay, 2500L, CHILD);
    CompletableFuture<Pid> second = spawnAsync(WaitsForRoom::stay, 0L, CHILD);
    first.get(60, TimeUnit.SECONDS);
    second.get(60, TimeUnit.SECONDS);
    System.out.println("both started");
  }

  static void stay(Pid parent, Long millis) throws InterruptedException {
    System.out.println("staying " + millis + " ms");
    Thread.sleep(millis);
  }
}
