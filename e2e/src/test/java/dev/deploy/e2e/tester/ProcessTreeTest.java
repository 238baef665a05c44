package dev.deploy.e2e.tester;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ProcessTreeTest {
  @Test
  void givenEventsInApiOrder_whenParsed_thenTreeAndNoViolations() {
    ProcessTree tree =
        new EventLines()
            .spawn("aaaaaaa", null)
            .spawn("bbbbbbb", "aaaaaaa")
            .out("bbbbbbb", 1, "hi ")
            .out("bbbbbbb", 1, "there\n")
            .out("aaaaaaa", 2, "warn\n")
            .end("bbbbbbb", 0)
            .end("aaaaaaa", 0)
            .tree();

    assertThat(tree.violations(true)).isEmpty();
    assertThat(tree.root().pid()).isEqualTo("aaaaaaa");
    assertThat(tree.root().children()).extracting(ObservedProcess::pid).containsExactly("bbbbbbb");
    assertThat(tree.process("bbbbbbb").stdoutText()).isEqualTo("hi there\n");
    assertThat(tree.process("bbbbbbb").parentPid()).isEqualTo("aaaaaaa");
    assertThat(tree.root().stderrText()).isEqualTo("warn\n");
  }

  @Test
  void givenOutputBeforeSpawn_whenParsed_thenViolation() {
    ProcessTree tree = new EventLines().out("aaaaaaa", 1, "x").spawn("aaaaaaa", null).tree();

    assertThat(tree.violations(false))
        .singleElement()
        .asString()
        .contains("output of aaaaaaa before its spawn event");
  }

  @Test
  void givenExitBeforeEof_whenParsed_thenViolationNamesTheFd() {
    ProcessTree tree =
        new EventLines().spawn("aaaaaaa", null).eof("aaaaaaa", 2).exit("aaaaaaa", 0).tree();

    assertThat(tree.violations(true))
        .singleElement()
        .asString()
        .contains("exit of aaaaaaa before the eof of fd 1");
  }

  @Test
  void givenOutputAfterEofOrExit_whenParsed_thenViolations() {
    ProcessTree tree =
        new EventLines()
            .spawn("aaaaaaa", null)
            .eof("aaaaaaa", 1)
            .out("aaaaaaa", 1, "late")
            .eof("aaaaaaa", 2)
            .exit("aaaaaaa", 0)
            .out("aaaaaaa", 2, "later")
            .tree();

    assertThat(tree.violations(true))
        .hasSize(2)
        .anySatisfy(v -> assertThat(v).contains("after that fd's eof"))
        .anySatisfy(v -> assertThat(v).contains("after its exit event"));
  }

  @Test
  void givenTwoRootsAndAnUnknownParent_whenParsed_thenViolations() {
    ProcessTree tree =
        new EventLines()
            .spawn("aaaaaaa", null)
            .spawn("bbbbbbb", null)
            .spawn("ccccccc", "ddddddd")
            .tree();

    assertThat(tree.violations(false))
        .anySatisfy(v -> assertThat(v).contains("bbbbbbb is a second root"))
        .anySatisfy(v -> assertThat(v).contains("ddddddd, which was never spawned"));
  }

  @Test
  void givenMissingExit_whenFinished_thenViolationButNotWhileRunning() {
    ProcessTree tree = new EventLines().spawn("aaaaaaa", null).tree();

    assertThat(tree.violations(false)).isEmpty();
    assertThat(tree.violations(true)).containsExactly("aaaaaaa has no exit event");
  }

  @Test
  void givenLineThatIsNoEvent_whenParsed_thenViolationQuotesIt() {
    ProcessTree tree =
        new EventLines()
            .raw("Exception in thread main")
            .raw("{\"event\":\"spawn\",\"pid\":\"aaaaaaa\",\"parent\":null,\"extra\":1,\"ts\":1}")
            .tree();

    assertThat(tree.violations(false))
        .hasSize(2)
        .anySatisfy(v -> assertThat(v).contains("Exception in thread main"))
        .anySatisfy(v -> assertThat(v).contains("exactly event, pid, parent"));
  }

  @Test
  void givenTwoFailures_whenRuleApplied_thenFirstInEventOrderWins() {
    ProcessTree tree =
        new EventLines()
            .spawn("aaaaaaa", null)
            .spawn("bbbbbbb", "aaaaaaa")
            .eof("bbbbbbb", 1)
            .eof("bbbbbbb", 2)
            .killed("bbbbbbb", "SIGKILL")
            .end("aaaaaaa", 3)
            .tree();

    assertThat(tree.bridgeCodeByRule()).isEqualTo(137);
  }

  @Test
  void givenChildrenOverlapping_whenCounted_thenMostAliveAtOnce() {
    ProcessTree tree =
        new EventLines()
            .spawn("aaaaaaa", null)
            .spawn("bbbbbbb", "aaaaaaa")
            .spawn("ccccccc", "aaaaaaa")
            .end("bbbbbbb", 0)
            .spawn("ddddddd", "aaaaaaa")
            .end("ccccccc", 0)
            .end("ddddddd", 0)
            .end("aaaaaaa", 0)
            .tree();

    assertThat(tree.root().maxChildrenAliveAtOnce()).isEqualTo(2);
    assertThat(tree.shape()).isEqualTo("exit 0[exit 0, exit 0, exit 0]");
  }
}
