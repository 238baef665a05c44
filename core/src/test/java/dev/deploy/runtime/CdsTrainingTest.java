package dev.deploy.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.codec.Codec;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.Credential;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link CdsTraining}'s list of classes it loads without running them, and its channel round trip
 * (a pool JVM's warm-up), which stops between steps once asked to.
 */
@Timeout(10)
class CdsTrainingTest {
  @Test
  void givenTheSpawnPathList_whenLoaded_thenEveryClassExists() {
    assertThat(CdsTraining.SPAWN_PATH)
        .allSatisfy(
            name ->
                assertThat(Class.forName(name, false, getClass().getClassLoader()))
                    .as(name)
                    .isNotNull());
  }

  private static final Credential KEY = new Credential(ClusterKey.generate().forDeployment(1), 1);

  @Test
  void givenNoStop_whenTheRoundTripRuns_thenItCompletesAndNamesTheSender() throws Exception {
    assertThat(
            CdsTraining.channelRoundTrip(
                KEY, Codec.standard(), InetAddress.getLoopbackAddress(), "a", 1L))
        .isNotNull();
  }

  @Test
  void givenTheTaskArrivedFirst_whenTheRoundTripStarts_thenItDoesNothing() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    BooleanSupplier stop =
        () -> {
          asked.incrementAndGet();
          return true;
        };

    assertThat(
            CdsTraining.channelRoundTrip(
                stop, KEY, Codec.standard(), InetAddress.getLoopbackAddress(), "a", 1L))
        .isNull();
    assertThat(asked.get()).as("asked once, before opening anything").isEqualTo(1);
  }

  @Test
  void givenTheTaskArrivesMidway_whenAValueWasSent_thenItStopsBeforeTheRest() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    BooleanSupplier stop = () -> asked.incrementAndGet() > 1; // after the first value

    assertThat(
            CdsTraining.channelRoundTrip(
                stop, KEY, Codec.standard(), InetAddress.getLoopbackAddress(), "a", 1L, 2))
        .isNull();
    assertThat(asked.get()).as("stopped after the first value, not the third").isEqualTo(2);
  }
}
