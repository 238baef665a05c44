package dev.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.deploy.cli.slurm.SbatchScript;
import dev.deploy.cli.slurm.SlurmNodes;
import dev.deploy.cli.slurm.SrunLine;
import dev.deploy.process.Env;
import dev.deploy.security.ClusterKey;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * {@code deploy slurm}'s parsing and what it writes: the program's split, the batch script, the
 * srun line, a node's setup from a fake step environment, and the refusal outside an allocation.
 * Nothing here runs Slurm; SlurmIT does.
 */
@Timeout(10)
class SlurmCommandTest {
  private static SlurmSubmitCommand submit(String... args) {
    SlurmSubmitCommand command = new SlurmSubmitCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  @Test
  void givenOptionsAfterDashes_whenSplit_thenTheProgramsOwn() {
    ProgramArguments.Program p =
        ProgramArguments.split(
            "x",
            List.of("app.jar", "Main", "--", "--format", "json"),
            List.of("app.jar", "Main", "--format", "json"));

    assertThat(p.classPath()).isEqualTo("app.jar");
    assertThat(p.mainClass()).isEqualTo("Main");
    assertThat(p.arguments()).containsExactly("--format", "json");
  }

  @Test
  void givenArgumentsBeforeDashes_whenSplit_thenOneSentenceShowingWhere() {
    assertThatThrownBy(
            () ->
                ProgramArguments.split(
                    "deploy slurm run",
                    List.of("app.jar", "Main", "a"),
                    List.of("app.jar", "Main", "a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "the program's arguments go after --, like: deploy slurm run app.jar Main -- a");
  }

  @Test
  void givenSubmitOptions_whenPlanned_thenTheScriptAsksForThemAndRunsTheProgram()
      throws CommandException {
    SlurmSubmitCommand c =
        submit(
            "-N",
            "2",
            "-c",
            "3",
            "--mem",
            "2G",
            "-t",
            "5",
            "-p",
            "debug",
            "--sbatch-arg=--account=abc",
            "--output-dir",
            "/tmp/out",
            "--format",
            "json",
            "app.jar",
            "com.example.Main",
            "--",
            "a",
            "it's b");

    String script = SbatchScript.text(c.plan());

    assertThat(script)
        .startsWith("#!/bin/bash\n")
        .contains("#SBATCH --nodes=2\n")
        .contains("#SBATCH --ntasks-per-node=1\n")
        .contains("#SBATCH --cpus-per-task=3\n")
        .contains("#SBATCH --mem=2G\n")
        .contains("#SBATCH --time=5\n")
        .contains("#SBATCH --partition=debug\n")
        .contains("#SBATCH --account=abc\n")
        .contains("#SBATCH --job-name=deploy-Main\n")
        .contains("#SBATCH --output=/tmp/out/deploy-%j.out\n")
        .contains("#SBATCH --error=/tmp/out/deploy-%j.err\n")
        .contains(
            " deploy slurm run --format=json "
                + java.nio.file.Path.of("app.jar").toAbsolutePath()
                + " com.example.Main -- a 'it'\\''s b'\n")
        .contains("echo \"$code\" > \"/tmp/out/deploy-${SLURM_JOB_ID}.exit\"\n")
        .endsWith("exit \"$code\"\n");
  }

  @Test
  void givenNoMemoryOrTime_whenPlanned_thenSlurmsDefaults() throws CommandException {
    String script = SbatchScript.text(submit("app.jar").plan());

    assertThat(script).doesNotContain("--mem").doesNotContain("--time").contains("--nodes=1\n");
  }

  @Test
  void givenSbatchArgThatIsNotAnOption_whenPlanned_thenRefused() {
    assertThatThrownBy(() -> submit("--sbatch-arg", "oops", "app.jar").plan())
        .hasMessageContaining("\"oops\" is not one sbatch option");
  }

  @Test
  void givenDryRun_whenRun_thenPrintsTheScriptAndExits0() {
    PrintStream before = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code =
          new CommandLine(new Main())
              .execute("deploy", "slurm", "submit", "--dry-run", "-N", "2", "app.jar");
    } finally {
      System.setOut(before);
    }

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("#SBATCH --nodes=2\n");
  }

  @Test
  void givenQuotes_whenQuoted_thenSafeForTheShell() {
    assertThat(SbatchScript.quote("/a/b-c.jar")).isEqualTo("/a/b-c.jar");
    assertThat(SbatchScript.quote("a b")).isEqualTo("'a b'");
    assertThat(SbatchScript.quote("$(rm)")).isEqualTo("'$(rm)'");
    assertThat(SbatchScript.quote("it's")).isEqualTo("'it'\\''s'");
  }

  @Test
  void givenNodesAndCpus_whenSrunLine_thenOneTaskPerNodeAndCExplicitAndNoKeyOnIt() {
    List<String> line = SrunLine.command(2, 3, "/jdk/bin/java", "/x/deploy.jar", List.of());

    assertThat(line)
        .startsWith("srun")
        .contains(
            "--nodes=2",
            "--ntasks=2",
            "--ntasks-per-node=1",
            "--cpus-per-task=3",
            "--kill-on-bad-exit=0")
        .endsWith("dev.deploy.cli.Main", "deploy", "slurm", "node");
    assertThat(String.join(" ", line)).doesNotContain("KEY");
  }

  // ----- a node's setup

  private static Map<String, String> nodeEnv() {
    Map<String, String> env = new HashMap<>();
    env.put(SlurmNodes.MASTER, "127.0.0.1:4000");
    env.put(Env.CLUSTER_KEY, ClusterKey.generate().toHex());
    env.put("SLURMD_NODENAME", "n2");
    env.put("SLURM_CPUS_ON_NODE", "2");
    env.put("SLURM_MEM_PER_NODE", "2048");
    return env;
  }

  @Test
  void givenStepEnvironment_whenSetUp_thenSizedFromTheJobAndBoundTowardTheMaster()
      throws CommandException {
    SlurmNodeCommand.Setup s =
        SlurmNodeCommand.setup(nodeEnv(), "Cpus_allowed_list:\t0-7\n", n -> OptionalLong.empty());

    assertThat(s.share().node()).isEqualTo("n2");
    assertThat(s.capacity().cpu()).isEqualTo(2.0);
    assertThat(s.capacity().memory()).isEqualTo((2048L - 384) << 20);
    assertThat(s.bind().isLoopbackAddress()).isTrue();
    assertThat(s.master().getPort()).isEqualTo(4000);
  }

  @Test
  void givenNoKey_whenSetUp_thenSaysItRunsOnlyUnderSlurmRun() {
    Map<String, String> env = nodeEnv();
    env.remove(Env.CLUSTER_KEY);

    assertThatThrownBy(() -> SlurmNodeCommand.setup(env, "", n -> OptionalLong.empty()))
        .hasMessageContaining("only as a task of deploy slurm run");
  }

  @Test
  void givenTooLittleMemory_whenSetUp_thenAsksForMore() {
    Map<String, String> env = nodeEnv();
    env.put("SLURM_MEM_PER_NODE", "64");

    assertThatThrownBy(() -> SlurmNodeCommand.setup(env, "", n -> OptionalLong.empty()))
        .hasMessageContaining("too little")
        .hasMessageContaining("--mem");
  }

  @Test
  void givenNoAllocation_whenSlurmRun_thenExit2WithOneSentence() {
    assumeTrue(System.getenv("SLURM_JOB_ID") == null, "the test itself runs in a Slurm job");
    PrintStream before = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = new CommandLine(new Main()).execute("deploy", "slurm", "run", "app.jar");
    } finally {
      System.setErr(before);
    }

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .isEqualTo(
            "deploy slurm run: this is not inside a Slurm allocation (SLURM_JOB_ID is not set):"
                + " run it under salloc or in an sbatch script, or submit it with deploy slurm"
                + " submit\n");
  }
}
