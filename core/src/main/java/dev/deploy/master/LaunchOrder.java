package dev.deploy.master;

import dev.deploy.Pid;
import dev.deploy.Resources;

/**
 * What a fabric is asked to start: a process of program {@code program} (one run or deployment)
 * with {@code resources} that runs {@code task} (a {@code LambdaCodec} blob) for {@code parent}, or
 * the program's {@code main} when {@code task} is null (the first process of a run, whose {@code
 * parent} is null).
 */
public record LaunchOrder(long program, Pid parent, Resources resources, byte[] task) {
  /** An order of the program numbered 0, the only one of a local run. */
  public LaunchOrder(Pid parent, Resources resources, byte[] task) {
    this(0, parent, resources, task);
  }
}
