package dev.deploy.e2e.programs.exits;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import dev.deploy.e2e.programs.SelfSignal;
import dev.deploy.e2e.tester.Expect;

/** The process SIGKILLs itself: {@code killed: SIGKILL}, and the bridge exits 128 + 9. */
public final class KillsItselfWithSigkill {
  static final Expect EXPECTED =
      Expect.process().stdout("sending myself SIGKILL\n").killedBy("SIGKILL").bridgeExit(137);

  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT);
    System.out.println("sending myself SIGKILL");
    SelfSignal.send("KILL");
  }
}
