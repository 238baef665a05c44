package dev.deploy.e2e;

import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.ProcessCleanup;
import dev.deploy.e2e.tester.ProgramCase;
import dev.deploy.e2e.tester.Suite;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs every program under {@code dev.deploy.e2e.programs} that declares its {@code EXPECTED} as a
 * local run ({@code java -cp deploy.jar:test-classes <Program>}, JSON format), one after another,
 * grouped by area, and checks each against its expectation. A cluster IT runs the same {@link
 * ProgramCase}s through another runner with {@link Suite#tests} or {@link Suite#comparisons}. Each
 * run has its own timeout (60 s unless the program says otherwise) after which its tree is killed
 * and it fails.
 */
@ExtendWith(ProcessCleanup.class)
class LocalSuiteIT {
  @TestFactory
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  Stream<DynamicNode> givenProgramWithExpectation_whenRunLocally_thenTreeMatches(
      LocalRunner runner) {
    return Suite.tests(runner, ProgramCase.discover(LocalRunner.programClasses()));
  }

  @Test
  @Timeout(30)
  void givenProgramsPackage_whenDiscovered_thenEveryAreaHasPrograms() {
    List<ProgramCase> cases = ProgramCase.discover(LocalRunner.programClasses());
    List<String> areas = cases.stream().map(ProgramCase::area).distinct().toList();
    if (!areas.containsAll(
        List.of("badinput", "channels", "exits", "output", "resources", "tasks", "trees"))) {
      throw new AssertionError("some area has no self-describing program: " + cases);
    }
  }
}
