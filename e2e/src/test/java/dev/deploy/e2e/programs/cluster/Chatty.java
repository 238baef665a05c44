package dev.deploy.e2e.programs.cluster;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Prints {@code before <i>} for i in 1..3, waits until the file {@code <release>} exists, prints
 * {@code after release} and exits {@code <code>}. Arguments: {@code <release> <code>}; a release of
 * {@code -} does not wait.
 */
public final class Chatty {
  public static void main(String[] args) throws Exception {
    init(new Resources(128L << 20, 0.1));
    for (int i = 1; i <= 3; i++) {
      System.out.println("before " + i);
    }
    System.out.flush();
    if (!args[0].equals("-")) {
      Path release = Path.of(args[0]);
      while (!Files.exists(release)) {
        Thread.sleep(50); // a poll: the file has no other signal
      }
    }
    System.out.println("after release");
    System.out.flush();
    System.exit(Integer.parseInt(args[1]));
  }
}
