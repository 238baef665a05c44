package dev.deploy.e2e.tester;

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
public final class ProcessCleanup extends ClosingParameter<LocalRunner> {
  public ProcessCleanup() {
    super(LocalRunner.class, LocalRunner::new);
  }
}
