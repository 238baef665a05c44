package dev.deploy.cluster.master;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.io.SilenceLimit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every process of a deployment takes the master's silence limit, whatever the client sent. */
@Timeout(10)
class DeploymentSilenceTest {
  @Test
  void givenClientEnvironment_whenDeployed_thenTheMastersLimitIsAddedForEveryWorker() {
    Map<String, String> env = new LinkedHashMap<>(Map.of("A", "1"));

    assertThat(Deployment.withSilenceLimit(env, SilenceLimit.parse("test", "20s")))
        .containsExactly("A=1", "DEPLOY_SILENCE_LIMIT=20000ms");
    assertThat(env).containsEntry("DEPLOY_SILENCE_LIMIT", "20000ms");
  }

  @Test
  void givenClientThatSetsItsOwnLimit_whenDeployed_thenTheMastersWins() {
    Map<String, String> env = new LinkedHashMap<>(Map.of("DEPLOY_SILENCE_LIMIT", "2s"));

    assertThat(Deployment.withSilenceLimit(env, SilenceLimit.DEFAULT))
        .containsExactly("DEPLOY_SILENCE_LIMIT=10000ms");
  }
}
