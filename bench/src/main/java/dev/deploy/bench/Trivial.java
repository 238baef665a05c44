package dev.deploy.bench;

/** The baseline: a main that prints the monotonic clock as it starts, and nothing else. */
public final class Trivial {
  public static void main(String[] args) {
    System.out.println(System.nanoTime());
  }
}
