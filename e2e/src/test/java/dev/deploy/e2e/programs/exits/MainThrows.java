package dev.deploy.e2e.programs.exits;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;

/** {@code main} throws after {@code init}: the JVM's own stack trace on stderr, exit 1. */
public final class MainThrows {
  static final Expect EXPECTED =
      Expect.process()
          .exit(1)
          .stderrMatches(
              "Exception in thread \"main\" java\\.lang\\.IllegalStateException:"
                  + " main failed on purpose\n\tat .*");

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    throw new IllegalStateException("main failed on purpose");
  }
}
