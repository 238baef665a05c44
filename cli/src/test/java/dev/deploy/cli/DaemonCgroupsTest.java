package dev.deploy.cli;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Whether a daemon may start without cgroups: required off loopback unless --no-cgroups. */
@Timeout(5)
class DaemonCgroupsTest {
  private static final Optional<String> NONE = Optional.of("no cgroup memory controller here");

  @Test
  void givenNonLoopbackAndNoCgroups_whenStarting_thenRefusedWithReasonAndTheWayOut() {
    DaemonOptions options = new DaemonOptions();

    assertThatThrownBy(() -> options.requireCgroups(false, "fabric", () -> NONE))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("fabric is bound to an address other than loopback")
        .hasMessageContaining("no cgroup memory controller here")
        .hasMessageContaining("--no-cgroups");
  }

  @Test
  void givenNonLoopbackAndNoCgroupsFlag_whenStarting_thenStartsWithoutAsking() {
    DaemonOptions options = new DaemonOptions();
    options.noCgroups = true;

    assertThatCode(
            () ->
                options.requireCgroups(
                    false,
                    "fabric",
                    () -> {
                      throw new AssertionError("cgroups looked for despite --no-cgroups");
                    }))
        .doesNotThrowAnyException();
  }

  @Test
  void givenLoopbackAndNoCgroups_whenStarting_thenBestEffort() {
    assertThatCode(() -> new DaemonOptions().requireCgroups(true, "fabric", () -> NONE))
        .doesNotThrowAnyException();
  }

  @Test
  void givenNonLoopbackWithCgroups_whenStarting_thenStarts() {
    assertThatCode(
            () -> new DaemonOptions().requireCgroups(false, "fabric master", Optional::empty))
        .doesNotThrowAnyException();
  }
}
