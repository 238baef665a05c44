package dev.deploy.e2e.tester;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The strict exposition reader refuses what Prometheus' own parser refuses. */
@Timeout(10)
class PrometheusTextTest {
  @Test
  void givenWellFormedExposition_whenParsed_thenFamiliesAndLabels() {
    var families =
        PrometheusText.parse(
            "# HELP a the a\n# TYPE a gauge\na{x=\"q\\\"\\\\\\n\"} 1.5e3\n"
                + "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
                + "h_sum 3\nh_count 2\n");

    assertThat(families.get("a").samples().get(0).labels()).containsEntry("x", "q\"\\\n");
    assertThat(families.get("a").samples().get(0).value()).isEqualTo(1500.0);
    assertThat(families.get("h").samples()).hasSize(4);
  }

  @Test
  void givenBrokenExpositions_whenParsed_thenRefused() {
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
}
