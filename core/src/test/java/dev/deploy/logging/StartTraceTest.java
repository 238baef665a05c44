package dev.deploy.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The trace's line: one per mark, sortable by its first column across the run's JVMs. */
@Timeout(10)
class StartTraceTest {
  @Test
  void givenAMark_whenFormatted_thenTimePidThreadAndWhatOnOneLine() {
    String line = StartTrace.line(1_765_137_600_123_456L, "fabric: forked 3");

    assertThat(line)
        .isEqualTo(
            "1765137600123456 "
                + ProcessHandle.current().pid()
                + " "
                + Thread.currentThread().getName()
                + " fabric: forked 3\n");
  }

  @Test
  void givenTheVariableUnset_whenMarked_thenNothingIsWritten() {
    // The test JVM runs without DEPLOY_TRACE_START: a mark is a field read.
    String file = System.getenv(StartTrace.VARIABLE);
    assertThat(StartTrace.on()).isEqualTo(file != null && !file.isEmpty());
    StartTrace.mark("nothing"); // must not throw, on or off
  }

  @Test
  void givenThisJvmWorked_whenItsCpuIsRead_thenAPositiveCountOfMillisecondsOrUnknown() {
    long cpu = StartTrace.cpuMillis();
    if (java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc/self/stat"))) {
      assertThat(cpu).as("this JVM has run for a while").isPositive();
      assertThat(cpu % 10).as("whole ticks").isZero();
    } else {
      assertThat(cpu).isEqualTo(-1);
    }
    StartTrace.markCpu("nothing"); // must not throw, on or off
  }
}
