package dev.deploy.e2e.programs.output;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.e2e.tester.Expect;
import java.io.PrintStream;

/**
 * Two processes at once write partial lines, flushed one piece at a time and alternating between
 * stdout and stderr, ending without a newline: each stream of each process arrives exactly as
 * written, however the pieces were cut and interleaved on the way.
 */
public final class InterleavedPartialLines {
  static final int PIECES = 120;

  static final Expect EXPECTED =
      Expect.process()
          .stdout(written("parent", "out"))
          .stderr(written("parent", "err"))
          .child(Expect.process().stdout(written("child", "out")).stderr(written("child", "err")));

  /** What {@link #write} puts on one stream: pieces, a newline after every seventh. */
  static String written(String who, String stream) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < PIECES; i++) {
      text.append(piece(who, stream, i));
    }
    return text.toString();
  }

  static String piece(String who, String stream, int i) {
    return who + "-" + stream + "-" + i + (i % 7 == 6 ? "\n" : " ");
  }

  public static void main(String[] args) throws InterruptedException {
    init(Resources.DEFAULT);
    spawn(InterleavedPartialLines::write, "child", new Resources(128L << 20, 0.05)).orElseThrow();
    write(null, "parent");
  }

  static void write(Pid parent, String who) throws InterruptedException {
    for (int i = 0; i < PIECES; i++) {
      put(System.out, piece(who, "out", i));
      put(System.err, piece(who, "err", i));
      if (i % 10 == 0) {
        Thread.sleep(1);
      }
    }
  }

  private static void put(PrintStream stream, String piece) {
    stream.print(piece);
    stream.flush();
  }
}
