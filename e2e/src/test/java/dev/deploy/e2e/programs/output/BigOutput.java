package dev.deploy.e2e.programs.output;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;
import dev.deploy.e2e.tester.RunOptions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * 50 MiB of pseudo-random bytes to stdout, their SHA-256 to stderr, with the bridge held to a 96
 * MiB heap: the run completes (output streams through, nothing holds it all) and what arrives has
 * the length and the hash the program computed.
 */
public final class BigOutput {
  static final int BLOCK = 64 << 10;
  static final int BLOCKS = 800;
  static final long SIZE = (long) BLOCK * BLOCKS;

  static final RunOptions RUN = RunOptions.defaults().jvm("-Xmx96m");

  static final Expect EXPECTED =
      Expect.process()
          .stderrMatches("[0-9a-f]{64}\n")
          .satisfies("writes 50 MiB to stdout", p -> p.stdoutSize() == SIZE)
          .satisfies(
              "stdout's SHA-256 is the one it printed on stderr",
              p -> (sha256(p.stdout()) + "\n").equals(p.stderrText()));

  static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    MessageDigest digest = digest();
    byte[] block = new byte[BLOCK];
    long state = 0x9E3779B97F4A7C15L;
    for (int b = 0; b < BLOCKS; b++) {
      for (int i = 0; i < BLOCK; i += 8) {
        state ^= state << 13;
        state ^= state >>> 7;
        state ^= state << 17;
        for (int k = 0; k < 8; k++) {
          block[i + k] = (byte) (state >>> (8 * k));
        }
      }
      digest.update(block);
      System.out.write(block, 0, BLOCK);
    }
    System.out.flush();
    System.err.println(HexFormat.of().formatHex(digest.digest()));
  }
}
