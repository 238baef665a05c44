package dev.deploy.bridge;

import static dev.deploy.bridge.HumanFormatTest.pid;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Pid;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The human format when stdout and stderr go to different places (say {@code 2>errors.txt}): each
 * stream reads well alone, and no indentation or header of a stdout line lands on stderr.
 */
@Timeout(10)
class HumanFormatApartTest {
  private static final Pid A = pid("3fecd01");
  private static final Pid B = pid("9a1b2c3");

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final HumanFormat format = new HumanFormat(out, err, false, false);

  @Test
  void givenOnlyStdoutLines_whenApart_thenStderrEmptyAndStdoutBare() throws IOException {
    for (int i = 0; i < 1000; i++) {
      format.write(stdout(A, "line " + i + "\n"));
    }
    format.flush();

    assertThat(err.size()).as("stderr: %s", err.toString(UTF_8)).isZero();
    assertThat(out.toString(UTF_8)).startsWith("line 0\nline 1\n").endsWith("line 999\n");
  }

  @Test
  void givenMixedStreams_whenApart_thenStderrHasOnlyItsOwnLinesUnderTheirHeaders()
      throws IOException {
    format.write(stdout(A, "out1\n"));
    format.write(stderr(A, "err1\n"));
    format.write(new Event.Spawned(B, A));
    format.write(stdout(B, "out2\n"));
    format.write(new Event.Exit(B, ExitStatus.exited(0)));
    format.write(stderr(A, "err2\n"));
    format.flush();

    assertThat(out.toString(UTF_8)).isEqualTo("out1\nout2\n");
    assertThat(err.toString(UTF_8))
        .isEqualTo(
            "3fecd01:\n"
                + "    err1\n"
                + "    spawned: 9a1b2c3\n"
                + "9a1b2c3:\n"
                + "    exited: 0\n"
                + "3fecd01:\n"
                + "    err2\n");
  }

  @Test
  void givenPartialStdoutLine_whenStderrWritten_thenStdoutLineContinuesUnbroken()
      throws IOException {
    format.write(stdout(A, "abc"));
    format.write(stderr(A, "oops\n"));
    format.write(new Event.Exit(B, ExitStatus.exited(0)));
    format.write(stdout(A, "def\n"));
    format.flush();

    assertThat(out.toString(UTF_8)).isEqualTo("abcdef\n");
    assertThat(err.toString(UTF_8)).isEqualTo("3fecd01:\n    oops\n9a1b2c3:\n    exited: 0\n");
  }

  @Test
  void givenPartialStdoutLine_whenAnotherProcessWritesStdout_thenLineEndedOnStdout()
      throws IOException {
    format.write(stdout(A, "abc"));
    format.write(stdout(B, "x\n"));
    format.write(stdout(A, "def\n"));
    format.flush();

    assertThat(out.toString(UTF_8)).isEqualTo("abc\nx\ndef\n");
    assertThat(err.size()).isZero();
  }

  @Test
  void givenPartialStderrLine_whenEventLineComes_thenStderrLineEndedFirst() throws IOException {
    format.write(stderr(A, "abc"));
    format.write(stdout(A, "out\n"));
    format.write(new Event.Exit(A, ExitStatus.exited(1)));
    format.flush();

    assertThat(out.toString(UTF_8)).isEqualTo("out\n");
    assertThat(err.toString(UTF_8)).isEqualTo("3fecd01:\n    abc\n    exited: 1\n");
  }

  private static Event.Output stdout(Pid pid, String text) {
    return new Event.Output(pid, 1, text.getBytes(UTF_8));
  }

  private static Event.Output stderr(Pid pid, String text) {
    return new Event.Output(pid, 2, text.getBytes(UTF_8));
  }
}
