package dev.deploy.e2e;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.deploy.e2e.programs.cleanup.TalkativeChildren;
import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.RunningProgram;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When whoever reads the bridge's output goes away ({@code java ... | head}), the run ends as a
 * program that gets SIGPIPE does: exit 141, and every process of the run is gone.
 */
class OutputClosedIT {
  private Process bridge;
  private final List<ProcessHandle> started = new ArrayList<>();

  @AfterEach
  void killEverything() {
    if (bridge != null) {
      started.addAll(bridge.toHandle().descendants().toList());
      bridge.destroyForcibly();
    }
    started.forEach(ProcessHandle::destroyForcibly);
  }

  @Test
  @Timeout(60)
  void givenChattyRun_whenItsStdoutReaderCloses_thenBridgeExits141AndNothingSurvives()
      throws Exception {
    Path jar = LocalRunner.deployJar();
    Path classes = LocalRunner.programClasses();
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                jar + File.pathSeparator + classes,
                TalkativeChildren.class.getName())
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("DEPLOY_FORMAT", "human"); // stdout: the programs' lines only
    bridge = builder.start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(bridge.getInputStream(), StandardCharsets.UTF_8));
    for (int i = 0; i < 20; i++) {
      assertThat(out.readLine()).as("line " + i + " of the run's output").contains("talker");
    }
    started.addAll(bridge.toHandle().descendants().toList());
    assertThat(started).as("the run's JVMs").hasSizeGreaterThanOrEqualTo(3);

    out.close(); // as head does after its lines

    assertThat(bridge.waitFor(10, SECONDS)).as("the bridge ended").isTrue();
    assertThat(bridge.exitValue()).isEqualTo(128 + 13);
    await()
        .atMost(2, SECONDS)
        .untilAsserted(() -> assertThat(started).filteredOn(RunningProgram::isRunning).isEmpty());
  }
}
