package dev.deploy.e2e.programs.channels;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Receiver;
import dev.deploy.Resources;
import dev.deploy.Sender;
import dev.deploy.e2e.tester.Expect;

/**
 * docs/api.md's example as written: ten workers greet and send back a number; the total is 4500.
 */
public final class HelloTotal {
  record WorkerArg(int index, String greeting) {}

  static final Expect EXPECTED =
      Expect.process()
          .exit(0)
          .stdout("total 4500!\n")
          .children(10, Expect.process().stdoutMatches("hello worker \\d+!\n").exit(0));

  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT);
    long total = 0;
    for (int index = 0; index < 10; index++) {
      Pid pid =
          spawn(
                  HelloTotal::worker,
                  new WorkerArg(index, "hello worker " + index + "!"),
                  new Resources(128L << 20, 0.05))
              .orElseThrow(() -> new IllegalStateException("Out of resources!"));
      try (Receiver<Integer> receiver = new Receiver<>(pid)) {
        total += receiver.recv();
      }
    }
    System.out.println("total " + total + "!");
  }

  static void worker(Pid parent, WorkerArg arg) throws Exception {
    System.out.println(arg.greeting());
    try (Sender<Integer> sender = new Sender<>(parent)) {
      sender.send(arg.index() * 100);
    }
  }
}
