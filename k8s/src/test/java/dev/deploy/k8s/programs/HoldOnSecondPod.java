package dev.deploy.k8s.programs;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawnAsync;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;

/**
 * For fabric pods of 2 GiB: the main process (256 MiB) and a child of 1900 MiB, which needs a
 * second pod. The child prints {@link Here#line} and waits for a message that never comes; the main
 * process waits for one from the child, which only the child's end answers: prints {@code the
 * child: <reason>} and exits 0.
 */
public final class HoldOnSecondPod {
  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.25));
    System.out.println(Here.line("main"));
    Pid child = spawnAsync(HoldOnSecondPod::hold, 0, new Resources(1900L << 20, 0.5)).get();
    try (Receiver<String> from = new Receiver<>(child)) {
      System.out.println("the child said " + from.recv());
    } catch (ChannelException e) {
      System.out.println("the child: " + e.reason());
    }
  }

  static void hold(Pid parent, Integer unused) throws Exception {
    try (Sender<String> to = new Sender<>(parent);
        Receiver<String> never = new Receiver<>(parent)) {
      System.out.println(Here.line("child"));
      never.recv();
    }
  }
}
