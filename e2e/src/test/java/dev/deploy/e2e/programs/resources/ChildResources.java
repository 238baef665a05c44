package dev.deploy.e2e.programs.resources;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.resources;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;
import dev.deploy.e2e.tester.RunOptions;

/**
 * A child spawned with 256 MiB and 1.5 cores sees exactly those as {@code resources()}, a heap of
 * at most 256 MiB and 2 processors.
 */
public final class ChildResources {
  static final Resources CHILD = new Resources(256L << 20, 1.5);

  static final RunOptions RUN = RunOptions.defaults().env("DEPLOY_CAPACITY", "4GiB 2");

  static final Expect EXPECTED =
      Expect.process()
          .stdout("first process: Resources[memory=1 GiB, cpu=0.05]\n")
          .child(
              Expect.process()
                  .stdoutMatches(
                      "resources\\(\\) equals the spawn's: true\n"
                          + "resources\\(\\) = Resources\\[memory=256 MiB, cpu=1\\.5\\]\n"
                          + "max memory \\d+ B, at most 256 MiB: true\n"
                          + "available processors: 2\n"));

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    System.out.println("first process: " + resources());
    spawn(ChildResources::report, CHILD, CHILD).orElseThrow();
  }

  static void report(Pid parent, Resources asked) {
    long max = Runtime.getRuntime().maxMemory();
    System.out.println("resources() equals the spawn's: " + resources().equals(asked));
    System.out.println("resources() = " + resources());
    System.out.println("max memory " + max + " B, at most 256 MiB: " + (max <= 256L << 20));
    System.out.println("available processors: " + Runtime.getRuntime().availableProcessors());
  }
}
