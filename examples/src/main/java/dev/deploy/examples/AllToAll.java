package dev.deploy.examples;

import static dev.deploy.Deploy.*;

import dev.deploy.*;
import java.util.ArrayList;
import java.util.List;

/**
 * An all-to-all exchange, as MPI's {@code MPI_Alltoall}: n workers each send one value to every
 * other worker and sum what they receive. Each worker learns the others' pids from the first
 * process, then sends asynchronously (so no pair waits on another) and receives from each.
 *
 * <pre>java -cp cli/target/deploy.jar:examples/target/classes dev.deploy.examples.AllToAll</pre>
 */
public class AllToAll {
  static final Resources SMALL = new Resources(128L << 20, 0.05);
  static final int WORKERS = 4;

  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT);
    List<Pid> workers = new ArrayList<>();
    for (int rank = 0; rank < WORKERS; rank++) {
      workers.add(spawn(AllToAll::worker, rank, SMALL).orElseThrow());
    }
    for (Pid w : workers) {
      try (Sender<List<Pid>> s = new Sender<>(w)) {
        s.send(List.copyOf(workers));
      }
    }
    long total = 0;
    for (Pid w : workers) {
      try (Receiver<Long> r = new Receiver<>(w)) {
        total += r.recv();
      }
    }
    System.out.println("every worker's sum added up: " + total);
  }

  static void worker(Pid parent, Integer rank) throws Exception {
    List<Pid> all;
    try (Receiver<List<Pid>> r = new Receiver<>(parent)) {
      all = r.recv();
    }
    List<Sender<Long>> senders = new ArrayList<>();
    for (Pid other : all) {
      if (!other.equals(pid())) {
        Sender<Long> s = new Sender<>(other);
        s.sendAsync(100L * rank); // buffered: never waits for the others' receivers
        senders.add(s);
      }
    }
    long sum = 0;
    for (Pid other : all) {
      if (!other.equals(pid())) {
        try (Receiver<Long> r = new Receiver<>(other)) {
          sum += r.recv();
        }
      }
    }
    senders.forEach(Sender::close);
    System.out.println("rank " + rank + " received " + sum);
    try (Sender<Long> s = new Sender<>(parent)) {
      s.send(sum);
    }
  }
}
