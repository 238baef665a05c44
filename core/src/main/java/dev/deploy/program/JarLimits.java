package dev.deploy.program;

import dev.deploy.Resources;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How large the jars a machine takes from the network may be: each jar, and all the jars of one
 * program together, so that a client (even one holding the key) cannot fill a bridge's or a
 * worker's disk. A program is refused from the sizes its jars are announced with, before a byte is
 * stored; {@link JarCache.Upload#write} then refuses any byte past the announced size, so a sender
 * that lies about a size gets no further.
 *
 * <pre>{@code
 * JarLimits limits = new JarLimits(512L << 20, 2L << 30);
 * limits.check(request.jars(), "the bridge");   // ProgramException naming the jar and the limit
 * }</pre>
 *
 * <p>Immutable; any thread may use it.
 *
 * @param maxJarSize the most bytes one jar may have, at least 1 ({@code --max-jar-size})
 * @param maxProgramSize the most bytes a program's distinct jars may have together, at least 1
 *     ({@code --max-program-size})
 */
public record JarLimits(long maxJarSize, long maxProgramSize) {
  /** The default of {@code --max-jar-size}: 512 MiB. */
  public static final long DEFAULT_MAX_JAR_SIZE = 512L << 20;

  /** The default of {@code --max-program-size}: 2 GiB. */
  public static final long DEFAULT_MAX_PROGRAM_SIZE = 2L << 30;

  /** The defaults: 512 MiB per jar, 2 GiB per program. */
  public static final JarLimits DEFAULT =
      new JarLimits(DEFAULT_MAX_JAR_SIZE, DEFAULT_MAX_PROGRAM_SIZE);

  /**
   * Checks the limits.
   *
   * @throws IllegalArgumentException naming the limit when it is below 1 byte
   */
  public JarLimits {
    if (maxJarSize < 1) {
      throw new IllegalArgumentException("the largest jar allowed must be at least 1 byte");
    }
    if (maxProgramSize < 1) {
      throw new IllegalArgumentException("the largest program allowed must be at least 1 byte");
    }
  }

  /**
   * Refuses a program whose announced jars exceed a limit of {@code where} (such as "the bridge").
   * A jar listed twice (same SHA-256) counts once, as it is stored once.
   *
   * @throws ProgramException one sentence naming the jar, its size and the limit, or the program's
   *     total, its largest jar and the limit
   */
  public void check(List<JarRef> jars, String where) throws ProgramException {
    Set<String> seen = new HashSet<>();
    long total = 0;
    JarRef largest = null;
    for (JarRef jar : jars) {
      checkJar(jar, where);
      if (seen.add(jar.sha256())) {
        total += jar.size(); // each at most maxJarSize and at most MAX_JARS of them: no overflow
        if (largest == null || jar.size() > largest.size()) {
          largest = jar;
        }
      }
    }
    if (total > maxProgramSize) {
      throw new ProgramException(
          "the program's jars take "
              + size(total)
              + " together, over "
              + where
              + "'s limit of "
              + Resources.formatMemory(maxProgramSize)
              + " per program (--max-program-size); its largest is "
              + largest.name()
              + ", "
              + size(largest.size()));
    }
  }

  /**
   * Refuses one jar larger than the limit of {@code where}.
   *
   * @throws ProgramException one sentence naming the jar, its size and the limit
   */
  public void checkJar(JarRef jar, String where) throws ProgramException {
    if (jar.size() > maxJarSize) {
      throw new ProgramException(
          jar.name()
              + " has "
              + size(jar.size())
              + ", over "
              + where
              + "'s limit of "
              + Resources.formatMemory(maxJarSize)
              + " per jar (--max-jar-size)");
    }
  }

  /** Returns a size for a sentence: {@code 600 MiB (629145600 bytes)}. */
  private static String size(long bytes) {
    String human = Resources.formatMemory(bytes);
    return bytes < 1024 ? human : human + " (" + bytes + " bytes)";
  }
}
