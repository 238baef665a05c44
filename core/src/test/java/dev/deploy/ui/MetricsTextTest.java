package dev.deploy.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Resources;
import dev.deploy.master.NodeUse;
import dev.deploy.master.SpawnLatency;
import dev.deploy.testing.PrometheusText;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class MetricsTextTest {
  private static final RunView.Counts COUNTS =
      new RunView.Counts(3, 1, 10, 5, 1, 1, 1234, 56, 1, 2);

  @Test
  void givenCountsNodesAndLatency_whenWritten_thenStrictParserReadsEveryFamily() {
    SpawnLatency latency = new SpawnLatency();
    latency.record(5_000_000);
    latency.record(300_000_000);
    latency.record(40_000_000_000L);
    List<NodeUse> nodes =
        List.of(
            new NodeUse("master", new Resources(2L << 30, 2), 1L << 30, 1.5, true),
            new NodeUse(
                "10.0.0.2:7000 \"odd\\name\"", new Resources(4L << 30, 4), 4L << 30, 4, false));

    Map<String, PrometheusText.Family> families =
        PrometheusText.parse(MetricsText.write(COUNTS, nodes, latency, new long[] {7, 2}));

    assertThat(families)
        .containsKeys(
            "deploy_processes",
            "deploy_processes_ended_total",
            "deploy_spawns_total",
            "deploy_spawn_duration_seconds",
            "deploy_output_bytes_total",
            "deploy_warm_pool_hits_total",
            "deploy_node_memory_bytes",
            "deploy_node_cpu_cores",
            "deploy_node_up",
            "jvm_memory_used_bytes",
            "jvm_gc_collection_seconds_total",
            "process_start_time_seconds");
    assertThat(value(families, "deploy_processes", "state", "running")).isEqualTo(3);
    assertThat(value(families, "deploy_processes", "state", "waiting")).isEqualTo(1);
    assertThat(value(families, "deploy_output_bytes_total", "stream", "stdout")).isEqualTo(1234);
    assertThat(families.get("deploy_spawn_duration_seconds").samples())
        .filteredOn(s -> s.name().endsWith("_count"))
        .singleElement()
        .extracting(PrometheusText.Sample::value)
        .isEqualTo(3.0);
    assertThat(families.get("deploy_node_memory_bytes").samples())
        .filteredOn(s -> s.labels().get("kind").equals("used"))
        .extracting(s -> s.labels().get("node") + "=" + (long) s.value())
        .containsExactly("master=" + (1L << 30), "10.0.0.2:7000 \"odd\\name\"=0");
  }

  @Test
  void givenBrokenExpositions_whenParsed_thenTheStrictParserRefusesThem() {
    assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na 1"))
        .hasMessageContaining("newline");
    assertThatThrownBy(() -> PrometheusText.parse("a 1\n")).hasMessageContaining("before any TYPE");
    assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na{x=\"\\t\"} 1\n"))
        .hasMessageContaining("bad escape");
    assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\n# TYPE b gauge\nb 1\na 2\n"))
        .hasMessageContaining("not together");
    assertThatThrownBy(
            () ->
                PrometheusText.parse(
                    "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                        + "h_sum 1\nh_count 1\n"))
        .hasMessageContaining("cumulative");
    assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na one\n"))
        .hasMessageContaining("bad value");
  }

  private static double value(
      Map<String, PrometheusText.Family> families, String family, String label, String value) {
    return families.get(family).samples().stream()
        .filter(s -> value.equals(s.labels().get(label)))
        .findFirst()
        .orElseThrow()
        .value();
  }
}
