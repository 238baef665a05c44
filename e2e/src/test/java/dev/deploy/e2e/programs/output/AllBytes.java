package dev.deploy.e2e.programs.output;

import static dev.deploy.Deploy.init;

import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;

/**
 * Every byte value, 0 to 255, to stdout and 255 down to 0 to stderr: both arrive byte-exact, though
 * they are neither text nor lines.
 */
public final class AllBytes {
  static final Expect EXPECTED = Expect.process().stdout(up()).stderr(down());

  static byte[] up() {
    byte[] bytes = new byte[256];
    for (int i = 0; i < 256; i++) {
      bytes[i] = (byte) i;
    }
    return bytes;
  }

  static byte[] down() {
    byte[] bytes = new byte[256];
    for (int i = 0; i < 256; i++) {
      bytes[i] = (byte) (255 - i);
    }
    return bytes;
  }

  public static void main(String[] args) {
    init(Resources.DEFAULT);
    System.out.write(up(), 0, 256);
    System.out.flush();
    System.err.write(down(), 0, 256);
    System.err.flush();
  }
}
