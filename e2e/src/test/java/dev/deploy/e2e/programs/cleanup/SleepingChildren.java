package dev.deploy.e2e.programs.cleanup;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;

/**
 * The first process spawns three children that sleep a minute, then sleeps too: {@code CleanupIT}
 * kills the bridge and checks that none of them outlives it. No {@code EXPECTED}: its outcome is
 * whatever the test does to it.
 */
public final class SleepingChildren {
  public static final int CHILDREN = 3;

  public static void main(String[] args) throws InterruptedException {
    init(new Resources(256L << 20, 0.05));
    for (int i = 0; i < CHILDREN; i++) {
      spawn(SleepingChildren::sleep, i, new Resources(128L << 20, 0.05)).orElseThrow();
    }
    System.out.println(CHILDREN + " children sleeping");
    Thread.sleep(60_000);
  }

  static void sleep(Pid parent, Integer index) throws InterruptedException {
    System.out.println("child " + index + " sleeping");
    Thread.sleep(60_000);
  }
}
