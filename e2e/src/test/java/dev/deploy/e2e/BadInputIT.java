package dev.deploy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.e2e.programs.badinput.SpawnBeforeInit;
import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.ProcessCleanup;
import dev.deploy.e2e.tester.Run;
import dev.deploy.e2e.tester.RunOptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input that has no process tree to match: API calls before {@code init} in a plain {@code
 * main}. The rest of the bad input (init twice, bad resources, unserialisable arguments, foreign
 * lambdas, JVMs that cannot start) is in the suite, as programs under {@code programs.badinput}.
 */
@ExtendWith(ProcessCleanup.class)
class BadInputIT {
  @ParameterizedTest
  @ValueSource(strings = {"spawn", "pid", "resources"})
  @Timeout(60)
  void givenNoInit_whenApiCalled_thenIllegalStateExceptionAndExit1(
      String call, LocalRunner runner) {
    Run run = runner.run(SpawnBeforeInit.class, RunOptions.defaults().human().args(call));

    assertThat(run.exitCode()).as(run.context()).isEqualTo(1);
    assertThat(run.stdoutText()).as(run.context()).isEmpty();
    assertThat(run.stderrText())
        .as(run.context())
        .startsWith(
            "Exception in thread \"main\" java.lang.IllegalStateException:"
                + " You must call init() first in your application's main()\n\tat ");
    assertThat(run.survivors()).isEmpty();
  }
}
