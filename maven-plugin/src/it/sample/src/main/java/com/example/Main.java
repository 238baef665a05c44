package com.example;

import dev.deploy.Deploy;
import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import java.util.Arrays;

/** Spawns a worker that sends back a number; exits with its first argument when it is a number. */
public final class Main {
  public static void main(String[] args) throws Exception {
    Deploy.init(Resources.parse("256MiB", "0.5"));
    Pid worker = Deploy.spawn(Main::worker, "hi", Resources.parse("128MiB", "0.1")).orElseThrow();
    try (Receiver<Integer> receiver = new Receiver<>(worker)) {
      System.out.println("main got " + receiver.recv() + " with args " + Arrays.toString(args));
    }
    if (args.length > 0 && args[0].matches("\\d+")) {
      System.exit(Integer.parseInt(args[0]));
    }
  }

  static void worker(Pid parent, String greeting) throws Exception {
    System.out.println("worker says " + greeting);
    try (Sender<Integer> sender = new Sender<>(parent)) {
      sender.send(42);
    }
  }
}
