package dev.deploy.e2e.programs.channels;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import dev.deploy.e2e.tester.Expect;

/**
 * Channel lifetimes, case (c): asked for round {@code k}, the child opens a Sender of strings,
 * sends two, closes it, opens a Sender of longs, sends one and closes it; the parent opens its
 * Receiver a random moment later (often after both Senders are closed). The first Receiver gets the
 * two strings and then EXITED, a second one the long and then EXITED; twenty rounds.
 */
public final class SenderReopensFirst {
  static final Expect EXPECTED =
      Expect.process()
          .exit(0)
          .stdout("20 rounds of two strings, EXITED, a long, EXITED\n")
          .child(Expect.process().exit(0));

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.05));
    Pid child = spawn(SenderReopensFirst::child, 0, new Resources(128L << 20, 0.05)).orElseThrow();
    try (Sender<Integer> go = new Sender<>(child)) {
      for (int k = 0; k < Jitter.ROUNDS; k++) {
        go.send(k);
        Jitter.pause();
        try (Receiver<String> first = new Receiver<>(child)) {
          Jitter.check("first", k + "a", first.recv());
          Jitter.check("second", k + "b", first.recv());
          expectExited(first);
        }
        Jitter.pause();
        try (Receiver<Long> next = new Receiver<>(child)) {
          Jitter.check("long", (long) k, next.recv());
          expectExited(next);
        }
      }
    }
    System.out.println(Jitter.ROUNDS + " rounds of two strings, EXITED, a long, EXITED");
  }

  static void expectExited(Receiver<?> in) throws Exception {
    try {
      throw new IllegalStateException("expected EXITED, got " + in.recv());
    } catch (ChannelException e) {
      if (e.reason() != ChannelException.Reason.EXITED) {
        throw e;
      }
    }
  }

  static void child(Pid parent, Integer unused) throws Exception {
    try (Receiver<Integer> go = new Receiver<>(parent)) {
      for (int k = 0; k < Jitter.ROUNDS; k++) {
        Jitter.check("go", k, go.recv());
        try (Sender<String> strings = new Sender<>(parent)) {
          strings.send(k + "a");
          Jitter.pause();
          strings.send(k + "b");
        }
        Jitter.pause();
        try (Sender<Long> longs = new Sender<>(parent)) {
          longs.send((long) k);
          Jitter.pause();
        }
      }
    }
  }
}
