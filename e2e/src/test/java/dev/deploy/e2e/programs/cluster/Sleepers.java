package dev.deploy.e2e.programs.cluster;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The first process and {@code <children>} children of 128 MiB print their os pid ({@code os pid
 * <n>}) and wait until the file {@code <release>} exists, then exit 0. Arguments: {@code <children>
 * <release>}.
 */
public final class Sleepers {
  public static void main(String[] args) throws Exception {
    init(new Resources(128L << 20, 0.05));
    int children = Integer.parseInt(args[0]);
    for (int i = 0; i < children; i++) {
      spawn(Sleepers::sleep, args[1], new Resources(128L << 20, 0.05)).orElseThrow();
    }
    sleep(null, args[1]);
  }

  /** Prints its os pid and waits for the release file; a poll, as the file has no other signal. */
  static void sleep(Pid parent, String release) throws InterruptedException {
    System.out.println("os pid " + ProcessHandle.current().pid());
    Path file = Path.of(release);
    while (!Files.exists(file)) {
      Thread.sleep(50);
    }
  }
}
