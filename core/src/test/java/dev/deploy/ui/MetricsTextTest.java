package dev.deploy.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Resources;
import dev.deploy.master.NodeUse;
import dev.deploy.master.SpawnLatency;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class MetricsTextTest {
  private static final RunView.Counts COUNTS =
      new RunView.Counts(3, 1, 10, 5, 1, 1, 1234, 56, 1, 2, 7, 700, 6, 600);

  @Test
  void givenCountsNodesAndLatency_whenWritten_thenEveryFamilyInTheTextFormat() {
    SpawnLatency latency = new SpawnLatency();
    latency.record(5_000_000);
    latency.record(300_000_000);
    latency.record(40_000_000_000L);
    List<NodeUse> nodes =
        List.of(
            new NodeUse("master", new Resources(2L << 30, 2), 1L << 30, 1.5, true),
            new NodeUse(
                "10.0.0.2:7000 \"odd\\name\"", new Resources(4L << 30, 4), 4L << 30, 4, false));

    String text = MetricsText.write(COUNTS, nodes, latency, new long[] {7, 2});

    // The strict check against the format is e2e's PrometheusText (LiveViewIT); here, the shape.
    for (String line : text.split("\n")) {
      assertThat(line)
          .matches(
              "# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\\{([a-z]+=\"([^\"\\\\]|\\\\[\\\\\"n])*\",?)+\\})? \\S+");
    }
    assertThat(text)
        .contains("deploy_processes{state=\"running\"} 3\n")
        .contains("deploy_processes{state=\"waiting\"} 1\n")
        .contains("deploy_output_bytes_total{stream=\"stdout\"} 1234\n")
        .contains("deploy_spawn_duration_seconds_bucket{le=\"+Inf\"} 3\n")
        .contains("deploy_spawn_duration_seconds_count 3\n")
        .contains("deploy_warm_pool_hits_total 7\n")
        .contains("# TYPE deploy_channel_values_total counter\n")
        .contains("deploy_channel_values_total{direction=\"sent\"} 7\n")
        .contains("deploy_channel_values_total{direction=\"received\"} 6\n")
        .contains("# TYPE deploy_channel_bytes_total counter\n")
        .contains("deploy_channel_bytes_total{direction=\"sent\"} 700\n")
        .contains("deploy_channel_bytes_total{direction=\"received\"} 600\n")
        .contains("deploy_node_memory_bytes{node=\"master\",kind=\"used\"} " + (1L << 30) + "\n")
        .contains("{node=\"10.0.0.2:7000 \\\"odd\\\\name\\\"\",kind=\"used\"} 0\n")
        .contains(
            "# TYPE jvm_memory_used_bytes gauge\n", "# TYPE process_cpu_seconds_total counter\n");
  }
}
