package dev.deploy.e2e.tester;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test a fresh {@link LocalRunner} as a parameter and, after the test, whether it passed
 * or failed, closes it: every process the test started, and every descendant seen under them, is
 * killed by pid and waited for.
 *
 * <pre>{@code
 * @ExtendWith(ProcessCleanup.class)
 * class SomeIT {
 *   @Test @Timeout(60)
 *   void givenX_whenY_thenZ(LocalRunner runner) { ... }
 * }
 * }</pre>
 */
public final class ProcessCleanup implements ParameterResolver, AfterEachCallback {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(ProcessCleanup.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == LocalRunner.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(LocalRunner.class, type -> new LocalRunner(), LocalRunner.class);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    LocalRunner runner = context.getStore(NAMESPACE).remove(LocalRunner.class, LocalRunner.class);
    if (runner != null) {
      runner.close();
    }
  }
}
