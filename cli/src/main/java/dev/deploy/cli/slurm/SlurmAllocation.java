package dev.deploy.cli.slurm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What Slurm gave a job, read from the environment of its step or batch script, never from the
 * host's totals: a node's processors are {@code SLURM_CPUS_ON_NODE} intersected with the process's
 * CPU affinity mask (with {@code task/affinity} or {@code task/cgroup} the mask is what the task
 * got; with {@code task/none} it is the whole host and the count alone says); its memory is {@code
 * SLURM_MEM_PER_NODE}, else {@code SLURM_MEM_PER_CPU} × the node's allocated processors, else (no
 * memory was asked: the job holds the whole node) the node's {@code RealMemory} as Slurm knows it.
 * Stateless.
 */
public final class SlurmAllocation {
  /**
   * The fabric JVM's own heap on a node ({@code -Xmx}); its whole footprint is {@link #reserve}.
   */
  public static final String FABRIC_HEAP = "192m";

  /** What a node's fabric keeps for its own JVM, at most: heap, metaspace, threads, code. */
  static final long FABRIC_RESERVE = 384L << 20;

  private SlurmAllocation() {}

  /** Looks up a node's memory as Slurm configures it ({@code RealMemory}, in MiB). */
  public interface RealMemory {
    /** Returns {@code node}'s RealMemory in MiB, or empty when Slurm does not say. */
    OptionalLong mebibytes(String node);
  }

  /**
   * One node's share of the job.
   *
   * @param node the node's Slurm name ({@code SLURMD_NODENAME})
   * @param cpus processors the node's fabric may place on
   * @param memory bytes the job holds on the node
   * @param memoryFrom which variable or lookup gave {@code memory}, for messages
   */
  public record NodeShare(String node, int cpus, long memory, String memoryFrom) {
    /** Returns what the fabric offers for processes: {@link #memory} less its own JVM. */
    public long capacity() {
      return memory - reserve(memory);
    }
  }

  /** What the fabric keeps of {@code memory} for its own JVM: 384 MiB, a quarter when smaller. */
  static long reserve(long memory) {
    return Math.min(FABRIC_RESERVE, memory / 4);
  }

  /**
   * Sizes the node a step's task runs on.
   *
   * @param env the task's environment
   * @param cpusAllowedList the {@code Cpus_allowed_list} line of {@code /proc/self/status}, like
   *     {@code 0-3,8}; null when unknown (then the count alone says)
   * @param realMemory the lookup used when the job asked for no memory
   * @throws IllegalArgumentException naming the variable missing or malformed
   */
  public static NodeShare ofStep(
      Map<String, String> env, String cpusAllowedList, RealMemory realMemory) {
    String node = required(env, "SLURMD_NODENAME");
    int onNode = positive(env, "SLURM_CPUS_ON_NODE");
    int cpus = cpusAllowedList == null ? onNode : Math.min(onNode, cpuCount(cpusAllowedList));
    long memory;
    String from;
    if (present(env, "SLURM_MEM_PER_NODE")) {
      memory = mebibytes(env, "SLURM_MEM_PER_NODE");
      from = "SLURM_MEM_PER_NODE";
    } else if (present(env, "SLURM_MEM_PER_CPU")) {
      memory = Math.multiplyExact(mebibytes(env, "SLURM_MEM_PER_CPU"), onNode);
      from = "SLURM_MEM_PER_CPU x SLURM_CPUS_ON_NODE";
    } else {
      OptionalLong real = realMemory.mebibytes(node);
      if (real.isEmpty() || real.getAsLong() <= 0) {
        throw new IllegalArgumentException(
            "the job asked for no memory and Slurm does not say the RealMemory of node "
                + node
                + " (scontrol show node "
                + node
                + "); ask for memory with --mem");
      }
      memory = real.getAsLong() << 20;
      from = "RealMemory of " + node;
    }
    return new NodeShare(node, cpus, memory, from);
  }

  /**
   * Returns how many processors {@code list} names: {@code 0-3,8} is 5.
   *
   * @throws IllegalArgumentException naming the list when it is not such a list
   */
  public static int cpuCount(String list) {
    String text = list.trim();
    if (!text.matches("\\d+(-\\d+)?(,\\d+(-\\d+)?)*")) {
      throw new IllegalArgumentException("the CPU list \"" + list + "\" is not like 0-3,8");
    }
    int count = 0;
    for (String part : text.split(",")) {
      int dash = part.indexOf('-');
      int low = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
      int high = Integer.parseInt(dash < 0 ? part : part.substring(dash + 1));
      if (high < low) {
        throw new IllegalArgumentException("the CPU list \"" + list + "\" runs backwards");
      }
      count += high - low + 1;
    }
    return count;
  }

  /**
   * Returns the {@code Cpus_allowed_list} value in the text of {@code /proc/self/status}, or null
   * when it has none.
   */
  public static String cpusAllowedList(String procStatus) {
    for (String line : procStatus.split("\n")) {
      if (line.startsWith("Cpus_allowed_list:")) {
        return line.substring("Cpus_allowed_list:".length()).trim();
      }
    }
    return null;
  }

  /**
   * Returns the nodes of the job, from {@code SLURM_JOB_NODELIST} (or the older {@code
   * SLURM_NODELIST}).
   *
   * @throws IllegalArgumentException when neither is set or the list is malformed
   */
  public static List<String> nodes(Map<String, String> env) {
    String list =
        present(env, "SLURM_JOB_NODELIST")
            ? env.get("SLURM_JOB_NODELIST")
            : required(env, "SLURM_NODELIST");
    return NodeList.expand(list);
  }

  /**
   * Returns the {@code -c} for one task per node: {@code SLURM_CPUS_PER_TASK} when the job set it
   * (salloc -c), else the fewest processors the job holds on any node ({@code
   * SLURM_JOB_CPUS_PER_NODE}, like {@code 4(x2),2}).
   *
   * @throws IllegalArgumentException when neither is set or one is malformed
   */
  public static int cpusPerTask(Map<String, String> env) {
    if (present(env, "SLURM_CPUS_PER_TASK")) {
      return positive(env, "SLURM_CPUS_PER_TASK");
    }
    String text = required(env, "SLURM_JOB_CPUS_PER_NODE");
    int fewest = Integer.MAX_VALUE;
    for (String part : text.split(",")) {
      String count = part.trim().replaceFirst("\\(x\\d+\\)$", "");
      if (!count.matches("\\d{1,6}") || Integer.parseInt(count) < 1) {
        throw new IllegalArgumentException(
            "SLURM_JOB_CPUS_PER_NODE=\"" + text + "\" is not like 4(x2),2");
      }
      fewest = Math.min(fewest, Integer.parseInt(count));
    }
    return fewest;
  }

  /** Returns the names of the Slurm variables {@code env} holds, for messages. */
  static List<String> slurmVariables(Map<String, String> env) {
    List<String> names = new ArrayList<>();
    for (String name : env.keySet()) {
      if (name.startsWith("SLURM")) {
        names.add(name);
      }
    }
    names.sort(null);
    return names;
  }

  private static boolean present(Map<String, String> env, String name) {
    String v = env.get(name);
    return v != null && !v.isBlank();
  }

  private static String required(Map<String, String> env, String name) {
    if (!present(env, name)) {
      throw new IllegalArgumentException(
          name + " is not set: this does not run in a Slurm job step (srun sets it)");
    }
    return env.get(name).trim();
  }

  private static int positive(Map<String, String> env, String name) {
    String v = required(env, name);
    if (!v.matches("\\d{1,6}") || Integer.parseInt(v) < 1) {
      throw new IllegalArgumentException(name + "=\"" + v + "\" is not a count of processors");
    }
    return Integer.parseInt(v);
  }

  /** A size in MiB as Slurm writes it: {@code 4096}, maybe with an {@code M} or {@code G}. */
  private static long mebibytes(Map<String, String> env, String name) {
    String v = required(env, name);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d{1,12})([MG]?)").matcher(v.toUpperCase());
    if (!m.matches() || Long.parseLong(m.group(1)) < 1) {
      throw new IllegalArgumentException(name + "=\"" + v + "\" is not a size in MiB");
    }
    long mib = Long.parseLong(m.group(1));
    return (m.group(2).equals("G") ? mib << 10 : mib) << 20;
  }
}
