package dev.deploy.e2e.tester;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares an observed process with an {@link Expect}, recursively. Children are a multiset: the
 * expected children and the observed ones are paired by a maximum bipartite matching (Kuhn's
 * augmenting paths, which backtrack over earlier choices), so {@code children(3, a).children(1, b)}
 * matches whatever order the four children came in, even when a child would match both {@code a}
 * and {@code b}.
 *
 * <p>Each (process, expectation) pair is compared once and remembered. One instance per comparison;
 * not thread safe.
 */
final class TreeMatcher {
  /** Differences found for a (process, expectation) pair; empty means they match. */
  private final Map<ObservedProcess, IdentityHashMap<Expect, List<String>>> memo = new HashMap<>();

  Match match(ObservedProcess root, Expect expected) {
    List<String> problems = problems(root, expected);
    return new Match(problems.isEmpty(), String.join("\n", problems));
  }

  /** Every difference, each line starting with {@code p}'s pid (and deeper pids for children). */
  private List<String> problems(ObservedProcess p, Expect e) {
    IdentityHashMap<Expect, List<String>> byExpect =
        memo.computeIfAbsent(p, k -> new IdentityHashMap<>());
    List<String> known = byExpect.get(e);
    if (known != null) {
      return known;
    }
    List<String> found = new ArrayList<>();
    String here = p.pid() + ": ";
    if (e.exit() != null && !e.exit().equals(p.outcome())) {
      found.add(
          here
              + "exit: expected "
              + e.exit()
              + ", got "
              + (p.outcome() == null ? "no exit event" : p.outcome()));
    }
    byte[] stdout = p.stdout();
    if (!e.stdout().accepts(stdout)) {
      found.add(
          here + "stdout: expected " + e.stdout().describe() + ", got " + Printable.bytes(stdout));
    }
    byte[] stderr = p.stderr();
    if (!e.stderr().accepts(stderr)) {
      found.add(
          here + "stderr: expected " + e.stderr().describe() + ", got " + Printable.bytes(stderr));
    }
    for (Expect.Check check : e.checks()) {
      try {
        if (!check.test().test(p)) {
          found.add(here + "check failed: " + check.description());
        }
      } catch (RuntimeException | AssertionError x) {
        found.add(here + "check threw: " + check.description() + ": " + x);
      }
    }
    if (!e.childrenUnchecked()) {
      found.addAll(childProblems(p, e));
    }
    List<String> result = List.copyOf(found);
    byExpect.put(e, result);
    return result;
  }

  private List<String> childProblems(ObservedProcess p, Expect e) {
    List<Expect> slots = e.children();
    List<ObservedProcess> kids = p.children();
    boolean[][] fits = new boolean[slots.size()][kids.size()];
    for (int s = 0; s < slots.size(); s++) {
      for (int k = 0; k < kids.size(); k++) {
        fits[s][k] = problems(kids.get(k), slots.get(s)).isEmpty();
      }
    }
    int[] slotOfKid = new int[kids.size()];
    Arrays.fill(slotOfKid, -1);
    int matched = 0;
    for (int s = 0; s < slots.size(); s++) {
      if (augment(s, fits, slotOfKid, new boolean[kids.size()])) {
        matched++;
      }
    }
    if (matched == slots.size() && matched == kids.size()) {
      return List.of();
    }
    String here = p.pid() + ": ";
    List<String> found = new ArrayList<>();
    if (slots.size() != kids.size()) {
      found.add(
          here
              + "children: expected "
              + slots.size()
              + ", got "
              + kids.size()
              + " "
              + pidsOf(kids));
    }
    boolean[] slotUsed = new boolean[slots.size()];
    for (int k = 0; k < kids.size(); k++) {
      if (slotOfKid[k] >= 0) {
        slotUsed[slotOfKid[k]] = true;
      }
    }
    for (int k = 0; k < kids.size(); k++) {
      if (slotOfKid[k] >= 0) {
        continue;
      }
      ObservedProcess kid = kids.get(k);
      int closest = closestFreeSlot(kid, slots, slotUsed);
      if (closest < 0) {
        found.add(here + "unexpected child " + kid);
        continue;
      }
      slotUsed[closest] = true;
      found.add(
          here
              + "child "
              + kid.pid()
              + " matches no expected child; closest: "
              + slots.get(closest));
      for (String nested : problems(kid, slots.get(closest))) {
        found.add(p.pid() + " > " + nested);
      }
    }
    for (int s = 0; s < slots.size(); s++) {
      if (!slotUsed[s]) {
        found.add(here + "no child for expected " + slots.get(s));
      }
    }
    return found;
  }

  /** Kuhn's step: finds a kid for slot {@code s}, moving earlier slots to other kids if needed. */
  private static boolean augment(int s, boolean[][] fits, int[] slotOfKid, boolean[] visited) {
    for (int k = 0; k < slotOfKid.length; k++) {
      if (!fits[s][k] || visited[k]) {
        continue;
      }
      visited[k] = true;
      if (slotOfKid[k] < 0 || augment(slotOfKid[k], fits, slotOfKid, visited)) {
        slotOfKid[k] = s;
        return true;
      }
    }
    return false;
  }

  /** The unused slot that {@code kid} differs least from, or -1 when every slot is used. */
  private int closestFreeSlot(ObservedProcess kid, List<Expect> slots, boolean[] used) {
    int best = -1;
    int fewest = Integer.MAX_VALUE;
    for (int s = 0; s < slots.size(); s++) {
      if (!used[s]) {
        int count = problems(kid, slots.get(s)).size();
        if (count < fewest) {
          best = s;
          fewest = count;
        }
      }
    }
    return best;
  }

  private static String pidsOf(List<ObservedProcess> kids) {
    List<String> pids = new ArrayList<>();
    kids.forEach(k -> pids.add(k.pid()));
    return pids.toString();
  }
}
