package dev.deploy.e2e.programs.trees;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.pid;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;
import dev.deploy.e2e.tester.ObservedProcess;

/**
 * A tree three levels below the first process, two children per node (14 spawned processes):
 * children spawn children. Each node prints its path ({@code root}, {@code 0}, {@code 01}, ...),
 * its own pid and the parent pid its task was given; the expectation pins each path under its
 * parent's path, and checks the printed pids against the tree the events describe.
 */
public final class SpawnTree {
  static final int DEPTH = 3;
  static final int FAN_OUT = 2;
  static final Resources SMALL = new Resources(128L << 20, 0.05);

  static final Expect EXPECTED = node("");

  /** The expectation for the node at {@code path} and everything under it. */
  static Expect node(String path) {
    String label = path.isEmpty() ? "root" : path;
    String parent = path.isEmpty() ? "null" : "[0-9a-f]{7}";
    Expect expect =
        Expect.process()
            .stdoutMatches("node " + label + " pid=[0-9a-f]{7} parent=" + parent + "\n")
            .satisfies("prints its own pid and its parent's", SpawnTree::printsItsPids);
    if (path.length() < DEPTH) {
      for (int i = 0; i < FAN_OUT; i++) {
        expect = expect.child(node(path + i));
      }
    }
    return expect;
  }

  static boolean printsItsPids(ObservedProcess p) {
    return p.stdoutText().endsWith(" pid=" + p.pid() + " parent=" + p.parentPid() + "\n");
  }

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    visit(null, "");
  }

  static void visit(Pid parent, String path) {
    System.out.println(
        "node " + (path.isEmpty() ? "root" : path) + " pid=" + pid() + " parent=" + parent);
    if (path.length() < DEPTH) {
      for (int i = 0; i < FAN_OUT; i++) {
        spawn(SpawnTree::visit, path + i, SMALL).orElseThrow();
      }
    }
  }
}
