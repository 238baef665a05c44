package com.example.quickstart;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts the letters of each word in a JVM of its own. {@code main} spawns one worker per word;
 * each worker sends a {@link WordCount} record back over a channel; {@code main} prints them in
 * order and their total.
 *
 * <p>Run it with {@code java -cp target/classes:$(cat target/runtime-classpath.txt)
 * com.example.quickstart.Main spawn send receive}.
 */
public final class Main {
  /** What a worker sends back: a record travels over a channel as it is. */
  public record WordCount(String word, int letters) {}

  /** Each worker is a JVM with a 256 MiB budget and a tenth of a core. */
  private static final Resources WORKER = new Resources(256L << 20, 0.1);

  private Main() {}

  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT); // first: in a spawned JVM, init runs its task and never returns
    List<String> words = args.length > 0 ? List.of(args) : List.of("spawn", "send", "receive");

    List<Pid> workers = new ArrayList<>();
    for (String word : words) {
      workers.add(
          spawn(Main::count, word, WORKER)
              .orElseThrow(() -> new IllegalStateException("no room for a worker")));
    }
    int total = 0;
    for (Pid worker : workers) {
      try (Receiver<WordCount> fromWorker = new Receiver<>(worker)) {
        WordCount count = fromWorker.recv();
        System.out.println(count.word() + ": " + count.letters() + " letters");
        total += count.letters();
      }
    }
    System.out.println("total: " + total + " letters");
  }

  /** The worker task: runs in a new JVM, with the pid of the process that spawned it. */
  static void count(Pid parent, String word) throws Exception {
    System.out.println("counting " + word);
    try (Sender<WordCount> toParent = new Sender<>(parent)) {
      toParent.send(new WordCount(word, word.length()));
    }
  }
}
