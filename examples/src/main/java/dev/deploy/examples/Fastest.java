package dev.deploy.examples;

import static dev.deploy.Deploy.*;

import dev.deploy.*;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code select} over several workers: each worker searches for a number with a property and
 * reports what it finds; the first process takes results from whichever worker is ready, in a fair
 * random order, and gives up on a worker when its channel ends.
 *
 * <pre>java -cp cli/target/deploy.jar:examples/target/classes dev.deploy.examples.Fastest</pre>
 */
public class Fastest {
  static final Resources SMALL = new Resources(128L << 20, 0.05);

  record Search(int worker, long from, long to) {}

  record Found(int worker, long number) {}

  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT);
    List<Receiver<Found>> receivers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      Pid pid =
          spawn(Fastest::search, new Search(w, w * 250_000L, (w + 1) * 250_000L), SMALL)
              .orElseThrow();
      receivers.add(new Receiver<>(pid));
    }
    int open = receivers.size();
    int found = 0;
    boolean[] ended = new boolean[receivers.size()];
    while (open > 0) {
      List<Select.Selectable> ops = new ArrayList<>();
      List<Integer> which = new ArrayList<>();
      for (int i = 0; i < receivers.size(); i++) {
        if (!ended[i]) {
          int index = i;
          ops.add(
              Select.recv(
                  receivers.get(i),
                  f -> System.out.println("worker " + f.worker() + " found " + f.number()),
                  e -> ended[index] = true));
          which.add(i);
        }
      }
      int chosen = Select.select(Duration.ofSeconds(30), ops.toArray(new Select.Selectable[0]));
      if (chosen < 0) {
        throw new IllegalStateException("no worker answered for 30 s");
      }
      if (ended[which.get(chosen)]) {
        open--;
      } else {
        found++;
      }
    }
    receivers.forEach(Receiver::close);
    System.out.println(found + " perfect squares that are also palindromes");
  }

  static void search(Pid parent, Search search) throws Exception {
    try (Sender<Found> out = new Sender<>(parent)) {
      for (long n = search.from(); n < search.to(); n++) {
        long square = n * n;
        String s = Long.toString(square);
        if (new StringBuilder(s).reverse().toString().equals(s)) {
          out.send(new Found(search.worker(), square));
        }
      }
    }
  }
}
