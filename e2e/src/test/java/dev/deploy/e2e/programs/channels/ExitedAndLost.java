package dev.deploy.e2e.programs.channels;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.ChannelException;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import dev.deploy.e2e.programs.SelfSignal;
import dev.deploy.e2e.tester.Expect;
import java.time.Duration;

/**
 * How a channel ends across real processes: a child that sends three values and exits gives them,
 * then EXITED; a child that sends two and is killed with SIGKILL gives them, then LOST; a child
 * that exited without ever opening a channel to us gives EXITED at once (its fate comes from the
 * fabric); none of the receives hangs. The killed child dies only once we said we have its values,
 * so the test does not depend on how long delivery takes.
 */
public final class ExitedAndLost {
  static final Resources SMALL = new Resources(128L << 20, 0.05);

  static final Expect EXPECTED =
      Expect.process()
          .exit(0)
          .stdout("clean: 0 1 2 then EXITED\n" + "killed: 0 1 then LOST\n" + "silent: EXITED\n")
          .child(Expect.process().exit(0))
          .child(Expect.process().killedBy("SIGKILL"))
          .child(Expect.process().exit(0));

  public static void main(String[] args) throws Exception {
    init(new Resources(256L << 20, 0.05));
    Pid clean = spawn(ExitedAndLost::sendThenExit, 3, SMALL).orElseThrow();
    System.out.println("clean: " + drain(clean));
    Pid killed = spawn(ExitedAndLost::sendThenDie, 2, SMALL).orElseThrow();
    System.out.println("killed: " + drainAcknowledging(killed, 2));
    Pid silent = spawn(ExitedAndLost::sendThenExit, 0, SMALL).orElseThrow();
    // Usually it has exited by now, so its fate comes from the fabric; if not, its goodbye on
    // the connection our Receiver opens gives the same EXITED. Not a synchronisation.
    Thread.sleep(1500);
    try (Receiver<Integer> in = new Receiver<>(silent)) {
      Integer unexpected = in.recv(Duration.ofSeconds(20)).orElse(null);
      System.out.println("silent: got " + unexpected);
    } catch (ChannelException e) {
      System.out.println("silent: " + e.reason());
    }
  }

  static String drain(Pid pid) throws Exception {
    StringBuilder seen = new StringBuilder();
    try (Receiver<Integer> in = new Receiver<>(pid)) {
      while (true) {
        seen.append(in.recv()).append(' ');
      }
    } catch (ChannelException e) {
      return seen + "then " + e.reason();
    }
  }

  /** Drains {@code pid} like {@link #drain}, telling it once its first {@code count} arrived. */
  static String drainAcknowledging(Pid pid, int count) throws Exception {
    StringBuilder seen = new StringBuilder();
    try (Receiver<Integer> in = new Receiver<>(pid)) {
      for (int i = 0; i < count; i++) {
        seen.append(in.recv()).append(' ');
      }
      try (Sender<String> ack = new Sender<>(pid)) {
        ack.send("got them");
      }
      while (true) {
        seen.append(in.recv()).append(' ');
      }
    } catch (ChannelException e) {
      return seen + "then " + e.reason();
    }
  }

  static void sendThenExit(Pid parent, Integer count) throws Exception {
    if (count == 0) {
      return; // never opens a channel
    }
    try (Sender<Integer> out = new Sender<>(parent)) {
      for (int i = 0; i < count; i++) {
        out.send(i);
      }
    }
  }

  static void sendThenDie(Pid parent, Integer count) throws Exception {
    Sender<Integer> out = new Sender<>(parent);
    for (int i = 0; i < count; i++) {
      out.send(i);
    }
    // Dies once the parent has every value: a kill before would race their delivery.
    try (Receiver<String> ack = new Receiver<>(parent)) {
      ack.recv();
    }
    SelfSignal.send("KILL");
  }
}
