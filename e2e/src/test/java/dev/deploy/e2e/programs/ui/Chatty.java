package dev.deploy.e2e.programs.ui;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import java.io.BufferedReader;
import java.io.InputStreamReader;

/**
 * Channel traffic for {@code /metrics}: the first process spawns a child that sends it {@code
 * args[0]} values and exits, receives them all, prints {@code received N}, then waits for a line on
 * its stdin and exits 0. Not part of the self-describing suite (ChannelMetricsIT drives it).
 */
public final class Chatty {
  private static final Resources SMALL = new Resources(96L << 20, 0.01);

  private Chatty() {}

  public static void main(String[] args) throws Exception {
    init(new Resources(128L << 20, 0.01));
    int n = Integer.parseInt(args[0]);
    Pid child = spawn(Chatty::sends, n, SMALL).orElseThrow();
    try (Receiver<String> in = new Receiver<>(child)) {
      for (int i = 0; i < n; i++) {
        in.recv();
      }
    }
    System.out.println("received " + n);
    new BufferedReader(new InputStreamReader(System.in)).readLine();
  }

  static void sends(Pid parent, Integer n) throws Exception {
    try (Sender<String> out = new Sender<>(parent)) {
      for (int i = 0; i < n; i++) {
        out.send("value " + i);
      }
    }
  }
}
