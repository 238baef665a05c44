package dev.deploy.e2e.programs.slurm;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import java.util.Map;
import java.util.TreeMap;

/**
 * On two nodes as {@link OnEachNode}: prints {@code main on <node> pid <pid> fabric <pid>}, then a
 * child on each node prints {@code child on <node> pid <pid> fabric <pid>} and waits for a release
 * that never comes. The parent prints {@code holding}, then waits for more from the child on the
 * node that is not its own: only that child's death ends the wait, and then it prints {@code the
 * child on <node>: <reason>}, releases the other and exits 0. Without such a death it runs until
 * the job is cancelled or times out.
 */
public final class HoldOnEachNode {
  public static void main(String[] args) throws Exception {
    init(new Resources(128L << 20, 0.05));
    String own = System.getenv("SLURMD_NODENAME");
    System.out.println("main on " + own + " " + pids());
    Map<String, Pid> children = new TreeMap<>();
    Map<String, Receiver<String>> from = new TreeMap<>();
    for (int i = 0; i < 2; i++) {
      int index = i;
      Pid child =
          spawn(HoldOnEachNode::hold, index, OnEachNode.HALF)
              .orElseThrow(() -> new IllegalStateException("no room for child " + index));
      Receiver<String> r = new Receiver<>(child);
      String node = r.recv();
      children.put(node, child);
      from.put(node, r);
    }
    System.out.println("holding");
    String other = children.keySet().stream().filter(n -> !n.equals(own)).findFirst().orElseThrow();
    try {
      from.get(other).recv();
      System.out.println("the child on " + other + " said more");
    } catch (ChannelException e) {
      System.out.println("the child on " + other + ": " + e.reason());
    }
    try (Sender<String> s = new Sender<>(children.get(own))) {
      s.send("release");
    }
  }

  static String pids() {
    return "pid "
        + ProcessHandle.current().pid()
        + " fabric "
        + ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
  }

  static void hold(Pid parent, Integer index) throws Exception {
    String node = System.getenv("SLURMD_NODENAME");
    System.out.println("child on " + node + " " + pids());
    try (Sender<String> to = new Sender<>(parent);
        Receiver<String> release = new Receiver<>(parent)) {
      to.send(node);
      release.recv();
    }
  }
}
