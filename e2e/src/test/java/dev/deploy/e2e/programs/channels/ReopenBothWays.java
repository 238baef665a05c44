package dev.deploy.e2e.programs.channels;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import dev.deploy.e2e.tester.Expect;

/**
 * Channel lifetimes, case (a): parent and child each open a Sender and a Receiver to the other,
 * exchange a value, close both ends (in a random order) and at once open new ones with the other
 * type ({@code String} and {@code Long} in turn), twenty times with random pauses. The remote's old
 * Sender's close often arrives after the new Receiver exists; it must not end it.
 */
public final class ReopenBothWays {
  static final Expect EXPECTED =
      Expect.process()
          .exit(0)
          .stdout("parent: 20 rounds\n")
          .child(Expect.process().stdout("child: 20 rounds\n").exit(0));

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.05));
    Pid child = spawn(ReopenBothWays::side, 1, new Resources(128L << 20, 0.05)).orElseThrow();
    side(child, 0);
  }

  /** One side's rounds: {@code who} 0 is the parent, 1 the child. */
  static void side(Pid other, Integer who) throws Exception {
    for (int round = 0; round < Jitter.ROUNDS; round++) {
      Object mine =
          round % 2 == 0 ? (Object) ("s" + round + "-" + who) : (Object) (round * 10L + who);
      Object theirs =
          round % 2 == 0
              ? (Object) ("s" + round + "-" + (1 - who))
              : (Object) (round * 10L + 1 - who);
      Sender<Object> out = new Sender<>(other);
      Jitter.pause();
      Receiver<Object> in = new Receiver<>(other);
      out.send(mine);
      Jitter.pause();
      Jitter.check("round " + round, theirs, in.recv());
      Jitter.pause();
      if (Jitter.coin()) {
        out.close();
        Jitter.pause();
        in.close();
      } else {
        in.close();
        Jitter.pause();
        out.close();
      }
    }
    System.out.println((who == 0 ? "parent" : "child") + ": " + Jitter.ROUNDS + " rounds");
  }
}
