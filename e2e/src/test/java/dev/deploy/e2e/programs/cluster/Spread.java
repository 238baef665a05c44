package dev.deploy.e2e.programs.cluster;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.pid;
import static dev.deploy.Deploy.spawn;
import static dev.deploy.Deploy.spawnAsync;

import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * On three machines of 1 GiB: a first process of 128 MiB, then three children of 768 MiB, which fit
 * only one per machine; a fourth {@code spawn} answers empty (the cluster is full); a {@code
 * spawnAsync} waits until the first child is released and exits, then starts. Each child prints
 * where it runs and waits for its release.
 *
 * <p>Prints {@code fourth spawn: empty} and {@code queued spawn waiting: true}; each child {@code
 * <name> on <host>}.
 */
public final class Spread {
  /** The machines, and so the children that fit at once. */
  public static final int MACHINES = 3;

  /** More than half of a 1 GiB machine. */
  public static final Resources BIG = new Resources(768L << 20, 0.05);

  public static void main(String[] args) throws Exception {
    init(new Resources(128L << 20, 0.05));
    List<Pid> children = new ArrayList<>();
    for (int i = 0; i < MACHINES; i++) {
      String name = "child " + i;
      children.add(
          spawn(Spread::hold, name, BIG)
              .orElseThrow(() -> new IllegalStateException("no room for " + name)));
    }
    Optional<Pid> fourth = spawn(Spread::hold, "fourth", BIG);
    System.out.println("fourth spawn: " + (fourth.isPresent() ? "started" : "empty"));
    CompletableFuture<Pid> queued = spawnAsync(Spread::hold, "queued", BIG);
    System.out.println("queued spawn waiting: " + !queued.isDone());
    release(children.get(0));
    Pid last = queued.get(60, TimeUnit.SECONDS);
    for (Pid p : children.subList(1, MACHINES)) {
      release(p);
    }
    release(last);
  }

  /** Says where it runs, then waits for the parent's release. */
  static void hold(Pid parent, String name) throws Exception {
    System.out.println(name + " on " + Where.host(pid()));
    try (Receiver<String> release = new Receiver<>(parent)) {
      release.recv();
    }
  }

  static void release(Pid child) throws Exception {
    try (Sender<String> s = new Sender<>(child)) {
      s.send("release");
    }
  }
}
