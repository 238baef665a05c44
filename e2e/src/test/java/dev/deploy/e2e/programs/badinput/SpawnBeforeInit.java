package dev.deploy.e2e.programs.badinput;

import static dev.deploy.Deploy.pid;
import static dev.deploy.Deploy.resources;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;

/**
 * A plain {@code main} that calls {@code spawn}, {@code pid()} or {@code resources()} (the first
 * argument says which) without {@code init}: each throws IllegalStateException("You must call
 * init() first in your application's main()"). No {@code EXPECTED}: there is no process tree, so
 * {@code BadInputIT} runs it as a plain JVM.
 */
public final class SpawnBeforeInit {
  public static void main(String[] args) {
    switch (args[0]) {
      case "spawn" -> spawn(SpawnBeforeInit::run, "x", Resources.DEFAULT);
      case "pid" -> System.out.println(pid());
      case "resources" -> System.out.println(resources());
      default -> throw new IllegalArgumentException("spawn, pid or resources, not " + args[0]);
    }
  }

  static void run(Pid parent, String arg) {
    System.out.println("should never run");
  }
}
