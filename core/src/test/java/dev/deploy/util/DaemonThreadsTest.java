package dev.deploy.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class DaemonThreadsTest {
  @Test
  @Timeout(10)
  void givenNumbered_whenTwoThreads_thenDaemonsNamedOneAndTwo() {
    ThreadFactory factory = DaemonThreads.numbered("deploy-test");

    Thread first = factory.newThread(() -> {});
    Thread second = factory.newThread(() -> {});

    assertThat(first.isDaemon()).isTrue();
    assertThat(second.isDaemon()).isTrue();
    assertThat(first.getName()).isEqualTo("deploy-test-1");
    assertThat(second.getName()).isEqualTo("deploy-test-2");
  }

  @Test
  @Timeout(10)
  void givenNamed_whenThreads_thenDaemonsAllOfThatName() {
    ThreadFactory factory = DaemonThreads.named("deploy-ui");

    assertThat(factory.newThread(() -> {}).getName()).isEqualTo("deploy-ui");
    assertThat(factory.newThread(() -> {}).isDaemon()).isTrue();
    assertThat(DaemonThreads.of("deploy-one", () -> {}).isDaemon()).isTrue();
  }
}
