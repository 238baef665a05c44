package dev.deploy.shaded;

/**
 * Stands for a class of a library the runtime's jar bundles: the build relocates Kryo, ReflectASM,
 * MinLog and Objenesis under {@code dev.deploy.shaded}, where their classes are named like the
 * runtime's own. Tests check that such a class is still refused as a value.
 */
public final class FakeBundledClass {
  /** A field, so it would serialise if it were let through. */
  public int value;
}
