package dev.deploy.examples;

import static dev.deploy.Deploy.*;

import dev.deploy.*;

/**
 * A tree of processes: the first process spawns two children, each of which spawns two more. Every
 * process prints its depth and its parent; the bridge shows who spawned whom.
 *
 * <pre>java -cp cli/target/deploy.jar:examples/target/classes dev.deploy.examples.SpawnTree</pre>
 */
public class SpawnTree {
  static final Resources SMALL = new Resources(128L << 20, 0.05);

  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT);
    grow(null, 0);
  }

  static void grow(Pid parent, int depth) {
    System.out.println("depth " + depth + ", pid " + pid() + ", parent " + parent);
    if (depth < 2) {
      for (int i = 0; i < 2; i++) {
        spawn(SpawnTree::grow, depth + 1, SMALL)
            .orElseThrow(() -> new IllegalStateException("Out of resources!"));
      }
    }
  }
}
