package dev.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class NoncesTest {
  private final ExecutorService threads = Executors.newFixedThreadPool(4);

  @AfterEach
  void tearDown() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void givenTwoFills_whenCompared_thenDifferent() {
    byte[] first = new byte[32];
    byte[] second = new byte[32];

    Nonces.fill(first);
    Nonces.fill(second);

    assertThat(first).isNotEqualTo(second).isNotEqualTo(new byte[32]);
  }

  @Test
  void givenEmptyArray_whenFill_thenNothingHappens() {
    byte[] empty = new byte[0];

    Nonces.fill(empty);

    assertThat(empty).isEmpty();
  }

  @Test
  void givenLargeArray_whenFill_thenEveryPartIsFilled() {
    byte[] bytes = new byte[1 << 16];

    Nonces.fill(bytes);

    for (int at = 0; at < bytes.length; at += 1024) {
      byte[] chunk = java.util.Arrays.copyOfRange(bytes, at, at + 1024);
      assertThat(chunk).as("bytes %d..%d", at, at + 1024).isNotEqualTo(new byte[1024]);
    }
  }

  @Test
  void givenManyLongs_whenNextLong_thenAllDistinct() {
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      seen.add(Nonces.nextLong());
    }

    assertThat(seen).hasSize(10_000);
  }

  @Test
  void givenFourThreadsAtOnce_whenNextLong_thenAllDistinct() throws Exception {
    Set<Long> seen = ConcurrentHashMap.newKeySet();
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      workers.add(
          threads.submit(
              () -> {
                start.await();
                for (int i = 0; i < 2_000; i++) {
                  seen.add(Nonces.nextLong());
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> w : workers) {
      w.get(5, TimeUnit.SECONDS);
    }

    assertThat(seen).hasSize(8_000);
  }
}
