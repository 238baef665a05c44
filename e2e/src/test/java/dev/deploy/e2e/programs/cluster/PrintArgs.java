package dev.deploy.e2e.programs.cluster;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import java.util.Arrays;

/** Prints its arguments as a list, like {@code [one]}, and exits 0. */
public final class PrintArgs {
  public static void main(String[] args) {
    init(new Resources(128L << 20, 0.05));
    System.out.println(Arrays.toString(args));
  }
}
