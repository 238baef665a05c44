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
 * Channel lifetimes, case (b): the child keeps one Sender open and sends value {@code k} when
 * asked; the parent asks with a new Receiver each time, closing the one before first, twenty times
 * with random pauses, so the value arrives sometimes before and sometimes after the new Receiver
 * opens. Each new Receiver gets the value that arrived after the old one was closed; once the child
 * closed its Sender and exited, a last Receiver gets EXITED.
 */
public final class ReceiverReopens {
  static final Expect EXPECTED =
      Expect.process().exit(0).stdout("20 values, then EXITED\n").child(Expect.process().exit(0));

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.05));
    Pid child = spawn(ReceiverReopens::child, 0, new Resources(128L << 20, 0.05)).orElseThrow();
    try (Sender<Integer> ask = new Sender<>(child)) {
      for (int k = 0; k < Jitter.ROUNDS; k++) {
        ask.send(k);
        Jitter.pause();
        try (Receiver<Integer> in = new Receiver<>(child)) {
          Jitter.check("value", k, in.recv());
          Jitter.pause();
        }
        Jitter.pause();
      }
    }
    try (Receiver<Integer> last = new Receiver<>(child)) {
      System.out.println("got " + last.recv());
    } catch (ChannelException e) {
      System.out.println(Jitter.ROUNDS + " values, then " + e.reason());
    }
  }

  static void child(Pid parent, Integer unused) throws Exception {
    try (Receiver<Integer> asks = new Receiver<>(parent);
        Sender<Integer> out = new Sender<>(parent)) {
      for (int k = 0; k < Jitter.ROUNDS; k++) {
        Jitter.check("ask", k, asks.recv());
        Jitter.pause();
        out.send(k);
      }
    }
  }
}
