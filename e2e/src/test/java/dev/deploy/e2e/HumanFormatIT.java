package dev.deploy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.e2e.programs.exits.KillsItselfWithSigkill;
import dev.deploy.e2e.programs.output.ParentAndChildPrint;
import dev.deploy.e2e.tester.LocalRunner;
import dev.deploy.e2e.tester.ProcessCleanup;
import dev.deploy.e2e.tester.Run;
import dev.deploy.e2e.tester.RunOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The human format, without {@code DEPLOY_FORMAT}, its stdout and stderr read through two pipes
 * (two places): the bridge's stdout holds exactly the programs' stdout (what {@code 2>/dev/null}
 * leaves), and its stderr holds the {@code <pid>:} headers, the programs' stderr and the event
 * lines {@code spawned: <pid>} and {@code exited: 0}, each indented, and nothing of the lines whose
 * content went to stdout. {@code RedirectedOutputIT} covers files, {@code 2>&1} and a terminal.
 */
@ExtendWith(ProcessCleanup.class)
class HumanFormatIT {
  private static final Pattern HEADER = Pattern.compile("([0-9a-f]{7}):");
  private static final String INDENT = "    ";

  @Test
  @Timeout(60)
  void givenParentAndChild_whenHumanFormat_thenStdoutIsProgramsOutputAndStderrTheFrame(
      LocalRunner runner) {
    Run run = runner.run(ParentAndChildPrint.class, RunOptions.defaults().human());

    assertThat(run.exitCode()).as(run.context()).isZero();
    assertThat(run.survivors()).isEmpty();
    String stdout = run.stdoutText();
    assertThat(stdout.split("(?<=\n)"))
        .as("the bridge's stdout: %s", stdout)
        .containsExactlyInAnyOrder("parent says hi\n", "child says hi\n");

    Frame frame = Frame.parse(run.stderrText());
    assertThat(frame.unindented).as("stderr lines that are neither header nor indented").isEmpty();
    assertThat(frame.indentsOfStdoutLines)
        .as("indents on stderr for the lines whose content went to stdout")
        .isZero();
    assertThat(frame.linesByPid).as("pids with a header").hasSize(2);
    String parent = frame.linesByPid.keySet().iterator().next();
    List<String> parentLines = frame.linesByPid.get(parent);
    String child =
        frame.linesByPid.keySet().stream().filter(p -> !p.equals(parent)).findFirst().orElseThrow();
    assertThat(parentLines)
        .as("%s's stderr lines", parent)
        .containsExactlyInAnyOrder("parent warns", "spawned: " + child, "exited: 0")
        .endsWith("exited: 0");
    assertThat(frame.linesByPid.get(child))
        .as("%s's stderr lines", child)
        .containsExactlyInAnyOrder("child warns", "exited: 0")
        .endsWith("exited: 0");
    assertThat(run.stderrText())
        .as("no colour when stderr is not a terminal")
        .doesNotContain("\u001b[");
  }

  @Test
  @Timeout(60)
  void givenProcessKilledBySigkill_whenHumanFormat_thenKilledLineAndExit137(LocalRunner runner) {
    Run run = runner.run(KillsItselfWithSigkill.class, RunOptions.defaults().human());

    assertThat(run.exitCode()).as(run.context()).isEqualTo(137);
    assertThat(run.stdoutText()).as(run.context()).isEqualTo("sending myself SIGKILL\n");
    Frame frame = Frame.parse(run.stderrText());
    assertThat(frame.linesByPid.values())
        .as("stderr: %s", run.stderrText())
        .singleElement()
        .isEqualTo(List.of("killed: SIGKILL"));
    assertThat(frame.indentsOfStdoutLines).isZero();
  }

  /**
   * The bridge's stderr read alone. A line printed to stdout leaves its header (if any) and its
   * indent on stderr without a newline, so on stderr alone such indents run into the next line:
   * {@code " " + " parent warns"}. Each line is split into its leading indents and its text; one
   * indent belongs to the text, the others to stdout lines.
   */
  private static final class Frame {
    final Map<String, List<String>> linesByPid = new LinkedHashMap<>();
    final List<String> unindented = new ArrayList<>();
    int indentsOfStdoutLines;

    static Frame parse(String stderr) {
      Frame frame = new Frame();
      String pid = null;
      for (String line : stderr.split("\n", -1)) {
        int indents = 0;
        while (line.startsWith(INDENT, indents * INDENT.length())) {
          indents++;
        }
        String text = line.substring(indents * INDENT.length());
        Matcher header = HEADER.matcher(text);
        if (header.matches()) {
          frame.indentsOfStdoutLines += indents;
          pid = header.group(1);
          frame.linesByPid.putIfAbsent(pid, new ArrayList<>());
        } else if (text.isEmpty()) {
          frame.indentsOfStdoutLines += indents;
        } else if (indents == 0 || pid == null) {
          frame.unindented.add(line);
        } else {
          frame.indentsOfStdoutLines += indents - 1;
          frame.linesByPid.get(pid).add(text);
        }
      }
      return frame;
    }
  }
}
