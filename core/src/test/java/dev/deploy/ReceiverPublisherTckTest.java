package dev.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testng.ITestListener;
import org.testng.ITestResult;
import org.testng.TestNG;

/**
 * Runs the Reactive Streams TCK ({@link ReceiverPublisherTck}, TestNG) from the JUnit platform, so
 * it runs with every other test in {@code mvn verify}: every required rule must pass; an optional
 * rule may be skipped by the TCK, never fail.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ReceiverPublisherTckTest {
  @Test
  void givenReceiverPublishers_whenTheTckRuns_thenEveryRulePassesOrIsSkippedAsOptional() {
    List<String> failed = Collections.synchronizedList(new ArrayList<>());
    List<String> passed = Collections.synchronizedList(new ArrayList<>());
    List<String> skipped = Collections.synchronizedList(new ArrayList<>());
    TestNG testng = new TestNG(false);
    testng.setTestClasses(new Class<?>[] {ReceiverPublisherTck.class});
    testng.setVerbose(0);
    testng.setOutputDirectory("target/tck");
    testng.addListener(
        new ITestListener() {
          @Override
          public void onTestSuccess(ITestResult result) {
            passed.add(result.getName());
          }

          @Override
          public void onTestSkipped(ITestResult result) {
            skipped.add(result.getName() + ": " + result.getThrowable());
          }

          @Override
          public void onTestFailure(ITestResult result) {
            failed.add(result.getName() + ": " + result.getThrowable());
          }
        });

    testng.run();
    System.out.println("TCK: " + passed.size() + " passed, " + failed.size() + " failed");
    skipped.forEach(s -> System.out.println("TCK skipped " + s));

    assertThat(failed).as("TCK rules that failed").isEmpty();
    assertThat(skipped)
        .as("skipped TCK rules (only optional ones, or untested ones, may be)")
        .noneMatch(name -> name.startsWith("required_"));
    assertThat(passed).as("TCK rules that passed").hasSizeGreaterThan(20);
  }
}
