package dev.deploy.k8s.programs;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawnAsync;

import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import java.util.ArrayList;
import java.util.List;

/**
 * For fabric pods of 2 GiB and 1.5 cpu: the main process (256 MiB) and two children of 1536 MiB,
 * spawned one after the other while the first still runs: the first fits beside the main process,
 * the second needs a second pod. Each prints {@link Here#line}; each child says it is ready and
 * waits for a release; the main process prints what each said, releases them and exits 3.
 */
public final class TwoPods {
  /** A child's size: two do not fit in one 2 GiB pod. */
  static final Resources CHILD = new Resources(1536L << 20, 0.5);

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.25));
    System.out.println(Here.line("main"));
    List<Pid> children = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Pid child = spawnAsync(TwoPods::child, i, CHILD).get();
      children.add(child);
      Receiver<String> from = new Receiver<>(child);
      System.out.println("child " + i + " said " + from.recv());
    }
    for (Pid child : children) {
      try (Sender<String> release = new Sender<>(child)) {
        release.send("release");
      }
    }
    System.exit(3);
  }

  static void child(Pid parent, Integer index) throws Exception {
    try (Sender<String> to = new Sender<>(parent);
        Receiver<String> release = new Receiver<>(parent)) {
      System.out.println(Here.line("child " + index));
      to.send("ready");
      release.recv();
    }
  }
}
