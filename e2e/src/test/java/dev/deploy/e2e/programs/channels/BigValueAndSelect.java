package dev.deploy.e2e.programs.channels;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.pid;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Select;
import dev.deploy.Sender;
import dev.deploy.e2e.tester.Expect;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * Between real processes: a 32 MiB byte[] arrives intact (digest checked on both sides) while the
 * same child streams small values back; then a select over three workers takes every value each
 * sends and sees each channel end.
 */
public final class BigValueAndSelect {
  static final Resources SMALL = new Resources(256L << 20, 0.05);

  static final Expect EXPECTED =
      Expect.process()
          .exit(0)
          .stdout("big value intact: true\nselect took 30 values from 3 workers, 3 ended\n")
          .child(Expect.process().exit(0))
          .children(3, Expect.process().exit(0));

  public static void main(String[] args) throws Exception {
    init(new Resources(512L << 20, 0.05));
    Pid echo = spawn(BigValueAndSelect::digestAndCount, pid(), SMALL).orElseThrow();
    byte[] big = new byte[32 << 20];
    new Random(7).nextBytes(big);
    try (Sender<byte[]> out = new Sender<>(echo);
        Receiver<String> in = new Receiver<>(echo)) {
      out.send(big);
      String theirs = in.recv();
      System.out.println("big value intact: " + theirs.equals(digest(big)));
    }

    List<Receiver<Integer>> workers = new ArrayList<>();
    for (int w = 0; w < 3; w++) {
      workers.add(new Receiver<>(spawn(BigValueAndSelect::tenValues, w, SMALL).orElseThrow()));
    }
    int values = 0;
    int ended = 0;
    boolean[] done = new boolean[3];
    int[] counters = new int[2];
    while (ended < 3) {
      List<Select.Selectable> ops = new ArrayList<>();
      for (int w = 0; w < 3; w++) {
        if (!done[w]) {
          int index = w;
          ops.add(
              Select.recv(
                  workers.get(w),
                  v -> counters[0]++,
                  e -> {
                    done[index] = true;
                    counters[1]++;
                  }));
        }
      }
      if (Select.select(Duration.ofSeconds(30), ops.toArray(new Select.Selectable[0])) < 0) {
        throw new IllegalStateException("select waited 30 s for nothing");
      }
      values = counters[0];
      ended = counters[1];
    }
    workers.forEach(Receiver::close);
    System.out.println("select took " + values + " values from 3 workers, " + ended + " ended");
  }

  static String digest(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  static void digestAndCount(Pid parent, Pid ignored) throws Exception {
    try (Receiver<byte[]> in = new Receiver<>(parent);
        Sender<String> out = new Sender<>(parent)) {
      out.send(digest(in.recv()));
    }
  }

  static void tenValues(Pid parent, Integer worker) throws ChannelException {
    try (Sender<Integer> out = new Sender<>(parent)) {
      for (int i = 0; i < 10; i++) {
        out.send(worker * 100 + i);
      }
    }
  }
}
