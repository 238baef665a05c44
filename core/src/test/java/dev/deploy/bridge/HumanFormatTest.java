package dev.deploy.bridge;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Pid;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class HumanFormatTest {
  private static final Pid A = pid("3fecd01");
  private static final Pid B = pid("9a1b2c3");
  private static final Pid C = pid("5e6f7a8");

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  /** Both streams into one buffer, as on a terminal or with {@code 2>&1}. */
  private final ByteArrayOutputStream terminal = new ByteArrayOutputStream();

  @Test
  void givenOneProcess_whenTwoLines_thenOneHeaderAndBothLinesIndented() throws IOException {
    String shown = onTerminal(stdout(A, "one\ntwo\n"));

    assertThat(shown).isEqualTo("3fecd01:\n    one\n    two\n");
  }

  @Test
  void givenOutputOfTwoProcesses_whenTheyAlternate_thenHeaderAtEachSwitch() throws IOException {
    String shown =
        onTerminal(stdout(A, "a1\n"), stdout(B, "b1\n"), stdout(B, "b2\n"), stdout(A, "a2\n"));

    assertThat(shown).isEqualTo("3fecd01:\n    a1\n9a1b2c3:\n    b1\n    b2\n3fecd01:\n    a2\n");
  }

  @Test
  void givenLineSplitAcrossChunks_whenWritten_thenPrintedAsOneIndentedLine() throws IOException {
    String shown = onTerminal(stdout(A, "hel"), stdout(A, "lo wor"), stdout(A, "ld\n"));

    assertThat(shown).isEqualTo("3fecd01:\n    hello world\n");
  }

  @Test
  void givenManyLinesInOneChunk_whenLastHasNoNewline_thenEachIndentedAndLastLeftOpen()
      throws IOException {
    String shown = onTerminal(stdout(A, "x\ny\nz"));

    assertThat(shown).isEqualTo("3fecd01:\n    x\n    y\n    z");
  }

  @Test
  void givenPartialLine_whenAnotherProcessPrints_thenLineEndedAndContinuationUnderNewHeader()
      throws IOException {
    String shown = onTerminal(stdout(A, "abc"), stdout(B, "x\n"), stdout(A, "def\n"));

    assertThat(shown).isEqualTo("3fecd01:\n    abc\n9a1b2c3:\n    x\n3fecd01:\n    def\n");
  }

  @Test
  void givenPartialStdoutLine_whenSameProcessWritesStderr_thenLineEndedWithoutNewHeader()
      throws IOException {
    String shown = onTerminal(stdout(A, "abc"), stderr(A, "oops\n"), stdout(A, "def\n"));

    assertThat(shown).isEqualTo("3fecd01:\n    abc\n    oops\n    def\n");
  }

  @Test
  void givenPartialStdoutLine_whenInterrupted_thenEndingNewlineGoesToStdout() throws IOException {
    HumanFormat format = separate(false);

    format.write(stdout(A, "abc"));
    format.write(stderr(B, "x\n"));
    format.flush();

    assertThat(out.toString(UTF_8)).isEqualTo("abc\n");
    assertThat(err.toString(UTF_8)).isEqualTo("3fecd01:\n    9a1b2c3:\n    x\n");
  }

  @Test
  void givenStdoutAndStderr_whenSeparated_thenOutHoldsExactlyTheProgramsStdout()
      throws IOException {
    HumanFormat format = separate(false);

    format.write(stdout(A, "out1\n"));
    format.write(stderr(A, "err1\n"));
    format.write(new Event.Spawned(B, A));
    format.write(stdout(B, "out2\n"));
    format.write(new Event.Exit(B, ExitStatus.exited(0)));
    format.flush();

    assertThat(out.toString(UTF_8)).isEqualTo("out1\nout2\n");
    assertThat(err.toString(UTF_8))
        .isEqualTo(
            "3fecd01:\n    "
                + "    err1\n"
                + "    spawned: 9a1b2c3\n"
                + "9a1b2c3:\n    "
                + "    exited: 0\n");
  }

  @Test
  void givenAllByteValues_whenWrittenToStdout_thenOutHoldsThemByteExact() throws IOException {
    byte[] all = new byte[256];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) i;
    }
    HumanFormat format = separate(false);

    format.write(new Event.Output(A, 1, all));
    format.write(new Event.Output(A, 1, all));
    format.flush();

    byte[] twice = new byte[512];
    System.arraycopy(all, 0, twice, 0, 256);
    System.arraycopy(all, 0, twice, 256, 256);
    assertThat(out.toByteArray()).isEqualTo(twice);
  }

  @Test
  void givenAllByteValues_whenWrittenToStderr_thenContentIsByteExactBetweenIndents()
      throws IOException {
    byte[] all = new byte[256];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) i;
    }
    HumanFormat format = separate(false);

    format.write(new Event.Output(A, 2, all));
    format.flush();

    String expected =
        "3fecd01:\n    "
            + new String(all, 0, 11, ISO_8859_1)
            + "    "
            + new String(all, 11, 245, ISO_8859_1);
    assertThat(err.toByteArray()).isEqualTo(expected.getBytes(ISO_8859_1));
    assertThat(out.size()).isZero();
  }

  @Test
  void givenChildSpawned_whenChildPrintedLast_thenSpawnLineUnderParentsHeader() throws IOException {
    String shown =
        onTerminal(
            new Event.Spawned(A, null),
            stdout(A, "start\n"),
            new Event.Spawned(B, A),
            stdout(B, "hi\n"),
            new Event.Spawned(C, A));

    assertThat(shown)
        .isEqualTo(
            "3fecd01:\n    start\n    spawned: 9a1b2c3\n9a1b2c3:\n    hi\n"
                + "3fecd01:\n    spawned: 5e6f7a8\n");
  }

  @Test
  void givenChannelStats_whenWritten_thenNothingPrinted() throws IOException {
    String shown = onTerminal(new Event.ChannelStats(A, 3, 300, 2, 200));

    assertThat(shown).isEmpty();
  }

  @Test
  void givenRootProcess_whenSpawned_thenNothingPrinted() throws IOException {
    String shown = onTerminal(new Event.Spawned(A, null));

    assertThat(shown).isEmpty();
  }

  @Test
  void givenExitCodeZero_whenExit_thenExitedZeroUnderProcess() throws IOException {
    String shown = onTerminal(stdout(B, "x\n"), new Event.Exit(A, ExitStatus.exited(0)));

    assertThat(shown).isEqualTo("9a1b2c3:\n    x\n3fecd01:\n    exited: 0\n");
  }

  @Test
  void givenExitCodeThree_whenExit_thenExitedThree() throws IOException {
    String shown = onTerminal(new Event.Exit(A, ExitStatus.exited(3)));

    assertThat(shown).isEqualTo("3fecd01:\n    exited: 3\n");
  }

  @Test
  void givenKillSignal_whenExit_thenKilledWithSignalName() throws IOException {
    String shown = onTerminal(new Event.Exit(A, ExitStatus.killed(9)));

    assertThat(shown).isEqualTo("3fecd01:\n    killed: SIGKILL\n");
  }

  @Test
  void givenKilledByMemoryLimit_whenExit_thenKilledLineNamesTheLimit() throws IOException {
    String shown = onTerminal(new Event.Exit(A, ExitStatus.killedByMemoryLimit(256L << 20)));

    assertThat(shown).isEqualTo("3fecd01:\n    killed: SIGKILL (memory limit 256 MiB)\n");
  }

  @Test
  void givenKilledByOddMemoryLimit_whenExit_thenLimitAsUsersWriteIt() throws IOException {
    String shown = onTerminal(new Event.Exit(A, ExitStatus.killedByMemoryLimit(1536L << 20)));

    assertThat(shown).isEqualTo("3fecd01:\n    killed: SIGKILL (memory limit 1.5 GiB)\n");
  }

  @Test
  void givenUnknownSignal_whenExit_thenKilledWithNumberedName() throws IOException {
    String shown = onTerminal(new Event.Exit(A, ExitStatus.killed(40)));

    assertThat(shown).isEqualTo("3fecd01:\n    killed: SIG40\n");
  }

  @Test
  void givenLostProcess_whenExit_thenLost() throws IOException {
    String shown = onTerminal(new Event.Exit(A, ExitStatus.lost()));

    assertThat(shown).isEqualTo("3fecd01:\n    lost\n");
  }

  @Test
  void givenPartialLine_whenProcessExits_thenLineEndedBeforeExitLine() throws IOException {
    String shown = onTerminal(stdout(A, "no newline"), new Event.Exit(A, ExitStatus.exited(0)));

    assertThat(shown).isEqualTo("3fecd01:\n    no newline\n    exited: 0\n");
  }

  @Test
  void givenEof_whenWritten_thenNothingPrinted() throws IOException {
    String shown = onTerminal(stdout(A, "abc"), new Event.Eof(A, 1), new Event.Eof(A, 2));

    assertThat(shown).isEqualTo("3fecd01:\n    abc");
  }

  @Test
  void givenEmptyChunk_whenWritten_thenNothingPrinted() throws IOException {
    String shown = onTerminal(stdout(A, ""));

    assertThat(shown).isEmpty();
  }

  @Test
  void givenColour_whenHeaderPrinted_thenHeaderColouredAndReset() throws IOException {
    HumanFormat format = separate(true);

    format.write(stderr(A, "e\n"));
    format.flush();

    assertThat(err.toString(UTF_8)).matches("\u001b\\[3[1-6]m3fecd01:\u001b\\[0m\n    e\n");
  }

  @Test
  void givenColour_whenSamePidReturns_thenSameColour() throws IOException {
    HumanFormat format = separate(true);

    format.write(stderr(A, "1\n"));
    format.write(stderr(B, "2\n"));
    format.write(stderr(A, "3\n"));
    format.flush();

    String[] lines = err.toString(UTF_8).split("\n");
    assertThat(lines[4]).isEqualTo(lines[0]);
  }

  @Test
  void givenColour_whenContentPrinted_thenContentNeverColoured() throws IOException {
    HumanFormat format = separate(true);

    format.write(stdout(A, "plain\n"));
    format.write(new Event.Exit(A, ExitStatus.killed(9)));
    format.flush();

    assertThat(out.toString(UTF_8)).isEqualTo("plain\n");
    assertThat(err.toString(UTF_8)).endsWith(":\u001b[0m\n        killed: SIGKILL\n");
  }

  @Test
  void givenNoColour_whenPrinted_thenNoEscapeCodes() throws IOException {
    HumanFormat format = separate(false);

    format.write(stdout(A, "a\n"));
    format.write(stderr(B, "b\n"));
    format.flush();

    assertThat(out.toString(UTF_8) + err.toString(UTF_8)).doesNotContain("\u001b");
  }

  @Test
  void givenTwoStreamsIntoOneFile_whenInterleaved_thenOrderKept() throws IOException {
    // Two distinct stream objects over one sink, like 2>&1 into one file.
    HumanFormat format =
        new HumanFormat(new FilterOutputStream(terminal), new FilterOutputStream(terminal), false);

    format.write(stdout(A, "o1\n"));
    format.write(stderr(A, "e1\n"));
    format.write(stdout(B, "o2"));
    format.write(new Event.Exit(B, ExitStatus.exited(1)));
    format.flush();

    assertThat(terminal.toString(UTF_8))
        .isEqualTo("3fecd01:\n    o1\n    e1\n9a1b2c3:\n    o2\n    exited: 1\n");
  }

  @Test
  void givenFiftyMegabytesWithoutNewline_whenStreamed_thenAllBytesReachOut() throws IOException {
    CountingOutputStream counted = new CountingOutputStream();
    HumanFormat format = new HumanFormat(counted, err, false);
    byte[] chunk = new byte[64 * 1024];
    Arrays.fill(chunk, (byte) 'x');
    int chunks = 50 * 1024 * 1024 / chunk.length;

    for (int i = 0; i < chunks; i++) {
      format.write(new Event.Output(A, 1, chunk));
    }
    format.flush();

    assertThat(counted.count).isEqualTo(50L * 1024 * 1024);
    assertThat(err.toString(UTF_8)).isEqualTo("3fecd01:\n    ");
  }

  @Test
  void givenFdThree_whenWritten_thenRefusedNamingFdAndPid() {
    HumanFormat format = separate(false);

    assertThatThrownBy(() -> format.write(new Event.Output(A, 3, new byte[] {1})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fd 3")
        .hasMessageContaining("3fecd01");
  }

  private HumanFormat separate(boolean colour) {
    return new HumanFormat(out, err, colour);
  }

  private String onTerminal(Event... events) throws IOException {
    HumanFormat format = new HumanFormat(terminal, terminal, false);
    for (Event event : events) {
      format.write(event);
    }
    format.flush();
    return terminal.toString(UTF_8);
  }

  private static Event.Output stdout(Pid pid, String text) {
    return new Event.Output(pid, 1, text.getBytes(UTF_8));
  }

  private static Event.Output stderr(Pid pid, String text) {
    return new Event.Output(pid, 2, text.getBytes(UTF_8));
  }

  /** Returns a pid whose toString is {@code hex}. */
  static Pid pid(String hex) {
    return Pid.of(new byte[] {127, 0, 0, 1}, 7000, Long.parseLong(hex, 16) << 8);
  }

  /** Counts bytes and keeps none. */
  private static final class CountingOutputStream extends OutputStream {
    /** Bytes written so far. */
    private long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
    }
  }
}
