package dev.deploy.e2e.programs.output;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.programs.SelfSignal;
import dev.deploy.e2e.tester.Expect;

/**
 * A child prints 1000 numbered lines, flushing each, then SIGKILLs itself: every line it wrote
 * arrives, though it died without a chance to say goodbye.
 */
public final class LinesThenSigkill {
  static final int LINES = 1000;

  static final Expect EXPECTED =
      Expect.process()
          .stdout("spawned\n")
          .child(Expect.process().stdout(numbered()).killedBy("SIGKILL"))
          .bridgeExit(137);

  static String numbered() {
    StringBuilder text = new StringBuilder();
    for (int i = 1; i <= LINES; i++) {
      text.append(i).append('\n');
    }
    return text.toString();
  }

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    spawn(LinesThenSigkill::printThenDie, LINES, new Resources(128L << 20, 0.05)).orElseThrow();
    System.out.println("spawned");
  }

  static void printThenDie(Pid parent, Integer lines) throws Exception {
    for (int i = 1; i <= lines; i++) {
      System.out.println(i);
      System.out.flush();
    }
    SelfSignal.send("KILL");
  }
}
