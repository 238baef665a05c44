package dev.deploy.e2e.programs.badinput;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;

/** A second {@code init} throws {@code IllegalStateException} saying it was already called. */
public final class InitTwice {
  static final Expect EXPECTED =
      Expect.process()
          .exit(1)
          .stderrMatches(
              "Exception in thread \"main\" java\\.lang\\.IllegalStateException:"
                  + " [^\n]*already called[^\n]*\n\tat .*");

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    init(Resources.DEFAULT);
  }
}
