package dev.deploy.e2e.programs;

import java.io.IOException;

/**
 * Lets a program's process send itself a signal with the system's {@code kill}, as an outside
 * killer would, then wait for it to land. Not a program: it has no {@code EXPECTED}.
 */
public final class SelfSignal {
  private SelfSignal() {}

  /**
   * Sends {@code signal} ("KILL", "TERM") to this JVM and sleeps until it acts; never returns
   * normally.
   */
  public static void send(String signal) throws IOException, InterruptedException {
    long pid = ProcessHandle.current().pid();
    int status =
        new ProcessBuilder("kill", "-" + signal, String.valueOf(pid))
            .redirectErrorStream(true)
            .start()
            .waitFor();
    if (status != 0) {
      throw new IllegalStateException("kill -" + signal + " " + pid + " exited " + status);
    }
    Thread.sleep(60_000);
    throw new IllegalStateException("still alive 60 s after kill -" + signal + " " + pid);
  }
}
