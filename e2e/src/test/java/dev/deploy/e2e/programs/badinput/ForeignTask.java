package dev.deploy.e2e.programs.badinput;

import dev.deploy.Task;

/**
 * A task factory that {@link ForeignClassLoaderLambda} loads again through its own class loader, so
 * the lambda's class is not the one spawned processes would load. Not a program.
 */
public final class ForeignTask {
  private ForeignTask() {}

  /** A lambda whose capturing class is whichever copy of this class runs it. */
  public static Task<String> task() {
    return (parent, arg) -> System.out.println(arg);
  }
}
