package dev.deploy.examples;

import static dev.deploy.Deploy.*;

import dev.deploy.*;

/**
 * The example of the README and docs/api.md: ten workers each greet and send back a number; the
 * first process adds them up.
 *
 * <pre>java -cp cli/target/deploy.jar:examples/target/classes dev.deploy.examples.Hello</pre>
 */
public class Hello {
  record WorkerArg(int index, String greeting) {}

  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT);
    long total = 0;
    for (int index = 0; index < 10; index++) {
      Pid pid =
          spawn(
                  Hello::worker,
                  new WorkerArg(index, "hello worker " + index + "!"),
                  Resources.DEFAULT)
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
