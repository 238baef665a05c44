package dev.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The program, --format, --jvm-option and --env as the commands that run a program take them. */
@Timeout(10)
class ProgramArgumentsTest {
  @Command(name = "run")
  static final class Runner {
    @Mixin ProgramArguments arguments;
  }

  private static ProgramArguments parse(String... args) {
    Runner runner = new Runner();
    new CommandLine(runner).parseArgs(args);
    return runner.arguments;
  }

  @Test
  void givenOptionsBeforeAndAfterDashes_whenParsed_thenOursBeforeAndTheProgramsAfter() {
    ProgramArguments a =
        parse(
            "--format=json",
            "--jvm-option=-Xmx1g",
            "--env",
            "A=1",
            "app.jar",
            "com.example.Main",
            "--",
            "--format",
            "human",
            "x");

    ProgramArguments.Program p = a.program("deploy x run");

    assertThat(p)
        .isEqualTo(
            new ProgramArguments.Program(
                "app.jar", "com.example.Main", List.of("--format", "human", "x")));
    assertThat(a.formatName()).isEqualTo("json");
    assertThat(a.jvmOptions()).containsExactly("-Xmx1g");
    assertThat(a.environment()).containsExactly("A=1");
  }

  @Test
  void givenOnlyAJar_whenParsed_thenNoMainClassAndNoArguments() {
    assertThat(parse("app.jar").program("deploy x run"))
        .isEqualTo(new ProgramArguments.Program("app.jar", null, List.of()));
  }

  @Test
  void givenNoProgram_whenProgram_thenOneSentenceNamingTheCommand() {
    assertThatThrownBy(() -> parse("--format", "json").program("deploy k8s run"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("give the program, like: deploy k8s run app.jar (see deploy k8s run --help)");
  }

  @Test
  void givenAnUnknownFormat_whenFormatName_thenOneSentenceNamingIt() {
    assertThatThrownBy(() -> parse("--format", "xml", "app.jar").formatName())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--format is human or json, not \"xml\"");
  }
}
