package dev.deploy.e2e.programs.exits;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import dev.deploy.e2e.programs.SelfSignal;
import dev.deploy.e2e.tester.Expect;

/**
 * The process SIGTERMs itself: reported as the signal (not as exit code 143, which the JVM uses),
 * and the bridge exits 128 + 15.
 */
public final class KillsItselfWithSigterm {
  static final Expect EXPECTED =
      Expect.process().stdout("sending myself SIGTERM\n").killedBy("SIGTERM").bridgeExit(143);

  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT);
    System.out.println("sending myself SIGTERM");
    SelfSignal.send("TERM");
  }
}
