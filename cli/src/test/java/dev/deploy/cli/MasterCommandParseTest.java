package dev.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Resources;
import dev.deploy.cluster.master.ClusterMaster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code fabric master}'s arguments, parsed without starting anything: the inline form, the nodes
 * file form, and each mistake as one sentence with exit code 2. Every address is an IP literal on
 * loopback, so nothing is looked up.
 */
@Timeout(10)
class MasterCommandParseTest {
  private static final long GIB = 1L << 30;

  @TempDir Path dir;

  // ---------------------------------------------------------------- inline form

  @Test
  void givenInlineFormWithoutBridge_whenParsed_thenBindOwnAndOneWorker() throws Exception {
    MasterCommand.Plan plan =
        MasterCommand.parse(
            List.of("127.0.0.1:7000", "8GiB", "4", "127.0.0.2:7000", "64GiB", "16"));

    assertThat(plan.bind()).isEqualTo(new InetSocketAddress("127.0.0.1", 7000));
    assertThat(plan.own()).contains(new Resources(8 * GIB, 4));
    assertThat(plan.bridge()).isEmpty();
    assertThat(plan.workers())
        .containsExactly(
            new ClusterMaster.Worker(
                new InetSocketAddress("127.0.0.2", 7000), new Resources(64 * GIB, 16)));
  }

  @Test
  void givenInlineFormWithBridge_whenParsed_thenBridgeAndWorker() throws Exception {
    MasterCommand.Plan plan =
        MasterCommand.parse(
            List.of(
                "127.0.0.1:7000",
                "8GiB",
                "4",
                "bridge",
                "127.0.0.1:7100",
                "127.0.0.2:7000",
                "64GiB",
                "16"));

    assertThat(plan.bridge()).contains(new InetSocketAddress("127.0.0.1", 7100));
    assertThat(plan.workers())
        .extracting(ClusterMaster.Worker::address)
        .containsExactly(new InetSocketAddress("127.0.0.2", 7000));
  }

  @Test
  void givenInlineFormWithBridgeAndNoWorkers_whenParsed_thenOnlyTheMaster() throws Exception {
    MasterCommand.Plan plan =
        MasterCommand.parse(List.of("127.0.0.1:7000", "512MiB", "0.5", "bridge", "[::1]:7100"));

    assertThat(plan.own()).contains(new Resources(512L << 20, 0.5));
    assertThat(plan.bridge()).contains(new InetSocketAddress("::1", 7100));
    assertThat(plan.workers()).isEmpty();
  }

  @Test
  void givenThreeWorkers_whenParsed_thenAllInTheOrderGiven() throws Exception {
    MasterCommand.Plan plan =
        MasterCommand.parse(
            List.of(
                "127.0.0.1:7000",
                "8GiB",
                "4",
                "127.0.0.3:7000",
                "1GiB",
                "1",
                "127.0.0.2:7000",
                "2 GiB",
                "2.5",
                "127.0.0.2:7001",
                "3000MB",
                "0"));

    assertThat(plan.workers())
        .containsExactly(
            new ClusterMaster.Worker(
                new InetSocketAddress("127.0.0.3", 7000), new Resources(GIB, 1)),
            new ClusterMaster.Worker(
                new InetSocketAddress("127.0.0.2", 7000), new Resources(2 * GIB, 2.5)),
            new ClusterMaster.Worker(
                new InetSocketAddress("127.0.0.2", 7001), new Resources(3_000_000_000L, 0)));
  }

  @Test
  void givenWorkerOnTheMastersHostButAnotherPort_whenParsed_thenAccepted() throws Exception {
    MasterCommand.Plan plan =
        MasterCommand.parse(List.of("127.0.0.1:7000", "8GiB", "4", "127.0.0.1:7001", "1GiB", "1"));

    assertThat(plan.workers()).hasSize(1);
  }

  // ---------------------------------------------------------------- inline mistakes

  @Test
  void givenWorkerWithoutCpu_whenParsed_thenSaysTheTripleIsNotComplete() {
    CommandException e = failure(List.of("127.0.0.1:7000", "8GiB", "4", "127.0.0.2:7000", "64GiB"));

    assertUsageError(e);
    assertThat(e.getMessage())
        .isEqualTo(
            "each worker is <addr> <mem> <cpu>, but \"127.0.0.2:7000 64GiB\" is not all three");
  }

  @Test
  void givenSecondWorkerWithOnlyAnAddress_whenParsed_thenSaysTheTripleIsNotComplete() {
    CommandException e =
        failure(
            List.of(
                "127.0.0.1:7000", "8GiB", "4", "127.0.0.2:7000", "1GiB", "1", "127.0.0.3:7000"));

    assertUsageError(e);
    assertThat(e.getMessage()).contains("\"127.0.0.3:7000\"").contains("not all three");
  }

  @Test
  void givenWorkerMemoryInUnknownUnit_whenParsed_thenNamesTheWorkerAndTheValue() {
    CommandException e =
        failure(List.of("127.0.0.1:7000", "8GiB", "4", "127.0.0.2:7000", "4Gb", "2"));

    assertUsageError(e);
    assertThat(e.getMessage()).startsWith("worker 127.0.0.2:7000: ").contains("\"4Gb\"");
  }

  @Test
  void givenMastersOwnMemoryInUnknownUnit_whenParsed_thenNamesTheMastersOwnValue() {
    CommandException e = failure(List.of("127.0.0.1:7000", "4Gb", "4"));

    assertUsageError(e);
    assertThat(e.getMessage()).startsWith("the master's own <mem> <cpu>: ").contains("\"4Gb\"");
  }

  @Test
  void givenWorkerCpuNotANumber_whenParsed_thenNamesTheValue() {
    CommandException e =
        failure(List.of("127.0.0.1:7000", "8GiB", "4", "127.0.0.2:7000", "4GiB", "four"));

    assertUsageError(e);
    assertThat(e.getMessage()).startsWith("worker 127.0.0.2:7000: ").contains("\"four\"");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"127.0.0.2", "127.0.0.2:0", "127.0.0.2:70000", "127.0.0.2:http", ":7000"})
  void givenBadWorkerAddress_whenParsed_thenNamesTheAddress(String address) {
    CommandException e = failure(List.of("127.0.0.1:7000", "8GiB", "4", address, "4GiB", "1"));

    assertUsageError(e);
    assertThat(e.getMessage()).startsWith("worker: ").contains("\"" + address + "\"");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"0.0.0.0:7000", "[::]:7000"})
  void givenWorkerAtAWildcardAddress_whenParsed_thenSaysItNamesNoMachine(String address) {
    CommandException e = failure(List.of("127.0.0.1:7000", "8GiB", "4", address, "4GiB", "1"));

    assertUsageError(e);
    assertThat(e.getMessage())
        .isEqualTo(
            "worker: \""
                + address
                + "\" is a wildcard address, which names no machine; give the address the master"
                + " dials to reach that worker");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000"})
  void givenBadBindAddress_whenParsed_thenNamesTheAddress(String address) {
    CommandException e = failure(List.of(address, "8GiB", "4"));

    assertUsageError(e);
    assertThat(e.getMessage()).startsWith("<bind-addr>: ").contains("\"" + address + "\"");
  }

  @Test
  void givenPortZero_whenParsed_thenSaysThePortIsNotFrom1To65535() {
    CommandException e = failure(List.of("127.0.0.1:0", "8GiB", "4"));

    assertThat(e.getMessage()).contains("port 0").contains("1 to 65535");
  }

  @Test
  void givenPort70000_whenParsed_thenSaysThePortIsNotFrom1To65535() {
    CommandException e = failure(List.of("127.0.0.1:70000", "8GiB", "4"));

    assertThat(e.getMessage()).contains("port 70000").contains("1 to 65535");
  }

  @Test
  void givenBridgeWithoutAnAddress_whenParsed_thenSaysWhatMustFollow() {
    CommandException e = failure(List.of("127.0.0.1:7000", "8GiB", "4", "bridge"));

    assertUsageError(e);
    assertThat(e.getMessage()).isEqualTo("\"bridge\" must be followed by the bridge's host:port");
  }

  @Test
  void givenBridgeWithBadAddress_whenParsed_thenNamesIt() {
    CommandException e =
        failure(List.of("127.0.0.1:7000", "8GiB", "4", "bridge", "127.0.0.1", "127.0.0.2:7000"));

    assertUsageError(e);
    assertThat(e.getMessage()).startsWith("bridge: ").contains("\"127.0.0.1\"");
  }

  @Test
  void givenSameWorkerTwice_whenParsed_thenSaysItIsNamedTwice() {
    CommandException e =
        failure(
            List.of(
                "127.0.0.1:7000",
                "8GiB",
                "4",
                "127.0.0.2:7000",
                "1GiB",
                "1",
                "127.0.0.2:7000",
                "2GiB",
                "2"));

    assertUsageError(e);
    assertThat(e.getMessage()).isEqualTo("the worker 127.0.0.2:7000 is named twice");
  }

  @Test
  void givenSameIpv6WorkerWrittenTwoWays_whenParsed_thenSaysItIsNamedTwice() {
    CommandException e =
        failure(
            List.of(
                "127.0.0.1:7000",
                "8GiB",
                "4",
                "[::1]:7000",
                "1GiB",
                "1",
                "[0:0::1]:7000",
                "2GiB",
                "2"));

    assertUsageError(e);
    assertThat(e.getMessage()).contains("named twice");
  }

  @Test
  void givenWorkerWithTheMastersOwnAddress_whenParsed_thenSaysSo() {
    CommandException e =
        failure(List.of("127.0.0.1:7000", "8GiB", "4", "127.0.0.1:7000", "1GiB", "1"));

    assertUsageError(e);
    assertThat(e.getMessage()).isEqualTo("the worker 127.0.0.1:7000 has the master's own address");
  }

  /**
   * A nodes file refuses a bridge at a worker's address ("each needs its own address"); the inline
   * form says the same thing, so it must be refused there too rather than fail at run time.
   */
  @Test
  void givenBridgeAtAWorkersAddress_whenParsed_thenRefusedLikeInTheNodesFile() {
    CommandException e =
        failure(
            List.of(
                "127.0.0.1:7000",
                "8GiB",
                "4",
                "bridge",
                "127.0.0.2:7000",
                "127.0.0.2:7000",
                "1GiB",
                "1"));

    assertUsageError(e);
    assertThat(e.getMessage()).contains("127.0.0.2:7000");
  }

  /**
   * The master binds both {@code <bind-addr>} and the bridge's address, so the same address twice
   * can only end in "address in use" (exit 1) at start; it is an argument mistake (exit 2).
   */
  @Test
  void givenBridgeAtTheMastersOwnAddress_whenParsed_thenRefused() {
    CommandException e =
        failure(List.of("127.0.0.1:7000", "8GiB", "4", "bridge", "127.0.0.1:7000"));

    assertUsageError(e);
    assertThat(e.getMessage()).contains("127.0.0.1:7000");
  }

  // ---------------------------------------------------------------- nodes file

  @Test
  void givenNodesFile_whenParsed_thenMasterBridgeAndWorkersFromIt() throws Exception {
    Path file =
        write(
            "nodes.toml",
            "[master]\n"
                + "memory = \"8GiB\"\n"
                + "cpu = 4\n"
                + "bridge = \"127.0.0.1:7100\"\n"
                + "\n"
                + "[[node]]\n"
                + "address = \"127.0.0.2:7000\"\n"
                + "memory = \"64 GiB\"\n"
                + "cpu = 16\n"
                + "\n"
                + "[[node]]\n"
                + "address = \"[::1]:7001\"\n"
                + "memory = \"32GiB\"\n"
                + "cpu = 7.5\n");

    MasterCommand.Plan plan = MasterCommand.parse(List.of("127.0.0.1:7000", file.toString()));

    assertThat(plan.bind()).isEqualTo(new InetSocketAddress("127.0.0.1", 7000));
    assertThat(plan.own()).contains(new Resources(8 * GIB, 4));
    assertThat(plan.bridge()).contains(new InetSocketAddress("127.0.0.1", 7100));
    assertThat(plan.workers())
        .containsExactly(
            new ClusterMaster.Worker(
                new InetSocketAddress("127.0.0.2", 7000), new Resources(64 * GIB, 16)),
            new ClusterMaster.Worker(
                new InetSocketAddress("::1", 7001), new Resources(32 * GIB, 7.5)));
  }

  @Test
  void givenNodesFileWithoutMaster_whenParsed_thenNoOwnCapacityAndNoBridge() throws Exception {
    Path file =
        write("nodes.toml", "[[node]]\naddress = \"127.0.0.2:7000\"\nmemory = \"1GiB\"\ncpu = 1\n");

    MasterCommand.Plan plan = MasterCommand.parse(List.of("127.0.0.1:7000", file.toString()));

    assertThat(plan.own()).isEqualTo(Optional.empty());
    assertThat(plan.bridge()).isEmpty();
    assertThat(plan.workers()).hasSize(1);
  }

  @Test
  void givenNodesFileThatDoesNotExist_whenParsed_thenSaysSoWithCode2() {
    Path missing = dir.resolve("no-such-nodes.toml");

    CommandException e = failure(List.of("127.0.0.1:7000", missing.toString()));

    assertUsageError(e);
    assertThat(e.getMessage()).isEqualTo("the nodes file " + missing + " does not exist");
  }

  @Test
  void givenMalformedNodesFile_whenParsed_thenFileAndLineWithCode2() throws IOException {
    Path file = write("nodes.toml", "[[node]]\naddress = \"127.0.0.2:7000\"\nmemory = 4GiB\n");

    CommandException e = failure(List.of("127.0.0.1:7000", file.toString()));

    assertUsageError(e);
    assertThat(e.getMessage()).startsWith(file + ":3: ").contains("memory");
  }

  @Test
  void givenNodesFileWithUnknownUnit_whenParsed_thenFileLineAndValue() throws IOException {
    Path file =
        write("nodes.toml", "[[node]]\naddress = \"127.0.0.2:7000\"\nmemory = \"4Gb\"\ncpu = 1\n");

    CommandException e = failure(List.of("127.0.0.1:7000", file.toString()));

    assertUsageError(e);
    assertThat(e.getMessage()).startsWith(file + ":3: ").contains("\"4Gb\"");
  }

  @Test
  void givenNodesFileWithNodeMissingCpu_whenParsed_thenSaysWhichKeyIsMissing() throws IOException {
    Path file = write("nodes.toml", "[[node]]\naddress = \"127.0.0.2:7000\"\nmemory = \"4GiB\"\n");

    CommandException e = failure(List.of("127.0.0.1:7000", file.toString()));

    assertUsageError(e);
    assertThat(e.getMessage()).startsWith(file + ":1: ").contains("no cpu");
  }

  @Test
  void givenNodesFileThatIsADirectory_whenParsed_thenCode2() {
    CommandException e = failure(List.of("127.0.0.1:7000", dir.toString()));

    assertUsageError(e);
    assertThat(e.getMessage()).contains(dir.toString());
  }

  @Test
  void givenNodesFileWithSameWorkerTwice_whenParsed_thenCode2() throws IOException {
    Path file =
        write(
            "nodes.toml",
            "[[node]]\naddress = \"127.0.0.2:7000\"\nmemory = \"1GiB\"\ncpu = 1\n"
                + "[[node]]\naddress = \"127.0.0.2:7000\"\nmemory = \"1GiB\"\ncpu = 1\n");

    CommandException e = failure(List.of("127.0.0.1:7000", file.toString()));

    assertUsageError(e);
    assertThat(e.getMessage()).contains("127.0.0.2:7000");
  }

  /**
   * The inline form refuses a worker at the master's own address; a nodes file says the same thing
   * in another syntax, so it must be refused the same way rather than make the master dial itself.
   */
  @Test
  void givenNodesFileWithWorkerAtTheMastersOwnAddress_whenParsed_thenRefusedLikeInline()
      throws IOException {
    Path file =
        write("nodes.toml", "[[node]]\naddress = \"127.0.0.1:7000\"\nmemory = \"1GiB\"\ncpu = 1\n");

    CommandException e = failure(List.of("127.0.0.1:7000", file.toString()));

    assertUsageError(e);
    assertThat(e.getMessage()).contains("127.0.0.1:7000").contains("master's own address");
  }

  // ---------------------------------------------------------------- helpers

  private Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  /** Returns what parsing {@code args} failed with; fails the test when it did not. */
  private static CommandException failure(List<String> args) {
    try {
      MasterCommand.Plan plan = MasterCommand.parse(args);
      throw new AssertionError("parsed " + args + " as " + plan + " instead of failing");
    } catch (CommandException e) {
      return e;
    }
  }

  /** An argument mistake: exit code 2, and one sentence on one line without a stack's words. */
  private static void assertUsageError(CommandException e) {
    assertThat(e.code).as("exit code of: %s", e.getMessage()).isEqualTo(2);
    assertThat(e.getMessage())
        .isNotBlank()
        .doesNotContain("\n")
        .doesNotContain("Exception")
        .doesNotContain("java.")
        .doesNotContain("null");
  }
}
