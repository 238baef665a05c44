package dev.deploy.e2e.tester;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * What one process of a run, and the processes it spawned, are expected to do. A program declares
 * its whole expected run as the root's expectation:
 *
 * <pre>{@code
 * static final Expect EXPECTED =
 *     Expect.process()
 *         .exit(0)
 *         .stdout("total 4500!\n")
 *         .children(10, Expect.process().stdoutMatches("hello worker \\d+!\n").exit(0));
 * }</pre>
 *
 * <p>Per process: stdout and stderr (exact bytes, a regex over the whole text with DOTALL, a
 * substring, or anything), how it ends (an exit code, a signal's name, lost, or anything), its
 * children as a multiset of expectations (order-free: {@code children(3, a).children(1, b)} asks
 * for four children, three matching {@code a} and one matching {@code b}; {@link #anyChildren()}
 * checks none), and named checks on what was observed. Defaults: exit 0, stdout anything, stderr
 * empty, no children.
 *
 * <p>On the root only: the bridge's exit code (by default derived with docs/api.md's rule from the
 * expected exits; see {@link #bridgeExit(int)}) and the bridge's stderr (empty by default, as the
 * JSON format writes nothing there).
 *
 * <p>Immutable: every method returns a new expectation, so one can be shared as a child many times.
 * Programs' JVMs build these in static initialisers, so this uses nothing but the JDK.
 */
public final class Expect {
  /** A named condition on an observed process, for what the other fields cannot say. */
  public record Check(String description, Predicate<ObservedProcess> test) {
    /** Checks both are present. */
    public Check {
      Objects.requireNonNull(description, "description");
      Objects.requireNonNull(test, "test");
    }
  }

  private final Content stdout;
  private final Content stderr;

  /** Null: any ending. */
  private final Outcome exit;

  /** One entry per expected child; a multiset, order is irrelevant. */
  private final List<Expect> children;

  private final boolean anyChildren;
  private final List<Check> checks;

  /** Null: derived from the expected exits. */
  private final Integer bridgeExit;

  private final Content bridgeStderr;

  private Expect(
      Content stdout,
      Content stderr,
      Outcome exit,
      List<Expect> children,
      boolean anyChildren,
      List<Check> checks,
      Integer bridgeExit,
      Content bridgeStderr) {
    this.stdout = stdout;
    this.stderr = stderr;
    this.exit = exit;
    this.children = Collections.unmodifiableList(children);
    this.anyChildren = anyChildren;
    this.checks = Collections.unmodifiableList(checks);
    this.bridgeExit = bridgeExit;
    this.bridgeStderr = bridgeStderr;
  }

  /** A process that exits 0, writes anything to stdout, nothing to stderr, and spawns nothing. */
  public static Expect process() {
    return new Expect(
        Content.anything(),
        Content.exactly(new byte[0]),
        Outcome.exited(0),
        List.of(),
        false,
        List.of(),
        null,
        Content.exactly(new byte[0]));
  }

  // ----- stdout and stderr

  /** Stdout is exactly {@code text} (UTF-8). */
  public Expect stdout(String text) {
    return withStdout(Content.exactly(text));
  }

  /** Stdout is exactly {@code bytes}. */
  public Expect stdout(byte[] bytes) {
    return withStdout(Content.exactly(bytes));
  }

  /** The whole of stdout matches {@code regex} (DOTALL). */
  public Expect stdoutMatches(String regex) {
    return withStdout(Content.matching(regex));
  }

  /** Stdout contains {@code text}. */
  public Expect stdoutContains(String text) {
    return withStdout(Content.containing(text));
  }

  /** Stdout is not checked (the default). */
  public Expect anyStdout() {
    return withStdout(Content.anything());
  }

  /** Stderr is exactly {@code text} (UTF-8); {@code ""} is the default. */
  public Expect stderr(String text) {
    return withStderr(Content.exactly(text));
  }

  /** Stderr is exactly {@code bytes}. */
  public Expect stderr(byte[] bytes) {
    return withStderr(Content.exactly(bytes));
  }

  /** The whole of stderr matches {@code regex} (DOTALL). */
  public Expect stderrMatches(String regex) {
    return withStderr(Content.matching(regex));
  }

  /** Stderr contains {@code text}. */
  public Expect stderrContains(String text) {
    return withStderr(Content.containing(text));
  }

  /** Stderr is not checked. */
  public Expect anyStderr() {
    return withStderr(Content.anything());
  }

  // ----- how it ends

  /** The process exits with {@code code} (its own exit, not a signal). */
  public Expect exit(int code) {
    return withExit(Outcome.exited(code));
  }

  /** A signal, named as in the JSON format ({@code "SIGKILL"}), kills the process. */
  public Expect killedBy(String signal) {
    return withExit(Outcome.killedBy(signal));
  }

  /** The process is reported lost. */
  public Expect lost() {
    return withExit(Outcome.lost());
  }

  /** How the process ends is not checked (it must still end). */
  public Expect anyExit() {
    return withExit(null);
  }

  // ----- children

  /** One more child matching {@code child}. */
  public Expect child(Expect child) {
    return children(1, child);
  }

  /** {@code count} more children, each matching {@code child}. */
  public Expect children(int count, Expect child) {
    Objects.requireNonNull(child, "child");
    if (count < 0) {
      throw new IllegalArgumentException("children(" + count + ", ...): count must be >= 0");
    }
    List<Expect> more = new ArrayList<>(children);
    for (int i = 0; i < count; i++) {
      more.add(child);
    }
    return new Expect(stdout, stderr, exit, more, anyChildren, checks, bridgeExit, bridgeStderr);
  }

  /** The children are not checked at all (neither their number nor what they do). */
  public Expect anyChildren() {
    return new Expect(stdout, stderr, exit, List.of(), true, checks, bridgeExit, bridgeStderr);
  }

  // ----- anything else

  /** A named condition on the observed process: {@code description} says what it wants. */
  public Expect satisfies(String description, Predicate<ObservedProcess> test) {
    List<Check> more = new ArrayList<>(checks);
    more.add(new Check(description, test));
    return new Expect(stdout, stderr, exit, children, anyChildren, more, bridgeExit, bridgeStderr);
  }

  // ----- the bridge (read on the root expectation only)

  /**
   * The bridge exits with {@code code}. Without it, the code is derived with docs/api.md's rule: 0
   * when every expected exit is 0, the one failing code when all expected failures agree on it, and
   * otherwise whatever the rule gives for the observed order of exits.
   */
  public Expect bridgeExit(int code) {
    return new Expect(stdout, stderr, exit, children, anyChildren, checks, code, bridgeStderr);
  }

  /** The bridge's stderr contains {@code text} (by default it must be empty). */
  public Expect bridgeStderrContains(String text) {
    return new Expect(
        stdout, stderr, exit, children, anyChildren, checks, bridgeExit, Content.containing(text));
  }

  /** The bridge's stderr is not checked. */
  public Expect anyBridgeStderr() {
    return new Expect(
        stdout, stderr, exit, children, anyChildren, checks, bridgeExit, Content.anything());
  }

  private Expect withStdout(Content content) {
    return new Expect(
        content, stderr, exit, children, anyChildren, checks, bridgeExit, bridgeStderr);
  }

  private Expect withStderr(Content content) {
    return new Expect(
        stdout, content, exit, children, anyChildren, checks, bridgeExit, bridgeStderr);
  }

  private Expect withExit(Outcome outcome) {
    return new Expect(
        stdout, stderr, outcome, children, anyChildren, checks, bridgeExit, bridgeStderr);
  }

  // ----- read by the matcher

  /** What stdout must hold. */
  public Content stdout() {
    return stdout;
  }

  /** What stderr must hold. */
  public Content stderr() {
    return stderr;
  }

  /** How the process must end; null for any way. */
  public Outcome exit() {
    return exit;
  }

  /** One expectation per expected child, in no particular order. */
  public List<Expect> children() {
    return children;
  }

  /** True when children are not checked. */
  public boolean childrenUnchecked() {
    return anyChildren;
  }

  /** The named checks. */
  public List<Check> checks() {
    return checks;
  }

  /** The bridge's exit code if set, else null (derive it). */
  public Integer bridgeExitOverride() {
    return bridgeExit;
  }

  /** What the bridge's stderr must hold. */
  public Content bridgeStderr() {
    return bridgeStderr;
  }

  /** One line: {@code process(exit 0, stdout "hi\n", stderr nothing, 2 children)}. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("process(");
    s.append(exit == null ? "any exit" : exit.toString());
    if (stdout != Content.anything()) {
      s.append(", stdout ").append(stdout.describe());
    }
    s.append(", stderr ").append(stderr.describe());
    if (anyChildren) {
      s.append(", any children");
    } else if (!children.isEmpty()) {
      s.append(", ").append(children.size()).append(children.size() == 1 ? " child" : " children");
    }
    for (Check check : checks) {
      s.append(", ").append(check.description());
    }
    return s.append(')').toString();
  }
}
