package dev.deploy.testing;

import java.lang.reflect.Method;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.params.provider.AnnotationBasedArgumentsProvider;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.support.ParameterDeclarations;
import org.opentest4j.TestAbortedException;

/**
 * Where the seeds of {@link RandomCases} tests come from. A run has one seed: the system property
 * {@value #PROPERTY} (a decimal long, or hex after {@code 0x}) when set, else a fresh one from the
 * clock. A test's first case draws from the run's seed itself and case {@code i} from a seed mixed
 * from it and {@code i}, so {@code -Ddeploy.seed=S} replays the case that failed with seed {@code
 * S} as the first case of every test. Thread safe: without the property, the run's seed is drawn
 * once, at class load.
 */
public final class Seeds {
  /** The system property that fixes the run's seed. */
  public static final String PROPERTY = "deploy.seed";

  private static final long FRESH = mix(System.currentTimeMillis() ^ System.nanoTime());

  private Seeds() {}

  /**
   * Returns the run's seed: {@value #PROPERTY} when set, else one drawn at class load.
   *
   * @throws IllegalArgumentException if {@value #PROPERTY} is set but is not a long
   */
  public static long run() {
    String text = System.getProperty(PROPERTY, "").strip();
    if (text.isEmpty()) {
      return FRESH;
    }
    try {
      return text.startsWith("0x") || text.startsWith("0X")
          ? Long.parseUnsignedLong(text.substring(2), 16)
          : Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "-D" + PROPERTY + " must be a long, decimal or 0x hex, not '" + text + "'", e);
    }
  }

  /**
   * Returns the cases of one test: one per regression seed, then {@code count} drawn from the run's
   * seed.
   */
  public static Stream<Gen> cases(int count, long... regressions) {
    if (count < 0) {
      throw new IllegalArgumentException("a negative number of cases: " + count);
    }
    long run = run();
    Stream<Gen> past = LongStream.of(regressions).mapToObj(s -> new Gen(s, "regression seed " + s));
    Stream<Gen> fresh =
        LongStream.range(0, count)
            .mapToObj(
                i ->
                    i == 0
                        ? new Gen(run, "seed " + run)
                        : new Gen(mix(run + i), "seed " + mix(run + i)));
    return Stream.concat(past, fresh);
  }

  /** SplitMix64's finalizer: neighbouring inputs give unrelated seeds. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** The arguments of a {@link RandomCases} test: one {@link Gen} per case. */
  public static final class Provider extends AnnotationBasedArgumentsProvider<RandomCases> {
    @Override
    protected Stream<? extends Arguments> provideArguments(
        ParameterDeclarations parameters, ExtensionContext context, RandomCases cases) {
      return cases(cases.value(), cases.regressions()).map(Arguments::of);
    }
  }

  /**
   * Puts a failed case's seed, and the flag that replays it, at the head of the failure's message;
   * the original failure is the cause, its stack trace kept. Aborted cases (assumptions) pass
   * through unchanged.
   */
  public static final class SeedInFailure implements InvocationInterceptor {
    @Override
    public void interceptTestTemplateMethod(
        Invocation<Void> invocation,
        ReflectiveInvocationContext<Method> invocationContext,
        ExtensionContext extensionContext)
        throws Throwable {
      Gen gen =
          invocationContext.getArguments().stream()
              .filter(Gen.class::isInstance)
              .map(Gen.class::cast)
              .findFirst()
              .orElse(null);
      try {
        invocation.proceed();
      } catch (TestAbortedException aborted) {
        throw aborted;
      } catch (Throwable failure) {
        if (gen == null) {
          throw failure;
        }
        Method method = invocationContext.getExecutable();
        AssertionError withSeed =
            new AssertionError(
                "failed for "
                    + gen
                    + " (run seed "
                    + run()
                    + "); replay it first with -D"
                    + PROPERTY
                    + "="
                    + gen.seed()
                    + " -Dtest="
                    + method.getDeclaringClass().getSimpleName()
                    + "#"
                    + method.getName()
                    + "\n"
                    + failure,
                failure);
        withSeed.setStackTrace(failure.getStackTrace());
        throw withSeed;
      }
    }
  }
}
