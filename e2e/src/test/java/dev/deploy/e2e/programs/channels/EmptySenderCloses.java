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
 * Channel lifetimes, case (d): the parent opens a Receiver and then tells the child, which closes a
 * Sender that sent nothing (opened before or after the word, at random); the Receiver sees EXITED.
 * Twenty rounds with random pauses.
 */
public final class EmptySenderCloses {
  static final Expect EXPECTED =
      Expect.process().exit(0).stdout("20 rounds, each EXITED\n").child(Expect.process().exit(0));

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.05));
    Pid child = spawn(EmptySenderCloses::child, 0, new Resources(128L << 20, 0.05)).orElseThrow();
    try (Sender<Integer> word = new Sender<>(child)) {
      for (int k = 0; k < Jitter.ROUNDS; k++) {
        try (Receiver<Integer> in = new Receiver<>(child)) {
          Jitter.pause();
          word.send(k);
          try {
            throw new IllegalStateException("round " + k + ": expected EXITED, got " + in.recv());
          } catch (ChannelException e) {
            if (e.reason() != ChannelException.Reason.EXITED) {
              throw e;
            }
          }
          Jitter.pause();
        }
      }
    }
    System.out.println(Jitter.ROUNDS + " rounds, each EXITED");
  }

  static void child(Pid parent, Integer unused) throws Exception {
    try (Receiver<Integer> word = new Receiver<>(parent)) {
      for (int k = 0; k < Jitter.ROUNDS; k++) {
        Sender<Integer> early = Jitter.coin() ? new Sender<>(parent) : null;
        Jitter.pause();
        Jitter.check("word", k, word.recv());
        Jitter.pause();
        Sender<Integer> out = early != null ? early : new Sender<>(parent);
        Jitter.pause();
        out.close();
      }
    }
  }
}
