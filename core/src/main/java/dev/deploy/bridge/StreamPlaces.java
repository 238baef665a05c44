package dev.deploy.bridge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Tells whether this JVM's stdout and stderr reach one place: the same terminal, the same file (as
 * after {@code >file 2>&1}) or the same pipe. {@link HumanFormat} merges its view into one stream
 * of text only then; when they go to different places each stream must read well alone.
 *
 * <p>On Linux it compares what {@code /proc/self/fd/1} and {@code /proc/self/fd/2} point to (device
 * and inode of the terminal, file or pipe); elsewhere {@code /dev/fd/1} and {@code /dev/fd/2}.
 * Where neither can be read it answers "different places", which costs only the indentation of
 * stdout lines in a terminal and never leaves bare indentation in a file.
 *
 * <p>Stateless: any thread may call it.
 */
public final class StreamPlaces {
  private StreamPlaces() {}

  /** Returns whether this JVM's fd 1 and fd 2 reach one place. */
  public static boolean stdoutAndStderrShareOnePlace() {
    for (String dir : new String[] {"/proc/self/fd", "/dev/fd"}) {
      Boolean same = samePlace(Path.of(dir, "1"), Path.of(dir, "2"));
      if (same != null) {
        return same;
      }
    }
    return false;
  }

  /**
   * Returns whether the files {@code a} and {@code b} (descriptor links such as {@code
   * /proc/self/fd/1}) lead to one terminal, file or pipe, or null when it cannot tell.
   */
  static Boolean samePlace(Path a, Path b) {
    Object[] first = identity(a);
    Object[] second = identity(b);
    if (first == null || second == null) {
      return null;
    }
    return Objects.equals(first[0], second[0]) && Objects.equals(first[1], second[1]);
  }

  /** Returns the device and inode {@code link} leads to, or null when they cannot be read. */
  private static Object[] identity(Path link) {
    try {
      Map<String, Object> attributes = Files.readAttributes(link, "unix:dev,ino");
      Object dev = attributes.get("dev");
      Object ino = attributes.get("ino");
      return dev == null || ino == null ? null : new Object[] {dev, ino};
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return null;
    }
  }
}
