package dev.deploy.ui;

import dev.deploy.master.NodeUse;
import dev.deploy.master.SpawnLatency;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.Locale;

/**
 * Writes {@code /metrics} in Prometheus' text exposition format (version 0.0.4): each family's
 * {@code # HELP} and {@code # TYPE} once, then its samples, label values escaped. Names:
 *
 * <ul>
 *   <li>{@code deploy_processes{state="running"|"waiting"}} (gauge; waiting: spawns queued for
 *       room)
 *   <li>{@code deploy_processes_ended_total{state="exited"|"killed"|"lost"}}
 *   <li>{@code deploy_spawns_total}, {@code deploy_spawn_duration_seconds} (histogram, placement to
 *       registration)
 *   <li>{@code deploy_output_bytes_total{stream="stdout"|"stderr"}}
 *   <li>{@code deploy_channel_values_total{direction="sent"|"received"}}, {@code
 *       deploy_channel_bytes_total{direction=...}} (as the processes last reported them)
 *   <li>{@code deploy_warm_pool_hits_total}, {@code deploy_warm_pool_misses_total} (this machine's
 *       fabric)
 *   <li>{@code deploy_node_up}, {@code deploy_node_memory_bytes}, {@code deploy_node_cpu_cores}
 *       ({@code node}, and {@code kind="capacity"|"used"})
 *   <li>{@code deploy_deployments{state="running"|"ended"}}
 *   <li>{@code jvm_memory_used_bytes}, {@code jvm_memory_committed_bytes} ({@code area="heap"|
 *       "nonheap"}), {@code jvm_threads_current}, {@code jvm_classes_loaded}, {@code
 *       jvm_gc_collections_total} and {@code jvm_gc_collection_seconds_total} ({@code gc}), {@code
 *       process_cpu_seconds_total}, {@code process_start_time_seconds}
 * </ul>
 *
 * <p>Stateless apart from the sources it reads; any thread may call {@link #write}.
 */
final class MetricsText {
  private final StringBuilder b = new StringBuilder(4096);

  private MetricsText() {}

  /** Returns the whole exposition. */
  static String write(
      RunView.Counts counts, List<NodeUse> nodes, SpawnLatency latency, long[] warmHitsAndMisses) {
    MetricsText m = new MetricsText();
    m.family("deploy_processes", "gauge", "Processes running, and spawns waiting for room.");
    m.sample("deploy_processes", "state", "running", counts.running());
    m.sample("deploy_processes", "state", "waiting", counts.waiting());
    m.family("deploy_processes_ended_total", "counter", "Processes that ended, by how.");
    m.sample("deploy_processes_ended_total", "state", "exited", counts.exited());
    m.sample("deploy_processes_ended_total", "state", "killed", counts.killed());
    m.sample("deploy_processes_ended_total", "state", "lost", counts.lost());
    m.family("deploy_spawns_total", "counter", "Processes spawned.");
    m.sample("deploy_spawns_total", null, null, counts.spawns());
    if (latency != null) {
      m.histogram(latency);
    }
    m.family("deploy_output_bytes_total", "counter", "Bytes the processes wrote, by stream.");
    m.sample("deploy_output_bytes_total", "stream", "stdout", counts.stdoutBytes());
    m.sample("deploy_output_bytes_total", "stream", "stderr", counts.stderrBytes());
    String values = "deploy_channel_values_total";
    m.family(values, "counter", "Values the processes' channels sent and received.");
    m.sample(values, "direction", "sent", counts.channelValuesSent());
    m.sample(values, "direction", "received", counts.channelValuesReceived());
    String bytes = "deploy_channel_bytes_total";
    m.family(bytes, "counter", "Encoded bytes of the values the processes' channels carried.");
    m.sample(bytes, "direction", "sent", counts.channelBytesSent());
    m.sample(bytes, "direction", "received", counts.channelBytesReceived());
    if (warmHitsAndMisses != null) {
      m.family("deploy_warm_pool_hits_total", "counter", "Spawns given a warm JVM here.");
      m.sample("deploy_warm_pool_hits_total", null, null, warmHitsAndMisses[0]);
      m.family("deploy_warm_pool_misses_total", "counter", "Spawns that started a new JVM here.");
      m.sample("deploy_warm_pool_misses_total", null, null, warmHitsAndMisses[1]);
    }
    m.family("deploy_deployments", "gauge", "Deployments the bridge holds, by state.");
    m.sample("deploy_deployments", "state", "running", counts.deploymentsRunning());
    m.sample("deploy_deployments", "state", "ended", counts.deploymentsEnded());
    m.nodes(nodes);
    m.jvm();
    return m.b.toString();
  }

  private void nodes(List<NodeUse> nodes) {
    family("deploy_node_up", "gauge", "1 while the node is reachable.");
    for (NodeUse n : nodes) {
      sample("deploy_node_up", "node", n.name(), n.up() ? 1 : 0);
    }
    family("deploy_node_memory_bytes", "gauge", "Node memory: capacity, and used by processes.");
    for (NodeUse n : nodes) {
      long capacity = n.capacity().memory();
      sample2("deploy_node_memory_bytes", n.name(), "capacity", capacity);
      sample2("deploy_node_memory_bytes", n.name(), "used", capacity - n.freeMemory());
    }
    family("deploy_node_cpu_cores", "gauge", "Node cores: capacity, and used by processes.");
    for (NodeUse n : nodes) {
      sample2("deploy_node_cpu_cores", n.name(), "capacity", n.capacity().cpu());
      sample2("deploy_node_cpu_cores", n.name(), "used", n.capacity().cpu() - n.freeCpu());
    }
  }

  private void histogram(SpawnLatency latency) {
    String name = "deploy_spawn_duration_seconds";
    family(name, "histogram", "Spawns from placement to registration.");
    long[] cumulative = latency.cumulative();
    for (int i = 0; i < SpawnLatency.BOUNDS.length; i++) {
      sample(name + "_bucket", "le", number(SpawnLatency.BOUNDS[i]), cumulative[i]);
    }
    long count = cumulative[cumulative.length - 1];
    sample(name + "_bucket", "le", "+Inf", count);
    sample(name + "_sum", null, null, latency.sumSeconds());
    sample(name + "_count", null, null, count);
  }

  private void jvm() {
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    MemoryUsage nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
    family("jvm_memory_used_bytes", "gauge", "Memory used by this JVM, by area.");
    sample("jvm_memory_used_bytes", "area", "heap", heap.getUsed());
    sample("jvm_memory_used_bytes", "area", "nonheap", nonHeap.getUsed());
    family("jvm_memory_committed_bytes", "gauge", "Memory committed by this JVM, by area.");
    sample("jvm_memory_committed_bytes", "area", "heap", heap.getCommitted());
    sample("jvm_memory_committed_bytes", "area", "nonheap", nonHeap.getCommitted());
    family("jvm_threads_current", "gauge", "Live threads of this JVM.");
    sample("jvm_threads_current", null, null, ManagementFactory.getThreadMXBean().getThreadCount());
    family("jvm_classes_loaded", "gauge", "Classes loaded now.");
    sample(
        "jvm_classes_loaded",
        null,
        null,
        ManagementFactory.getClassLoadingMXBean().getLoadedClassCount());
    List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
    family("jvm_gc_collections_total", "counter", "Collections, by collector.");
    for (GarbageCollectorMXBean gc : gcs) {
      sample("jvm_gc_collections_total", "gc", gc.getName(), Math.max(0, gc.getCollectionCount()));
    }
    family("jvm_gc_collection_seconds_total", "counter", "Time in collections, by collector.");
    for (GarbageCollectorMXBean gc : gcs) {
      sample(
          "jvm_gc_collection_seconds_total",
          "gc",
          gc.getName(),
          Math.max(0, gc.getCollectionTime()) / 1000.0);
    }
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      family("process_cpu_seconds_total", "counter", "CPU time of this JVM's process.");
      sample("process_cpu_seconds_total", null, null, Math.max(0, os.getProcessCpuTime()) / 1e9);
    }
    family("process_start_time_seconds", "gauge", "When this JVM started, since the epoch.");
    sample(
        "process_start_time_seconds",
        null,
        null,
        ManagementFactory.getRuntimeMXBean().getStartTime() / 1000.0);
  }

  private void family(String name, String type, String help) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n');
    b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private void sample(String name, String label, String value, double number) {
    b.append(name);
    if (label != null) {
      b.append('{').append(label).append("=\"");
      escape(value);
      b.append("\"}");
    }
    b.append(' ').append(number(number)).append('\n');
  }

  private void sample2(String name, String node, String kind, double number) {
    b.append(name).append("{node=\"");
    escape(node);
    b.append("\",kind=\"").append(kind).append("\"} ").append(number(number)).append('\n');
  }

  /** Escapes a label value as the format wants: backslash, double quote and newline. */
  private void escape(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '"' -> b.append("\\\"");
        case '\n' -> b.append("\\n");
        default -> b.append(c);
      }
    }
  }

  /** Integers without a fraction, others as Java writes doubles (Go's parser reads both). */
  private static String number(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return String.format(Locale.ROOT, "%s", v);
  }
}
