package dev.deploy.bridge;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The output formats by name, printing to this JVM's stdout and stderr. */
public final class Formats {
  private Formats() {}

  /**
   * Returns {@code human} (also for null) or {@code json}.
   *
   * @throws IllegalArgumentException for any other name
   */
  public static EventFormat forName(String name) {
    FileOutputStream out = new FileOutputStream(FileDescriptor.out);
    FileOutputStream err = new FileOutputStream(FileDescriptor.err);
    if (name == null || name.equals("human")) {
      return new HumanFormat(out, err, colour(), StreamPlaces.stdoutAndStderrShareOnePlace());
    }
    if (name.equals("json")) {
      return new JsonFormat(out);
    }
    throw new IllegalArgumentException("the format is human or json, not \"" + name + "\"");
  }

  /** Colour when stderr is a terminal and the user did not ask for none. */
  public static boolean colour() {
    if (System.getenv("NO_COLOR") != null || "dumb".equals(System.getenv("TERM"))) {
      return false;
    }
    return stderrIsTerminal();
  }

  /** Returns whether this JVM's stderr is a terminal (Linux; false where it cannot tell). */
  public static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
