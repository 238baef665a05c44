package dev.deploy.e2e.tester;

/**
 * Gives each test a fresh {@link SlurmJobs} as a parameter and, after the test, whether it passed
 * or failed, closes it: every job it made is cancelled by id and every process seen under its
 * commands killed by pid.
 */
public final class SlurmCleanup extends ClosingParameter<SlurmJobs> {
  public SlurmCleanup() {
    super(SlurmJobs.class, SlurmJobs::new);
  }
}
