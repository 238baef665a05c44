package dev.deploy.e2e.tester;

import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;

/**
 * The self-describing programs as JUnit dynamic tests, one container per area, so any {@link
 * Runner} runs the same suite:
 *
 * <pre>{@code
 * @TestFactory
 * Stream<DynamicNode> programs(LocalRunner runner) {
 *   return Suite.tests(runner, ProgramCase.discover(LocalRunner.programClasses()));
 * }
 * }</pre>
 *
 * <p>{@link #comparisons} runs each program through two runners and also asks that both trees have
 * the same shape, for a cluster runner checked against the local one. Programs run one after
 * another.
 */
public final class Suite {
  private Suite() {}

  /** One dynamic test per case, in one container per area; each runs and checks its program. */
  public static Stream<DynamicNode> tests(Runner runner, List<ProgramCase> cases) {
    return byArea(cases).entrySet().stream()
        .map(
            area ->
                dynamicContainer(
                    area.getKey(),
                    area.getValue().stream()
                        .map(
                            c ->
                                dynamicTest(
                                    c.type().getSimpleName(), () -> runAndReport(runner, c)))));
  }

  /**
   * One dynamic test per case that runs it through {@code reference} and {@code candidate}: both
   * must match the expectation, and their trees must have the same shape.
   */
  public static Stream<DynamicNode> comparisons(
      Runner reference, Runner candidate, List<ProgramCase> cases) {
    return byArea(cases).entrySet().stream()
        .map(
            area ->
                dynamicContainer(
                    area.getKey(),
                    area.getValue().stream()
                        .map(
                            c ->
                                dynamicTest(
                                    c.type().getSimpleName(),
                                    () -> {
                                      Run expected = runAndReport(reference, c);
                                      Run actual = runAndReport(candidate, c);
                                      if (!expected.tree().shape().equals(actual.tree().shape())) {
                                        throw new AssertionError(
                                            c
                                                + ": "
                                                + candidate.name()
                                                + " gives the shape "
                                                + actual.tree().shape()
                                                + ", "
                                                + reference.name()
                                                + " gives "
                                                + expected.tree().shape());
                                      }
                                    }))));
  }

  private static Map<String, List<ProgramCase>> byArea(List<ProgramCase> cases) {
    return cases.stream()
        .collect(Collectors.groupingBy(ProgramCase::area, TreeMap::new, Collectors.toList()));
  }

  private static Run runAndReport(Runner runner, ProgramCase c) {
    Run run = c.runAndCheck(runner);
    System.out.println("e2e " + runner.name() + " " + c + ": " + run);
    return run;
  }
}
