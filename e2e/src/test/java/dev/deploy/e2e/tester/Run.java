package dev.deploy.e2e.tester;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What one run of a program showed: the bridge's exit code (null when it timed out and was killed),
 * the process tree its JSON events describe, its raw stdout (human format only), its stderr, and
 * any process that outlived it.
 *
 * <p>{@link #assertMatches} is the suite's whole verdict: the events keep docs/api.md's rules, the
 * bridge's stderr and exit code are as expected, the tree matches, nothing outlived the bridge. Its
 * failure message says what differs and shows the observed tree. Immutable once made.
 */
public final class Run {
  private final String program;
  private final String runner;
  private final RunOptions options;
  private final Integer exitCode;
  private final Duration duration;
  private final ProcessTree tree;
  private final byte[] stdout;
  private final byte[] stderr;
  private final List<String> survivors;

  Run(
      String program,
      String runner,
      RunOptions options,
      Integer exitCode,
      Duration duration,
      ProcessTree tree,
      byte[] stdout,
      byte[] stderr,
      List<String> survivors) {
    this.program = program;
    this.runner = runner;
    this.options = options;
    this.exitCode = exitCode;
    this.duration = duration;
    this.tree = tree;
    this.stdout = stdout;
    this.stderr = stderr;
    this.survivors = List.copyOf(survivors);
  }

  /** The program's class name. */
  public String program() {
    return program;
  }

  /** The bridge's exit code; null when the run timed out. */
  public Integer exitCode() {
    return exitCode;
  }

  /** True when the run hit its timeout and was killed. */
  public boolean timedOut() {
    return exitCode == null;
  }

  /** How long the run took. */
  public Duration duration() {
    return duration;
  }

  /** The tree of a JSON run (empty for a human one). */
  public ProcessTree tree() {
    return tree;
  }

  /** The bridge's stdout bytes (human format only; a JSON run's stdout went into the tree). */
  public byte[] stdout() {
    return stdout.clone();
  }

  /** The bridge's stdout as UTF-8 (human format only). */
  public String stdoutText() {
    return new String(stdout, UTF_8);
  }

  /** The bridge's stderr bytes. */
  public byte[] stderr() {
    return stderr.clone();
  }

  /** The bridge's stderr as UTF-8. */
  public String stderrText() {
    return new String(stderr, UTF_8);
  }

  /** Processes that were still running a second after the bridge exited (they were killed). */
  public List<String> survivors() {
    return survivors;
  }

  /**
   * Fails, with every difference and the observed tree, unless the run ended in time, its events
   * keep docs/api.md's rules, the bridge's stderr and exit code are as {@code expected} says (the
   * exit code also as docs/api.md's rule gives for the observed exits), the tree matches and no
   * process outlived the bridge.
   */
  public void assertMatches(Expect expected) {
    List<String> problems = new ArrayList<>();
    if (timedOut()) {
      problems.add(
          "timed out after "
              + options.timeout().toSeconds()
              + " s; the whole tree was killed; what came so far is below");
    }
    if (options.format() != RunOptions.Format.JSON) {
      problems.add("a " + options.format() + " run has no event tree to match");
    }
    List<String> violations = tree.violations(!timedOut());
    violations.forEach(v -> problems.add("events: " + v));
    if (!expected.bridgeStderr().accepts(stderr)
        && !expected.bridgeStderr().accepts(withoutCgroupNotice(stderr))) {
      problems.add(
          "bridge stderr: expected "
              + expected.bridgeStderr().describe()
              + ", got "
              + Printable.bytes(stderr));
    }
    if (!timedOut()) {
      Integer wanted = expected.bridgeExitOverride();
      String why = "";
      if (wanted == null) {
        wanted = derivedBridgeExit(expected);
        why = " (docs/api.md's rule over the expected exits)";
      }
      if (wanted != null && wanted.intValue() != exitCode) {
        problems.add("bridge exit: expected " + wanted + why + ", got " + exitCode);
      }
      int byRule = tree.bridgeCodeByRule();
      if (violations.isEmpty() && byRule != exitCode) {
        problems.add(
            "bridge exit: docs/api.md's rule over the observed exit events gives "
                + byRule
                + ", the bridge exited "
                + exitCode);
      }
    }
    Match match = tree.matches(expected);
    if (!match.matched()) {
      problems.addAll(List.of(match.report().split("\n")));
    }
    if (!survivors.isEmpty()) {
      problems.add("processes outlived the bridge (killed now): " + survivors);
    }
    if (!problems.isEmpty()) {
      throw new AssertionError(
          program
              + " ("
              + runner
              + ") does not do what it expects:\n  "
              + String.join("\n  ", problems)
              + "\n"
              + context());
    }
  }

  /**
   * The bridge's exit code that docs/api.md's rule gives for {@code expected}: 0 when every
   * expected exit is a success; the failing code when every expected failure has the same one; null
   * when it depends on the order of events (failures that differ, or exits and children left
   * unchecked).
   */
  static Integer derivedBridgeExit(Expect expected) {
    Set<Integer> codes = new HashSet<>();
    if (!collectFailureCodes(expected, codes) || codes.size() > 1) {
      return null;
    }
    return codes.isEmpty() ? 0 : codes.iterator().next();
  }

  /** Adds the shell codes of expected failures; false when some exit is not pinned down. */
  private static boolean collectFailureCodes(Expect e, Set<Integer> codes) {
    if (e.exit() == null || e.childrenUnchecked()) {
      return false;
    }
    if (!e.exit().success()) {
      codes.add(e.exit().shellCode());
    }
    for (Expect child : e.children()) {
      if (!collectFailureCodes(child, codes)) {
        return false;
      }
    }
    return true;
  }

  /** The line a local run prints first on its stderr where the machine gives it no cgroups. */
  static final String NO_CGROUPS = "deploy: processes run without cgroups";

  /**
   * Returns {@code stderr} without the one line a run prints on a machine that gives it no cgroups
   * (no permission, cgroup v2 without delegation): a fact about the machine, not the program, so
   * the suite's programs pass there too. Where cgroups are required, {@code CgroupIT} says so.
   */
  static byte[] withoutCgroupNotice(byte[] stderr) {
    String text = new String(stderr, UTF_8);
    if (!text.startsWith(NO_CGROUPS)) {
      return stderr;
    }
    int end = text.indexOf('\n');
    return end < 0 ? stderr : text.substring(end + 1).getBytes(UTF_8);
  }

  /** The run's facts for a failure message: exit, duration, tree, stderr. */
  public String context() {
    return "run: "
        + runner
        + " "
        + program
        + " "
        + options
        + "\n"
        + "bridge exit: "
        + (timedOut() ? "(timed out, killed)" : exitCode)
        + " after "
        + duration.toMillis()
        + " ms, "
        + tree.lines()
        + " event lines\n"
        + (options.format() == RunOptions.Format.JSON
            ? "observed tree:\n" + indent(tree.render())
            : "bridge stdout: " + Printable.bytes(stdout) + "\n")
        + "bridge stderr: "
        + Printable.bytes(stderr)
        + "\n";
  }

  private static String indent(String text) {
    return text.isEmpty() ? "" : "  " + text.replace("\n", "\n  ").stripTrailing() + "\n";
  }

  @Override
  public String toString() {
    return program
        + " -> "
        + (timedOut() ? "timeout" : "exit " + exitCode)
        + " in "
        + duration.toMillis()
        + " ms";
  }
}
