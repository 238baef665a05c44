package dev.deploy.process;

import dev.deploy.logging.Loggers;
import dev.deploy.process.CgroupLayout.Unavailable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;

/**
 * Makes a cgroup v2 group able to hold limited child groups: the memory (and, when offered, cpu)
 * controller enabled in {@code cgroup.subtree_control} of the fabric's own group and of its {@code
 * deploy-<pid>} parent, which v2 requires before a child has {@code memory.max} or {@code cpu.max}.
 *
 * <p>v2's "no internal processes" rule: a group other than the root cannot enable controllers for
 * its children while it holds processes itself (the write fails with EBUSY). When the fabric is the
 * only process in its own group, it moves itself into the leaf {@code deploy-<pid>/fabric} and
 * tries again; when there are others, it reports them rather than moving processes that are not its
 * own. Called once by {@link CgroupLimits#open} on the detecting thread.
 */
final class CgroupDelegation {
  private static final Logger log = Loggers.get(CgroupDelegation.class);

  private CgroupDelegation() {}

  /**
   * Creates {@code parent} (a child of {@code own}) and enables the controllers down to it.
   *
   * @return the controllers enabled for {@code parent}'s children: {@code memory}, maybe {@code
   *     cpu}
   * @throws Unavailable when {@code own} is not given the memory controller, holds other processes,
   *     or the kernel refuses, naming the group and the pids
   */
  static Set<String> prepare(Path own, Path parent, long fabricPid) throws Unavailable {
    return prepare(own, parent, fabricPid, true);
  }

  /**
   * As {@link #prepare(Path, Path, long)}; with {@code mayMoveSelf} false (a local run: the fabric
   * is the JVM the user started, which we never move) a group that needs the fabric moved out is
   * reported instead, and {@code parent} is removed again.
   */
  static Set<String> prepare(Path own, Path parent, long fabricPid, boolean mayMoveSelf)
      throws Unavailable {
    Set<String> offered = words(CgroupGroup.readOrEmpty(own.resolve("cgroup.controllers")));
    if (!offered.contains("memory")) {
      throw new Unavailable(
          "cgroup v2 group "
              + own
              + " is not given the memory controller (cgroup.controllers: \""
              + String.join(" ", offered)
              + "\"): it must be delegated to us");
    }
    List<String> wanted = offered.contains("cpu") ? List.of("memory", "cpu") : List.of("memory");
    CgroupLimits.makeParent(parent);
    if (!enable(own, wanted)) {
      if (!mayMoveSelf) {
        refuseToMoveSelf(own, parent, fabricPid);
      }
      moveSelfDown(own, parent, fabricPid);
      if (!enable(own, wanted)) {
        throw new Unavailable(
            "cannot enable " + wanted + " in " + own.resolve("cgroup.subtree_control"));
      }
    }
    if (!enable(parent, wanted)) {
      throw new Unavailable(
          "cannot enable " + wanted + " in " + parent.resolve("cgroup.subtree_control"));
    }
    return words(CgroupGroup.readOrEmpty(parent.resolve("cgroup.subtree_control")));
  }

  /**
   * Enables {@code controllers} for {@code dir}'s children: all in one write, else one at a time
   * (cpu is refused while a real-time task is in the group, memory need not suffer for it).
   *
   * @return whether memory is enabled, the one controller we cannot do without
   */
  private static boolean enable(Path dir, List<String> controllers) {
    Path control = dir.resolve("cgroup.subtree_control");
    Set<String> on = words(CgroupGroup.readOrEmpty(control));
    List<String> missing = new ArrayList<>();
    for (String c : controllers) {
      if (!on.contains(c)) {
        missing.add("+" + c);
      }
    }
    if (missing.isEmpty()) {
      return true;
    }
    try {
      CgroupGroup.write(control, String.join(" ", missing));
      return true;
    } catch (IOException e) {
      log.debug("cgroup: {} refused {}: {}", control, missing, CgroupGroup.why(e));
    }
    if (missing.size() > 1) {
      for (String c : missing) {
        try {
          CgroupGroup.write(control, c);
        } catch (IOException e) {
          log.info("cgroup: {} refused {}: {}", control, c, CgroupGroup.why(e));
        }
      }
    }
    return words(CgroupGroup.readOrEmpty(control)).contains("memory");
  }

  /**
   * Obeys v2's "no internal processes" rule: moves the fabric out of its own group {@code own} into
   * the leaf {@code parent/fabric}, when the fabric is the only process there.
   */
  private static void moveSelfDown(Path own, Path parent, long fabricPid) throws Unavailable {
    Set<Long> inside = CgroupGroup.pidsIn(own);
    Set<Long> others = new LinkedHashSet<>(inside);
    others.remove(fabricPid);
    if (!others.isEmpty()) {
      throw new Unavailable(
          "cgroup v2 group "
              + own
              + " holds processes other than this fabric (pids "
              + others
              + "), so its controllers cannot be enabled for child groups"
              + " (the \"no internal processes\" rule); start the fabric in a group of its own,"
              + " e.g. systemd-run --scope -p Delegate=yes");
    }
    if (inside.isEmpty()) {
      return; // nothing to move: the refusal has another cause, reported by the caller
    }
    Path leaf = CgroupLimits.makeParent(parent.resolve(CgroupLimits.SELF_LEAF));
    try {
      CgroupGroup.write(leaf.resolve("cgroup.procs"), Long.toString(fabricPid));
      log.info("moved this fabric (pid {}) into cgroup {} to enable controllers", fabricPid, leaf);
    } catch (IOException e) {
      throw new Unavailable(
          "cannot move fabric pid " + fabricPid + " into " + leaf + ": " + CgroupGroup.why(e));
    }
  }

  /**
   * Throws why controllers cannot be enabled in {@code own} when the fabric may not leave it: v2's
   * "no internal processes" rule, with the pids in the group; removes {@code parent}.
   */
  private static void refuseToMoveSelf(Path own, Path parent, long fabricPid) throws Unavailable {
    try {
      java.nio.file.Files.deleteIfExists(parent);
    } catch (IOException e) {
      log.debug("cgroup: cannot remove {}: {}", parent, CgroupGroup.why(e));
    }
    Set<Long> inside = CgroupGroup.pidsIn(own);
    if (!inside.contains(fabricPid)) {
      throw new Unavailable(
          "cannot enable the memory controller in " + own.resolve("cgroup.subtree_control"));
    }
    throw new Unavailable(
        "cgroup v2 group "
            + own
            + " holds this JVM (pid "
            + fabricPid
            + (inside.size() > 1 ? " and " + (inside.size() - 1) + " other processes" : "")
            + "), so it cannot have limited child groups (the \"no internal processes\" rule),"
            + " and a local run does not move the JVM you started; run it in a delegated group"
            + " of its own, e.g. systemd-run --user --scope -p Delegate=yes java ...");
  }

  /** Returns the reading of a file of space-separated names, "+" and "-" prefixes dropped. */
  private static Set<String> words(String text) {
    Set<String> words = new LinkedHashSet<>();
    for (String w : text.split("\\s+")) {
      String name = w.startsWith("+") || w.startsWith("-") ? w.substring(1) : w;
      if (!name.isEmpty()) {
        words.add(name);
      }
    }
    return words;
  }
}
