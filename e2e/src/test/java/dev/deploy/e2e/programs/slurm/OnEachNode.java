package dev.deploy.e2e.programs.slurm;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * On two nodes of a job with {@code --mem=1G} (768 MiB each for processes): a first process of 128
 * MiB and two children of 512 MiB, which fit only one per node. Each child prints {@code child on
 * <node>, cluster key <absent|present>} and sends its node to the parent, which prints {@code nodes
 * [<node>, <node>]}.
 */
public final class OnEachNode {
  static final Resources HALF = new Resources(512L << 20, 0.05);

  public static void main(String[] args) throws Exception {
    init(new Resources(128L << 20, 0.05));
    List<Pid> children = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      int index = i;
      children.add(
          spawn(OnEachNode::report, index, HALF)
              .orElseThrow(() -> new IllegalStateException("no room for child " + index)));
    }
    TreeSet<String> nodes = new TreeSet<>();
    for (Pid child : children) {
      try (Receiver<String> from = new Receiver<>(child)) {
        nodes.add(from.recv());
      }
    }
    System.out.println("nodes " + nodes);
  }

  static void report(Pid parent, Integer index) throws Exception {
    String node = System.getenv("SLURMD_NODENAME");
    String key = System.getenv("DEPLOY_CLUSTER_KEY") == null ? "absent" : "present";
    System.out.println("child on " + node + ", cluster key " + key);
    try (Sender<String> to = new Sender<>(parent)) {
      to.send(node);
    }
  }
}
