package dev.deploy.e2e.programs.cluster;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.pid;
import static dev.deploy.Deploy.spawnAsync;

import dev.deploy.Pid;
import dev.deploy.Resources;

/**
 * A parent that takes the master's whole processor, {@code spawnAsync}s a child that can only run
 * on a worker (the first of the program there, so the worker fetches the jars first) and exits at
 * once without waiting for it (it halts). The child says where it runs and exits 3: the deployment
 * waits for it and ends with 3.
 *
 * <p>Prints {@code parent leaves}; the child {@code child on <host>}.
 */
public final class FireAndForget {
  /** All of the master's processor in {@code ClusterIT}'s layout for this program. */
  public static final Resources PARENT = new Resources(128L << 20, 1);

  public static void main(String[] args) {
    init(PARENT);
    spawnAsync(FireAndForget::child, "child", new Resources(128L << 20, 0.5));
    System.out.println("parent leaves");
    System.out.flush();
    // At once: no shutdown hooks, so its exit reaches the bridge long before the worker, which
    // fetches the program's jars first, has started the child.
    Runtime.getRuntime().halt(0);
  }

  static void child(Pid parent, String name) {
    System.out.println(name + " on " + Where.host(pid()));
    System.out.flush();
    System.exit(3);
  }
}
