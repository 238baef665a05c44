package dev.deploy.e2e.tester;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class TreeMatcherTest {
  /** A root that printed "parent\n" with children that printed the given lines, all exit 0. */
  private static ProcessTree rootWithChildren(String... stdouts) {
    EventLines lines = new EventLines().spawn("aaaaaaa", null).out("aaaaaaa", 1, "parent\n");
    for (int i = 0; i < stdouts.length; i++) {
      String pid = "c00000" + i;
      lines.spawn(pid, "aaaaaaa").out(pid, 1, stdouts[i]).end(pid, 0);
    }
    return lines.end("aaaaaaa", 0).tree();
  }

  @Test
  void givenChildMatchingBothKinds_whenMatchedFirst_thenBacktracksToFindTheMultiset() {
    ProcessTree tree = rootWithChildren("special\n", "a\n", "b\n", "c\n");
    Expect any = Expect.process().stdoutMatches("[a-z]+\n");
    Expect special = Expect.process().stdout("special\n");

    Match match = tree.matches(Expect.process().children(3, any).children(1, special));

    assertThat(match.matched()).as(match.report()).isTrue();
  }

  @Test
  void givenOneChildTooFew_whenMatched_thenReportSaysCountAndMissingExpectation() {
    ProcessTree tree = rootWithChildren("hello worker 1!\n", "hello worker 2!\n");

    Match match =
        tree.matches(
            Expect.process().children(3, Expect.process().stdoutMatches("hello worker \\d+!\n")));

    assertThat(match.matched()).isFalse();
    assertThat(match.report())
        .contains("aaaaaaa: children: expected 3, got 2 [c000000, c000001]")
        .contains("aaaaaaa: no child for expected process(exit 0, stdout text matching");
  }

  @Test
  void givenWrongChildOutput_whenMatched_thenReportNamesPathExpectedAndGot() {
    ProcessTree tree = rootWithChildren("hello wrker 3!\n");

    Match match =
        tree.matches(
            Expect.process().child(Expect.process().stdoutMatches("hello worker \\d+!\n")));

    assertThat(match.report())
        .contains("aaaaaaa: child c000000 matches no expected child")
        .contains(
            "aaaaaaa > c000000: stdout: expected text matching /hello worker \\d+!\\n/,"
                + " got \"hello wrker 3!\\n\"");
  }

  @Test
  void givenExitCode137_whenSigkillExpected_thenMismatch() {
    ProcessTree tree = new EventLines().spawn("aaaaaaa", null).end("aaaaaaa", 137).tree();

    Match match = tree.matches(Expect.process().killedBy("SIGKILL"));

    assertThat(match.report()).isEqualTo("aaaaaaa: exit: expected killed by SIGKILL, got exit 137");
  }

  @Test
  void givenExactBytesRegexAndContains_whenMatched_thenEachChecksItsWay() {
    ProcessTree tree =
        new EventLines()
            .spawn("aaaaaaa", null)
            .out("aaaaaaa", 1, new byte[] {0, (byte) 255, '\n'})
            .out("aaaaaaa", 2, "line one\nline two\n")
            .end("aaaaaaa", 0)
            .tree();

    assertThat(
            tree.matches(
                    Expect.process()
                        .stdout(new byte[] {0, (byte) 255, '\n'})
                        .stderrMatches("line one.*two\n"))
                .matched())
        .isTrue();
    assertThat(tree.matches(Expect.process().stderrContains("one\nline")).matched()).isTrue();
    assertThat(tree.matches(Expect.process()).report())
        .isEqualTo("aaaaaaa: stderr: expected nothing, got \"line one\\nline two\\n\"");
  }

  @Test
  void givenUncheckedChildren_whenMatched_thenAnyChildrenPass() {
    ProcessTree tree = rootWithChildren("x\n", "y\n");

    assertThat(tree.matches(Expect.process().anyChildren()).matched()).isTrue();
    assertThat(tree.matches(Expect.process()).report())
        .contains("children: expected 0, got 2")
        .contains("unexpected child c000000");
  }

  @Test
  void givenFailingCheck_whenMatched_thenReportNamesIt() {
    ProcessTree tree = rootWithChildren();

    Match match = tree.matches(Expect.process().satisfies("prints twice", p -> false));

    assertThat(match.report()).isEqualTo("aaaaaaa: check failed: prints twice");
  }

  @Test
  void givenExpectedExits_whenBridgeCodeDerived_thenApiRuleOrUnknown() {
    Expect ok = Expect.process();

    assertThat(Run.derivedBridgeExit(ok.child(ok))).isZero();
    assertThat(Run.derivedBridgeExit(ok.child(ok.killedBy("SIGKILL")))).isEqualTo(137);
    assertThat(Run.derivedBridgeExit(ok.exit(3).child(ok.exit(3)))).isEqualTo(3);
    assertThat(Run.derivedBridgeExit(ok.exit(3).child(ok.exit(1)))).isNull();
    assertThat(Run.derivedBridgeExit(ok.anyChildren())).isNull();
  }
}
