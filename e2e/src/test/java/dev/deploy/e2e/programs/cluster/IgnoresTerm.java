package dev.deploy.e2e.programs.cluster;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import java.util.concurrent.locks.LockSupport;
import sun.misc.Signal;

/**
 * The first process takes the master's whole processor and spawns a child, which can only run on a
 * worker; both ignore SIGTERM (each prints {@code ignored SIGTERM} when it gets one) and print
 * {@code os pid <n>}, then park until killed.
 */
public final class IgnoresTerm {
  public static void main(String[] args) {
    init(new Resources(128L << 20, 1));
    spawn(IgnoresTerm::stay, "child", new Resources(128L << 20, 0.5)).orElseThrow();
    stay(null, "main");
  }

  static void stay(Pid parent, String name) {
    Signal.handle(
        new Signal("TERM"),
        s -> {
          System.out.println(name + " ignored SIGTERM");
          System.out.flush();
        });
    System.out.println("os pid " + ProcessHandle.current().pid());
    System.out.flush();
    while (true) {
      LockSupport.park();
    }
  }
}
