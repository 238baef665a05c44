package dev.deploy.e2e.programs.cluster;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.pid;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import java.util.Map;
import java.util.TreeMap;

/**
 * On three machines of 1 GiB, one child of 768 MiB per machine, each of which sends its host to the
 * parent and waits for a release. The parent prints {@code children on [<hosts>]}, then waits for
 * more from the child on the host named by the variable {@code E2E_VICTIM}, which only the death of
 * that machine's fabric ends: prints {@code the child on <host>: <reason>}, releases the others and
 * exits 0. Each child prints {@code on <host>, os pid <n>}.
 */
public final class LoseOneMachine {
  public static void main(String[] args) throws Exception {
    init(new Resources(128L << 20, 0.05));
    String victim = System.getenv("E2E_VICTIM");
    Map<String, Pid> children = new TreeMap<>();
    Map<String, Receiver<String>> fromChildren = new TreeMap<>();
    for (int i = 0; i < Spread.MACHINES; i++) {
      int index = i;
      Pid child =
          spawn(LoseOneMachine::hold, index, Spread.BIG)
              .orElseThrow(() -> new IllegalStateException("no room for child " + index));
      Receiver<String> from = new Receiver<>(child);
      String host = from.recv();
      children.put(host, child);
      fromChildren.put(host, from);
    }
    System.out.println("children on " + children.keySet());
    try {
      fromChildren.get(victim).recv();
      System.out.println("the child on " + victim + " said more");
    } catch (ChannelException e) {
      System.out.println("the child on " + victim + ": " + e.reason());
    }
    for (Map.Entry<String, Pid> e : children.entrySet()) {
      if (!e.getKey().equals(victim)) {
        try (Sender<String> s = new Sender<>(e.getValue())) {
          s.send("release");
        }
      }
    }
  }

  /** Sends its host, says where it runs, and waits for the release; the sender stays open. */
  static void hold(Pid parent, Integer index) throws Exception {
    String host = Where.host(pid());
    try (Sender<String> toParent = new Sender<>(parent);
        Receiver<String> release = new Receiver<>(parent)) {
      System.out.println("on " + host + ", os pid " + ProcessHandle.current().pid());
      toParent.send(host);
      release.recv();
    }
  }
}
