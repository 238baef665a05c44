package dev.deploy.e2e.programs.cleanup;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A task starts three operating-system processes of its own, the fabric's grandchildren: {@code
 * sleep 300}; a {@code sleep 300} that ignores SIGTERM ({@code sh -c 'trap "" TERM; exec sleep
 * 300'}); and a {@code sleep 300} that a shell left behind (double fork: re-parented to init at
 * once). It prints {@code grandchildren <pid> <pid> <pid>}, then returns ({@code exit}) or sleeps a
 * minute ({@code stay}). {@code FenceIT} checks that none outlives the run. No {@code EXPECTED}:
 * its outcome is whatever the test does to it.
 */
public final class GrandchildrenLeft {
  /** The line the task prints, followed by the three pids. */
  public static final String LINE = "grandchildren";

  public static void main(String[] args) throws Exception {
    init(new Resources(128L << 20, 0.05));
    spawn(GrandchildrenLeft::leave, args[0], new Resources(128L << 20, 0.05)).orElseThrow();
    if (args[0].equals("stay")) {
      Thread.sleep(60_000);
    }
  }

  static void leave(Pid parent, String mode) throws IOException, InterruptedException {
    Process plain =
        new ProcessBuilder("sleep", "300").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    Process deaf =
        new ProcessBuilder("sh", "-c", "trap '' TERM; exec sleep 300")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    Process shell =
        new ProcessBuilder("sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!")
            .redirectErrorStream(true)
            .start();
    String orphan;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(shell.getInputStream(), StandardCharsets.UTF_8))) {
      orphan = r.readLine();
    }
    shell.waitFor();
    System.out.println(LINE + " " + plain.pid() + " " + deaf.pid() + " " + orphan.strip());
    System.out.flush();
    if (mode.equals("stay")) {
      Thread.sleep(60_000);
    }
  }
}
