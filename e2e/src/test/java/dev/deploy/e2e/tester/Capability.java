package dev.deploy.e2e.tester;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a test needs from the machine (cgroups, root) and does not always get: where it is missing
 * the test is skipped with the reason, except under {@code CI=true}, where it fails: CI runs as
 * root on machines that have it, so a skip there would hide a regression. Stateless.
 */
public final class Capability {
  /** The variable that makes a missing capability a failure. */
  public static final String CI = "CI";

  private Capability() {}

  /**
   * Skips the calling test when {@code present} is false (fails it under {@code CI=true}), saying
   * {@code missing}.
   */
  public static void require(boolean present, String missing) {
    if (present) {
      return;
    }
    if ("true".equalsIgnoreCase(System.getenv(CI))) {
      fail(missing + " (" + CI + "=true: required here, not skipped)");
    }
    assumeTrue(false, missing);
  }
}
