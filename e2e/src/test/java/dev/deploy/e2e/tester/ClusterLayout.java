package dev.deploy.e2e.tester;

import java.util.List;

/**
 * What a test {@link Cluster} is made of: the master's own capacity and the workers. Immutable.
 *
 * @param master on 127.0.0.1
 * @param workers each on another loopback address
 */
public record ClusterLayout(Machine master, List<Machine> workers) {
  /**
   * A machine of the cluster: its loopback address (the master is always 127.0.0.1) and what it may
   * run, as {@code fabric master} takes them ({@code "1GiB"}, {@code "2"}).
   *
   * @param advertise null: the worker binds {@code host}; else it binds the wildcard {@code
   *     0.0.0.0} with {@code --advertise <advertise>}, and the master still dials {@code host}
   */
  public record Machine(String host, String memory, String cpu, String advertise) {
    /** A machine whose worker binds {@code host}. */
    public Machine(String host, String memory, String cpu) {
      this(host, memory, cpu, null);
    }

    /** This machine with its worker bound to 0.0.0.0 and advertising {@code address}. */
    public Machine onWildcard(String address) {
      return new Machine(host, memory, cpu, address);
    }
  }

  /**
   * The cluster the suite runs on: the master takes 2 GiB and 2 cores itself, two workers 4 GiB and
   * 2 cores each (the manual check of the cluster, with a third machine).
   */
  public static final ClusterLayout THREE_MACHINES =
      of("2GiB", "2", new Machine("127.0.0.2", "4GiB", "2"), new Machine("127.0.0.3", "4GiB", "2"));

  /**
   * Three machines of 1 GiB and one core: a first process of 128 MiB and three children of 768 MiB
   * fit only one child per machine, and then nothing of 768 MiB fits anywhere.
   */
  public static final ClusterLayout THREE_SMALL_MACHINES =
      of("1GiB", "1", new Machine("127.0.0.2", "1GiB", "1"), new Machine("127.0.0.3", "1GiB", "1"));

  /**
   * The master and one worker of 1 GiB and one core each, the worker bound to 0.0.0.0 and
   * advertising 127.0.0.1 (the master dials it at 127.0.0.2).
   */
  public static final ClusterLayout WILDCARD_WORKER =
      of("1GiB", "1", new Machine("127.0.0.2", "1GiB", "1").onWildcard("127.0.0.1"));

  /** Checks the workers are on loopback addresses other than the master's. */
  public ClusterLayout {
    workers = List.copyOf(workers);
    for (Machine w : workers) {
      if (!w.host().startsWith("127.") || w.host().equals("127.0.0.1")) {
        throw new IllegalArgumentException(
            "a worker must have its own 127.0.0.0/8 address, not " + w.host());
      }
    }
  }

  /** The master on 127.0.0.1 with {@code memory} and {@code cpu}, and {@code workers}. */
  public static ClusterLayout of(String memory, String cpu, Machine... workers) {
    return new ClusterLayout(new Machine("127.0.0.1", memory, cpu), List.of(workers));
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("master " + master.memory() + " " + master.cpu());
    workers.forEach(
        w ->
            s.append(", ")
                .append(w.host())
                .append(' ')
                .append(w.memory())
                .append(' ')
                .append(w.cpu())
                .append(w.advertise() == null ? "" : " on 0.0.0.0 advertising " + w.advertise()));
    return s.toString();
  }
}
