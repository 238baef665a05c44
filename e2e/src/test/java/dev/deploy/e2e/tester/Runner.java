package dev.deploy.e2e.tester;

/**
 * Runs a program class the way a user would and hands back what it printed. The local runner starts
 * {@code java -cp deploy.jar:test-classes <Program>}; the {@link ClusterRunner} ships the same
 * classes with {@code deploy --format json}: both give a {@link Run} whose tree is compared with
 * the program's {@code EXPECTED}, so one suite runs through either.
 */
public interface Runner {
  /** A short name for reports: {@code "local"}. */
  String name();

  /**
   * Starts {@code program}; the caller must {@link RunningProgram#close() close} what it gets,
   * which kills whatever is left of the run.
   */
  RunningProgram start(Class<?> program, RunOptions options);

  /** Runs {@code program} to its end (or its timeout) and kills whatever is left. */
  default Run run(Class<?> program, RunOptions options) {
    try (RunningProgram running = start(program, options)) {
      return running.await();
    }
  }
}
