package dev.deploy.e2e.programs.cluster;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.pid;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;

/**
 * On two machines of 1 GiB (the master and a worker bound to a wildcard address), a first process
 * of 128 MiB and two children of 768 MiB, one per machine. The parent gives each child the other's
 * pid; the children send each other a number and then tell the parent what they got. Every process
 * prints the host of every pid it knows, so a test sees that none is a wildcard.
 *
 * <p>Prints {@code main at <host>, children at <host> and <host>}; each child {@code child <i> at
 * <host>, os pid <n>, the other at <host>, got <number>}.
 */
public final class AdvertisedPids {
  public static void main(String[] args) throws Exception {
    init(new Resources(128L << 20, 0.05));
    Pid a = spawn(AdvertisedPids::exchange, 0, Spread.BIG).orElseThrow();
    Pid b = spawn(AdvertisedPids::exchange, 1, Spread.BIG).orElseThrow();
    try (Sender<Pid> toA = new Sender<>(a);
        Sender<Pid> toB = new Sender<>(b);
        Receiver<String> fromA = new Receiver<>(a);
        Receiver<String> fromB = new Receiver<>(b)) {
      toA.send(b);
      toB.send(a);
      fromA.recv();
      fromB.recv();
    }
    System.out.println(
        "main at "
            + Where.host(pid())
            + ", children at "
            + Where.host(a)
            + " and "
            + Where.host(b));
  }

  /** Gets the other child's pid, exchanges a number with it, and tells the parent. */
  static void exchange(Pid parent, Integer index) throws Exception {
    Pid other;
    try (Receiver<Pid> fromParent = new Receiver<>(parent)) {
      other = fromParent.recv();
    }
    int got;
    try (Sender<Integer> toOther = new Sender<>(other);
        Receiver<Integer> fromOther = new Receiver<>(other)) {
      toOther.send(100 + index);
      got = fromOther.recv();
    }
    System.out.println(
        "child "
            + index
            + " at "
            + Where.host(pid())
            + ", os pid "
            + ProcessHandle.current().pid()
            + ", the other at "
            + Where.host(other)
            + ", got "
            + got);
    try (Sender<String> toParent = new Sender<>(parent)) {
      toParent.send("done");
    }
  }
}
