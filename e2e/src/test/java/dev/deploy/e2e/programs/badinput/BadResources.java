package dev.deploy.e2e.programs.badinput;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;

/**
 * Resources that cannot be (negative or too little memory, NaN cpu, a size that is not one) throw
 * {@code IllegalArgumentException} with a one-line message naming the value. The program prints
 * each exception on a line of stderr.
 */
public final class BadResources {
  static final Expect EXPECTED =
      Expect.process()
          .stderrMatches(
              "java\\.lang\\.IllegalArgumentException: [^\n]*-1[^\n]*\n"
                  + "java\\.lang\\.IllegalArgumentException: [^\n]*NaN[^\n]*\n"
                  + "java\\.lang\\.IllegalArgumentException: [^\n]*(1048576|1 MiB)[^\n]*\n"
                  + "java\\.lang\\.IllegalArgumentException: [^\n]*12 parsecs[^\n]*\n");

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    attempt(() -> new Resources(-1, 1));
    attempt(() -> new Resources(256L << 20, Double.NaN));
    attempt(() -> new Resources(1L << 20, 1));
    attempt(() -> Resources.parseMemory("12 parsecs"));
  }

  private static void attempt(Runnable bad) {
    try {
      bad.run();
      System.err.println("no exception");
    } catch (IllegalArgumentException e) {
      System.err.println(e);
    }
  }
}
