package dev.deploy.e2e.tester;

import dev.deploy.bridge.JsonEvents;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The process tree a run's JSON events describe, built line by line as the bridge prints them, with
 * every breach of docs/api.md's ordering rules recorded as a violation: a {@code spawn} before any
 * other event of its pid, a parent spawned before its child, exactly one root (parent null), no
 * output after a stream's eof or after the exit, the exit after the eof of both fd 1 and fd 2, one
 * exit per process.
 *
 * <pre>{@code
 * ProcessTree tree = new ProcessTree();
 * lines.forEach(tree::accept);
 * tree.violations(true);        // [] when the events kept the rules and every process ended
 * tree.matches(EXPECTED);       // Match(matched, report)
 * }</pre>
 *
 * <p>Thread safe: the thread reading the bridge's stdout calls {@link #accept}; a test may watch
 * {@link #size()} or {@link #pids()} meanwhile. The {@link ObservedProcess} objects are to be read
 * once the reading thread has been joined.
 */
public final class ProcessTree {
  private static final Pattern PID = Pattern.compile("[0-9a-f]{7}");
  private static final Set<String> SPAWN_KEYS = Set.of("event", "pid", "parent");
  private static final Set<String> DATA_KEYS = Set.of("event", "pid", "fd", "data");
  private static final Set<String> EOF_KEYS = Set.of("event", "pid", "fd", "eof");

  /** Every process by pid, in the order of their spawn events. */
  private final Map<String, ObservedProcess> processes = new LinkedHashMap<>();

  /** Processes in the order of their exit events: docs/api.md's exit rule reads this order. */
  private final List<ObservedProcess> exits = new ArrayList<>();

  private final List<String> violations = new ArrayList<>();
  private ObservedProcess root;

  /** The {@code wait} and {@code placed} events, as parsed, in order. */
  private final List<Map<String, Object>> notices = new ArrayList<>();

  /** The node each process's events named (a cluster run), by pid. */
  private final Map<String, String> nodes = new LinkedHashMap<>();

  private long lines;

  /** Returns the {@code wait} and {@code placed} events so far, as parsed, in order. */
  public synchronized List<Map<String, Object>> notices() {
    return List.copyOf(notices);
  }

  /** Returns the node {@code pid}'s events named, or null (a local run names none). */
  public synchronized String node(String pid) {
    return nodes.get(pid);
  }

  /** Takes the next line the bridge printed on stdout. */
  public synchronized void accept(String line) {
    long index = lines++;
    Map<String, Object> event;
    try {
      event = JsonEvents.parseLine(line);
    } catch (IllegalArgumentException e) {
      violation(index, e.getMessage());
      return;
    }
    Object pid = event.get("pid");
    if (!(pid instanceof String p) || !PID.matcher(p).matches()) {
      violation(index, "no 7-hex-digit \"pid\" in " + cut(line));
      return;
    }
    Object ts = event.get("ts");
    if (!(ts instanceof Number n) || n.longValue() <= 0) {
      violation(index, "no \"ts\" (ms since the epoch) in " + cut(line));
      return;
    }
    Object node = event.get("node");
    if (node != null && !(node instanceof String)) {
      violation(index, "a \"node\" that is not a string in " + cut(line));
      return;
    }
    if (node != null) {
      String before = nodes.putIfAbsent(p, (String) node);
      if (before != null && !before.equals(node)) {
        violation(index, "process " + p + " on node " + before + ", then " + cut(line));
      }
    }
    Map<String, Object> stamped = event;
    event = new java.util.LinkedHashMap<>(event);
    event.remove("ts");
    event.remove("node");
    Object kind = event.get("event");
    if ("wait".equals(kind) || "placed".equals(kind)) {
      if (!processes.containsKey(p)) {
        violation(index, kind + " of a process not spawned before: " + cut(line));
      }
      notices.add(stamped);
      return;
    }
    if ("spawn".equals(kind)) {
      onSpawn(index, p, event, line);
    } else if ("output".equals(kind)) {
      onOutput(index, p, event, line);
    } else if ("exit".equals(kind)) {
      onExit(index, p, event, line);
    } else {
      violation(index, "unknown event " + kind + " in " + cut(line));
    }
  }

  private void onSpawn(long index, String pid, Map<String, Object> event, String line) {
    if (!event.keySet().equals(SPAWN_KEYS)) {
      violation(index, "a spawn event has exactly event, pid, parent: " + cut(line));
      return;
    }
    if (processes.containsKey(pid)) {
      violation(index, "second spawn event of " + pid);
      return;
    }
    Object parentPid = event.get("parent");
    ObservedProcess parent = null;
    if (parentPid == null) {
      if (root != null) {
        violation(index, pid + " is a second root (parent null); the root is " + root.pid());
      }
    } else {
      parent = processes.get(String.valueOf(parentPid));
      if (parent == null) {
        violation(index, pid + " names parent " + parentPid + ", which was never spawned");
      }
    }
    ObservedProcess process = new ObservedProcess(pid, parent, index);
    processes.put(pid, process);
    if (parentPid == null && root == null) {
      root = process;
    }
    if (parent != null) {
      parent.addChild(process);
    }
  }

  private void onOutput(long index, String pid, Map<String, Object> event, String line) {
    ObservedProcess process = processes.get(pid);
    if (process == null) {
      violation(index, "output of " + pid + " before its spawn event");
      return;
    }
    Object fd = event.get("fd");
    if (!(fd instanceof Integer f) || (f != 1 && f != 2)) {
      violation(index, "output of " + pid + " on fd " + fd + "; only 1 and 2 exist");
      return;
    }
    if (process.outcome() != null) {
      violation(index, "output of " + pid + " on fd " + f + " after its exit event");
      return;
    }
    if (process.eof(f)) {
      violation(index, "output of " + pid + " on fd " + f + " after that fd's eof");
      return;
    }
    if (event.keySet().equals(EOF_KEYS) && Boolean.TRUE.equals(event.get("eof"))) {
      process.setEof(f);
    } else if (event.keySet().equals(DATA_KEYS) && event.get("data") instanceof String data) {
      try {
        process.append(f, Base64.getDecoder().decode(data));
      } catch (IllegalArgumentException e) {
        violation(index, "output of " + pid + " is not base64: " + e.getMessage());
      }
    } else {
      violation(index, "an output event has data or \"eof\":true, not both: " + cut(line));
    }
  }

  private void onExit(long index, String pid, Map<String, Object> event, String line) {
    ObservedProcess process = processes.get(pid);
    if (process == null) {
      violation(index, "exit of " + pid + " before its spawn event");
      return;
    }
    if (process.outcome() != null) {
      violation(index, "second exit event of " + pid);
      return;
    }
    Outcome outcome = outcomeOf(event);
    if (outcome == null) {
      violation(index, "an exit event has one of code, signal, lost:true: " + cut(line));
      return;
    }
    if (!process.eof(1) || !process.eof(2)) {
      violation(
          index,
          "exit of "
              + pid
              + " before the eof of "
              + (process.eof(1) ? "fd 2" : "fd 1")
              + (process.eof(1) || process.eof(2) ? "" : " and fd 2"));
    }
    process.setOutcome(outcome, index);
    if (event.get("reason") instanceof String reason) {
      process.setExitReason(reason);
    }
    exits.add(process);
  }

  private static Outcome outcomeOf(Map<String, Object> event) {
    boolean memoryLimit =
        event.size() == 5
            && Boolean.TRUE.equals(event.get("oom"))
            && "memory-limit".equals(event.get("reason"));
    if (event.size() != 3 && !(memoryLimit && "SIGKILL".equals(event.get("signal")))) {
      // "oom":true,"reason":"memory-limit" mark only a SIGKILL, from a cgroup's memory limit
      return null;
    }
    if (event.get("code") instanceof Integer code) {
      return Outcome.exited(code);
    }
    if (event.get("signal") instanceof String signal && signal.matches("SIG[A-Z0-9]+")) {
      return Outcome.killedBy(signal);
    }
    if (Boolean.TRUE.equals(event.get("lost"))) {
      return Outcome.lost();
    }
    return null;
  }

  private void violation(long index, String what) {
    if (violations.size() < 50) {
      violations.add("line " + (index + 1) + ": " + what);
    }
  }

  private static String cut(String line) {
    return Printable.text(line, 200);
  }

  // ----- reading the tree

  /** How many event lines came. */
  public synchronized long lines() {
    return lines;
  }

  /** How many processes were spawned so far. */
  public synchronized int size() {
    return processes.size();
  }

  /** Pids spawned so far, in spawn order. */
  public synchronized List<String> pids() {
    return List.copyOf(processes.keySet());
  }

  /**
   * Every process's stdout so far as UTF-8, by pid in spawn order: unlike {@link ObservedProcess},
   * safe to read while the run goes on.
   */
  public synchronized Map<String, String> stdoutSoFar() {
    Map<String, String> out = new LinkedHashMap<>();
    processes.forEach((pid, p) -> out.put(pid, p.stdoutText()));
    return out;
  }

  /** How many processes have an exit event so far. */
  public synchronized int exited() {
    return exits.size();
  }

  /** The root (parent null), or null if none came. */
  public synchronized ObservedProcess root() {
    return root;
  }

  /** The process with this pid, or null. */
  public synchronized ObservedProcess process(String pid) {
    return processes.get(pid);
  }

  /** Every process, in spawn order. */
  public synchronized List<ObservedProcess> processes() {
    return List.copyOf(processes.values());
  }

  /**
   * Breaches of docs/api.md's rules seen so far; with {@code finished} (the bridge exited by
   * itself) also a missing root and processes without an exit event.
   */
  public synchronized List<String> violations(boolean finished) {
    List<String> all = new ArrayList<>(violations);
    if (finished) {
      if (root == null) {
        all.add("no root process (a spawn event with parent null) in " + lines + " lines");
      }
      for (ObservedProcess p : processes.values()) {
        if (p.outcome() == null) {
          all.add(p.pid() + " has no exit event");
        }
      }
    }
    return all;
  }

  /**
   * docs/api.md's exit code for these events: 0 when every process exited 0, else the shell code of
   * the first exit event, in event order, that was not a success.
   */
  public synchronized int bridgeCodeByRule() {
    for (ObservedProcess p : exits) {
      if (!p.outcome().success()) {
        return p.outcome().shellCode();
      }
    }
    return 0;
  }

  /** Compares the tree with {@code expected}; the report says where and how they differ. */
  public synchronized Match matches(Expect expected) {
    Objects.requireNonNull(expected, "expected");
    if (root == null) {
      return new Match(false, "no root process came\n");
    }
    return new TreeMatcher().match(root, expected);
  }

  /**
   * The tree's shape without pids or output: each process's outcome and its children's shapes,
   * sorted, like {@code exit 0[exit 0, killed by SIGKILL]}. Two runners that ran the same program
   * correctly give the same shape.
   */
  public synchronized String shape() {
    return root == null ? "(no root)" : shapeOf(root);
  }

  private static String shapeOf(ObservedProcess p) {
    String self = String.valueOf(p.outcome());
    if (p.children().isEmpty()) {
      return self;
    }
    List<String> kids = new ArrayList<>();
    p.children().forEach(c -> kids.add(shapeOf(c)));
    kids.sort(null);
    return self + kids;
  }

  /** The tree, one process a line, children indented, with outcome and outputs cut short. */
  public synchronized String render() {
    StringBuilder out = new StringBuilder();
    for (ObservedProcess p : processes.values()) {
      if (p.parent() == null) {
        render(p, "", out);
      }
    }
    return out.length() == 0 ? "(no processes)\n" : out.toString();
  }

  private static void render(ObservedProcess p, String indent, StringBuilder out) {
    out.append(indent)
        .append(p.pid())
        .append(' ')
        .append(p.outcome() == null ? "(no exit event)" : p.outcome())
        .append(", stdout ")
        .append(Printable.bytes(p.stdout()))
        .append(", stderr ")
        .append(Printable.bytes(p.stderr()))
        .append('\n');
    for (ObservedProcess child : p.children()) {
      render(child, indent + "  ", out);
    }
  }
}
