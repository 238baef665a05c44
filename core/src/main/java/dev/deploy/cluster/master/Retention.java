package dev.deploy.cluster.master;

import java.time.Duration;

/**
 * How much of its deployments a bridge keeps ({@code fabric master --keep-for,
 * --keep-per-deployment, --keep-total}): a finished deployment's events for {@code age} after its
 * end; at most {@code perDeployment} bytes of events per deployment (its oldest output dropped
 * first); at most {@code total} bytes over all (the finished deployment that ended first dropped
 * first, then the oldest output of running ones).
 */
public record Retention(Duration age, long perDeployment, long total) {
  /** One hour, 16 MiB per deployment, 64 MiB in all. */
  public static final Retention DEFAULT = new Retention(Duration.ofHours(1), 16L << 20, 64L << 20);

  /**
   * Checks the bounds.
   *
   * @throws IllegalArgumentException when {@code age} is negative or a size is not positive
   */
  public Retention {
    if (age.isNegative()) {
      throw new IllegalArgumentException("a retention time of " + age + " is negative");
    }
    if (perDeployment <= 0 || total <= 0) {
      throw new IllegalArgumentException(
          "retention sizes must be positive, not " + perDeployment + " and " + total + " bytes");
    }
  }
}
