package dev.deploy.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * A JUnit 5 parameterized test run once per seeded random case: the method takes one {@link Gen}
 * and draws its inputs from it. Cases are the {@link #regressions} first, then {@link #value} cases
 * from the run's seed ({@link Seeds}). Every case's seed is in its display name and in the message
 * of any failure, so {@code -Ddeploy.seed=<seed>} makes that case the first one again.
 *
 * <pre>{@code
 * @RandomCases(3000)
 * @Timeout(10)
 * void givenAnyBytes_whenDecoded_thenMessageOrProtocolException(Gen gen) {
 *   byte[] payload = gen.bytes(0, 120);
 *   ...
 * }
 * }</pre>
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ParameterizedTest(name = "[{index}] {0}")
@ArgumentsSource(Seeds.Provider.class)
@ExtendWith(Seeds.SeedInFailure.class)
public @interface RandomCases {
  /** Random cases per run, besides the regressions; default 1000. */
  int value() default 1000;

  /**
   * Seeds of past failures, run first on every run: when a case fails, fix the bug and add its seed
   * here. Default none.
   */
  long[] regressions() default {};
}
