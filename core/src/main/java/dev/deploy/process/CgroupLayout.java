package dev.deploy.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where this process's own cgroups are: the directory of its group in the memory controller's
 * hierarchy and in the cpu controller's, and whether that is cgroup v1 (a hierarchy per controller,
 * {@code /sys/fs/cgroup/memory/...}) or v2 (one unified hierarchy).
 *
 * <p>Made by {@link CgroupLimits#detect()} from the text of {@code /proc/self/cgroup} and {@code
 * /proc/self/mountinfo}; the parsing touches no file, so tests feed it strings. The rule: a v1
 * hierarchy with the {@code memory} controller wins (hybrid machines mount cgroup2 next to v1,
 * usually without controllers in it), else a cgroup2 mount; a group is reachable only when its path
 * lies inside the mounted part of the hierarchy (a container's bind mount shows only its own
 * subtree). Immutable.
 */
final class CgroupLayout {
  /** The cgroup interface generation. */
  enum Version {
    /** Separate hierarchies: {@code memory.limit_in_bytes}, {@code cpu.cfs_quota_us}. */
    V1,
    /** One unified hierarchy: {@code memory.max}, {@code cpu.max}. */
    V2
  }

  /** Why this machine gives us no cgroup to work in; the message says what was looked at. */
  static final class Unavailable extends Exception {
    private static final long serialVersionUID = 1L;

    Unavailable(String message) {
      super(message);
    }
  }

  /**
   * One line of {@code /proc/self/mountinfo} for a cgroup file system.
   *
   * @param root the directory of the hierarchy that is mounted ("/" unless a bind mount)
   * @param mountPoint where it is mounted
   * @param type {@code cgroup} (v1) or {@code cgroup2}
   * @param controllers the v1 super options (controller names such as {@code memory}, {@code cpu},
   *     {@code name=systemd}); empty for v2
   * @param readOnly whether the mount or the super block is read-only
   */
  record Mount(
      String root, Path mountPoint, String type, Set<String> controllers, boolean readOnly) {}

  private final Version version;

  /** This process's group in the memory hierarchy (v2: its one group). */
  private final Path memory;

  /** This process's group in the cpu hierarchy; null when v1 has no cpu hierarchy. */
  private final Path cpu;

  CgroupLayout(Version version, Path memory, Path cpu) {
    this.version = version;
    this.memory = memory;
    this.cpu = cpu;
  }

  /**
   * Finds this process's memory and cpu groups.
   *
   * @param procSelfCgroup the text of {@code /proc/self/cgroup}
   * @param mountinfo the text of {@code /proc/self/mountinfo}
   * @throws Unavailable naming what is missing, read-only or out of reach
   */
  static CgroupLayout resolve(String procSelfCgroup, String mountinfo) throws Unavailable {
    Map<String, String> groups = parseProcCgroup(procSelfCgroup);
    List<Mount> mounts = parseMountinfo(mountinfo);
    List<Mount> memoryMounts = v1Mounts(mounts, "memory");
    if (!memoryMounts.isEmpty()) {
      String own = groups.get("memory");
      if (own == null) {
        throw new Unavailable(
            "a cgroup v1 memory hierarchy is mounted at "
                + memoryMounts.get(0).mountPoint()
                + " but /proc/self/cgroup has no memory line");
      }
      Path memoryDir = locate(memoryMounts, own, "memory");
      Path cpuDir = null;
      List<Mount> cpuMounts = v1Mounts(mounts, "cpu");
      String ownCpu = groups.get("cpu");
      if (!cpuMounts.isEmpty() && ownCpu != null) {
        try {
          cpuDir = locate(cpuMounts, ownCpu, "cpu");
        } catch (Unavailable e) {
          cpuDir = null; // memory alone is still worth having
        }
      }
      return new CgroupLayout(Version.V1, memoryDir, cpuDir);
    }
    List<Mount> unified = new ArrayList<>();
    for (Mount m : mounts) {
      if (m.type().equals("cgroup2")) {
        unified.add(m);
      }
    }
    if (unified.isEmpty()) {
      throw new Unavailable(
          "no cgroup file system with the memory controller is mounted"
              + " (neither a v1 'memory' hierarchy nor cgroup2 in /proc/self/mountinfo)");
    }
    String own = groups.get("");
    if (own == null) {
      throw new Unavailable(
          "cgroup2 is mounted at "
              + unified.get(0).mountPoint()
              + " but /proc/self/cgroup has no '0::' line");
    }
    Path dir = locate(unified, own, "cgroup2");
    return new CgroupLayout(Version.V2, dir, dir);
  }

  /**
   * Parses {@code /proc/self/cgroup}: {@code hierarchy-id:controllers:path} per line, into the path
   * by controller name ({@code "4:cpu,cpuacct:/a"} gives {@code cpu} and {@code cpuacct}); the v2
   * line {@code 0::/path} is under the key {@code ""}.
   */
  static Map<String, String> parseProcCgroup(String text) {
    Map<String, String> byController = new HashMap<>();
    for (String line : text.split("\n")) {
      int first = line.indexOf(':');
      int second = first < 0 ? -1 : line.indexOf(':', first + 1);
      if (second < 0) {
        continue;
      }
      String controllers = line.substring(first + 1, second);
      String path = line.substring(second + 1).trim();
      if (controllers.isEmpty()) {
        byController.putIfAbsent("", path);
        continue;
      }
      for (String c : controllers.split(",")) {
        byController.putIfAbsent(c, path);
      }
    }
    return byController;
  }

  /**
   * Parses the cgroup lines of {@code /proc/self/mountinfo}: {@code id parent major:minor root
   * mount-point options [optional fields] - type source super-options}, with the kernel's octal
   * escapes ({@code \040} for a space) undone. Other file systems and malformed lines are skipped.
   */
  static List<Mount> parseMountinfo(String text) {
    List<Mount> mounts = new ArrayList<>();
    for (String line : text.split("\n")) {
      String[] f = line.trim().split(" ");
      int dash = -1;
      for (int i = 6; i < f.length; i++) {
        if (f[i].equals("-")) {
          dash = i;
          break;
        }
      }
      if (dash < 0 || dash + 3 >= f.length) {
        continue;
      }
      String type = f[dash + 1];
      if (!type.equals("cgroup") && !type.equals("cgroup2")) {
        continue;
      }
      Set<String> superOptions = new LinkedHashSet<>(List.of(f[dash + 3].split(",")));
      boolean readOnly = List.of(f[5].split(",")).contains("ro") || superOptions.contains("ro");
      superOptions.remove("rw");
      superOptions.remove("ro");
      Set<String> controllers = type.equals("cgroup") ? Set.copyOf(superOptions) : Set.of();
      mounts.add(new Mount(unescape(f[3]), Path.of(unescape(f[4])), type, controllers, readOnly));
    }
    return mounts;
  }

  /** Returns the generation of the hierarchies found. */
  Version version() {
    return version;
  }

  /** Returns this process's group in the memory hierarchy (v2: its one group). */
  Path memory() {
    return memory;
  }

  /** Returns this process's group in the cpu hierarchy, when there is one. */
  Optional<Path> cpu() {
    return Optional.ofNullable(cpu);
  }

  @Override
  public String toString() {
    return version == Version.V2
        ? "cgroup v2 at " + memory
        : "cgroup v1, memory at " + memory + ", cpu at " + (cpu == null ? "(none)" : cpu);
  }

  private static List<Mount> v1Mounts(List<Mount> mounts, String controller) {
    List<Mount> found = new ArrayList<>();
    for (Mount m : mounts) {
      if (m.type().equals("cgroup") && m.controllers().contains(controller)) {
        found.add(m);
      }
    }
    return found;
  }

  /** Returns the directory of group {@code path} in the first mount that shows it. */
  private static Path locate(List<Mount> mounts, String path, String what) throws Unavailable {
    if (!path.startsWith("/") || List.of(path.split("/")).contains("..")) {
      throw new Unavailable(
          "this process's " + what + " cgroup \"" + path + "\" is outside its cgroup namespace");
    }
    Mount readOnly = null;
    for (Mount m : mounts) {
      String root = m.root();
      String rest;
      if (root.equals("/")) {
        rest = path.substring(1);
      } else if (path.equals(root)) {
        rest = "";
      } else if (path.startsWith(root + "/")) {
        rest = path.substring(root.length() + 1);
      } else {
        continue;
      }
      if (m.readOnly()) {
        readOnly = m;
        continue;
      }
      return rest.isEmpty() ? m.mountPoint() : m.mountPoint().resolve(rest);
    }
    if (readOnly != null) {
      throw new Unavailable(
          "the " + what + " cgroup hierarchy is mounted read-only at " + readOnly.mountPoint());
    }
    throw new Unavailable(
        "this process's "
            + what
            + " cgroup \""
            + path
            + "\" is not inside the mounted part of the hierarchy (mount root \""
            + mounts.get(0).root()
            + "\" at "
            + mounts.get(0).mountPoint()
            + ")");
  }

  /** Undoes mountinfo's octal escapes: {@code \040} space, {@code \011} tab, {@code \134} \. */
  private static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && isOctal(s, i + 1)) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '7') {
        return false;
      }
    }
    return true;
  }
}
