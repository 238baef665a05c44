package dev.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Resources;
import dev.deploy.io.SilenceLimit;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code fabric --master}'s own options: durations, capacity, names, and the refusals of bad ones
 * with one sentence and exit code 2, before any key is looked for or anything started. Also {@code
 * fabric master <bind-addr> 0 0}, a master that only places.
 */
@Timeout(10)
class FabricJoinOptionsTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource({"30s, 30000", "2m, 120000", "500ms, 500", "1h, 3600000", "1.5s, 1500", "2 s, 2000"})
  void givenDuration_whenParsed_thenMillis(String text, long millis) throws CommandException {
    assertThat(Durations.parse("--exit-after", text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "30", "2x", "-1s", "s", "1d", "30 seconds"})
  void givenNotADuration_whenParsed_thenOneSentenceNamingIt(String text) {
    assertThatThrownBy(() -> Durations.parse("--exit-after", text))
        .isInstanceOf(CommandException.class)
        .hasMessage("--exit-after: \"" + text + "\" is not a duration like 30s, 2m, 1h or 500ms");
  }

  @Test
  void givenZeroDuration_whenParsed_thenRefused() {
    assertThatThrownBy(() -> Durations.parse("--exit-after", "0s"))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("must be longer than 0");
  }

  @Test
  void givenMemAndCpus_whenParsed_thenThatCapacity() throws CommandException {
    FabricCommand fabric = new FabricCommand();
    new CommandLine(fabric).parseArgs("--master", "10.0.0.1:7000", "--mem", "8G", "--cpus", "2.5");

    assertThat(fabric.capacity()).isEqualTo(new Resources(8L << 30, 2.5));
  }

  @Test
  void givenNoMemNorCpus_whenParsed_thenWhatTheJvmSees() throws CommandException {
    FabricCommand fabric = new FabricCommand();
    new CommandLine(fabric).parseArgs("--master", "10.0.0.1:7000");

    Resources capacity = fabric.capacity();

    assertThat(capacity.cpu()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(capacity.memory()).isGreaterThanOrEqualTo(Resources.MIN_MEMORY);
  }

  /** Runs {@code fabric args}; returns the exit code and what it printed on stderr. */
  private static Object[] run(String... args) {
    PrintStream err = System.err;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      FabricCommand fabric = new FabricCommand();
      new CommandLine(fabric).parseArgs(args);
      int code = fabric.call();
      return new Object[] {code, bytes.toString(StandardCharsets.UTF_8).strip()};
    } finally {
      System.setErr(err);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--name n1 127.0.0.1:7000|fabric: --name needs --master <host:port> (see --help)",
        "--exit-after 2s 127.0.0.1:7000|fabric: --exit-after needs --master",
        "--master 10.0.0.1|fabric: --master: address \"10.0.0.1\" has no port",
        "--master 0.0.0.0:7000|fabric: --master 0.0.0.0:7000 is a wildcard address",
        "--master 10.0.0.1:7000 --exit-after 2x|fabric: --exit-after: \"2x\" is not a duration",
        "--master 10.0.0.1:7000 --mem 1x|fabric: --mem: ",
        "--master 10.0.0.1:7000 --mem 1m|fabric: --mem: Resources memory 1048576 B is too little",
        "--master 10.0.0.1:7000 --cpus 0|fabric: --cpus: \"0\" is not a positive number",
        "--master 10.0.0.1:7000 --cpus many|fabric: --cpus: \"many\" is not a number of cores",
        "--master 10.0.0.1:7000 --name -x|fabric: --name: the node name \"-x\" is not 1 to 63",
        "--master 10.0.0.1:7000 0.0.0.0:7000|fabric: <bind-addr> 0.0.0.0:7000 is a wildcard",
        "--silence-limit 0s 127.0.0.1:7000|fabric: --silence-limit: \"0s\" is outside the"
            + " silence limit's range of 1 s to 10 min",
        "--master 10.0.0.1:7000 --silence-limit 11m|fabric: --silence-limit: \"11m\" is outside",
        "--master 10.0.0.1:7000 --silence-limit soon|fabric: --silence-limit: \"soon\" is not a"
            + " duration like 20s, 1500ms or 2m",
      })
  void givenBadJoinOption_whenRun_thenExit2WithOneSentence(String line, String says) {
    Object[] result = run(line.split(" "));

    assertThat(result[0]).isEqualTo(2);
    assertThat((String) result[1]).startsWith(says).doesNotContain("\n").doesNotContain("\tat ");
  }

  @Test
  void givenSilenceLimit_whenApplied_thenItIsTheDaemonsLimit() throws Exception {
    FabricCommand fabric = new FabricCommand();
    new CommandLine(fabric).parseArgs("--silence-limit", "20s", "127.0.0.1:7000");
    try {
      fabric.options.applySilenceLimit();

      assertThat(SilenceLimit.current().millis()).isEqualTo(20_000);
    } finally {
      SilenceLimit.set(SilenceLimit.DEFAULT);
    }
  }

  @Test
  void givenMasterWithZeroOwn_whenParsed_thenItRunsNothingItself() throws Exception {
    MasterCommand.Plan plan = MasterCommand.parse(List.of("127.0.0.1:7000", "0", "0"));

    assertThat(plan.own()).isEmpty();
    assertThat(plan.workers()).isEmpty();
  }

  @Test
  void givenMasterWithZeroMemoryButSomeCpu_whenParsed_thenRefusedAsToday() {
    assertThatThrownBy(() -> MasterCommand.parse(List.of("127.0.0.1:7000", "0", "1")))
        .isInstanceOf(CommandException.class)
        .hasMessageContaining("the master's own <mem> <cpu>");
  }
}
