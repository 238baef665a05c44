package dev.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Resources;
import dev.deploy.cli.NodesFile.MasterSpec;
import dev.deploy.cli.NodesFile.NodeSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The nodes file: a good file, every error with its exact line, addresses. Properties over random
 * and mutated text are in {@link NodesFilePropertyTest}.
 */
class NodesFileTest {
  private static final long GIB = 1L << 30;

  /** A good nodes file; {@link NodesFilePropertyTest} mutates it. */
  static final String GOOD =
      """
      # A cluster of three machines.

      [master]              # the master runs processes too
      memory = "8GiB"
      cpu = 4
      bridge = "10.0.0.1:7100"

      [[node]]
      address = "10.0.0.2:7000"
      memory = "64 GiB"
      cpu = 16

      [[node]]
      \taddress = '[fd00::3]:7000'   # literal string, tab indent
      memory = "32GiB"
      cpu = 7.5
      """;

  @TempDir Path dir;

  // ---- a good file ----

  @Test
  @Timeout(10)
  void givenGoodFile_whenParse_thenNodesInFileOrder() {
    NodesFile file = NodesFile.parse("nodes.toml", GOOD);

    assertThat(file.nodes())
        .containsExactly(
            new NodeSpec("10.0.0.2:7000", new Resources(64 * GIB, 16)),
            new NodeSpec("[fd00::3]:7000", new Resources(32 * GIB, 7.5)));
  }

  @Test
  @Timeout(10)
  void givenGoodFile_whenParse_thenMasterCapacityAndBridge() {
    NodesFile file = NodesFile.parse("nodes.toml", GOOD);

    assertThat(file.master())
        .contains(new MasterSpec(new Resources(8 * GIB, 4), Optional.of("10.0.0.1:7100")));
  }

  @Test
  @Timeout(10)
  void givenNodesOnly_whenParse_thenNoMaster() {
    NodesFile file =
        NodesFile.parse(
            "nodes.toml",
            """
            [[node]]
            address = "a:1"
            memory = "1GiB"
            cpu = 1
            """);

    assertThat(file.master()).isEmpty();
    assertThat(file.nodes()).hasSize(1);
  }

  @Test
  @Timeout(10)
  void givenMasterOnlyWithoutBridge_whenParse_thenMasterWithoutBridgeAndNoNodes() {
    NodesFile file =
        NodesFile.parse(
            "nodes.toml",
            """
            [master]
            cpu = 0.5
            memory = "512 MiB"
            """);

    assertThat(file.master())
        .contains(new MasterSpec(new Resources(512L << 20, 0.5), Optional.empty()));
    assertThat(file.nodes()).isEmpty();
  }

  @Test
  @Timeout(10)
  void givenMasterAfterNodes_whenParse_thenBothRead() {
    NodesFile file =
        NodesFile.parse(
            "nodes.toml",
            """
            [[node]]
            address = "a:1"
            memory = "1GiB"
            cpu = 1
            [master]
            memory = "2GiB"
            cpu = 2
            """);

    assertThat(file.nodes()).extracting(NodeSpec::address).containsExactly("a:1");
    assertThat(file.master()).map(MasterSpec::resources).contains(new Resources(2 * GIB, 2));
  }

  @Test
  @Timeout(10)
  void givenTomlSpellings_whenParse_thenAccepted() {
    NodesFile file =
        NodesFile.parse(
            "nodes.toml",
            "[[node]]\n"
                + "address=\"n\\u0031:7000\"#comment\r\n"
                + "memory = '1000 MB'\r\n"
                + "cpu = +1_0\n"
                + "[[ node ]]\n"
                + "address = \"n2:7000\"\n"
                + "memory = \"1073741824\"\n"
                + "cpu = 25e-1\n");

    assertThat(file.nodes())
        .containsExactly(
            new NodeSpec("n1:7000", new Resources(1_000_000_000L, 10)),
            new NodeSpec("n2:7000", new Resources(GIB, 2.5)));
  }

  @Test
  @Timeout(10)
  void givenFileOnDisk_whenRead_thenParsedAndErrorsNameThePath() throws IOException {
    Path good = Files.writeString(dir.resolve("nodes.toml"), "\uFEFF" + GOOD);
    Path bad = Files.writeString(dir.resolve("bad.toml"), "[[node]]\ncpu = 1\ncpu = 2\n");

    assertThat(NodesFile.read(good).nodes()).hasSize(2);
    assertThatThrownBy(() -> NodesFile.read(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(bad + ":3: duplicate key cpu");
  }

  @Test
  @Timeout(10)
  void givenBytesThatAreNotUtf8OnLineThree_whenRead_thenErrorNamesLineThree() throws IOException {
    byte[] head = "[[node]]\naddress = \"a:1\"\nmemory = \"".getBytes(StandardCharsets.UTF_8);
    byte[] bytes = new byte[head.length + 2];
    System.arraycopy(head, 0, bytes, 0, head.length);
    bytes[head.length] = (byte) 0xC3;
    bytes[head.length + 1] = (byte) 0x28;
    Path file = Files.write(dir.resolve("latin.toml"), bytes);

    assertThatThrownBy(() -> NodesFile.read(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(file + ":3: the file is not UTF-8 text (byte " + head.length + ")");
  }

  @Test
  @Timeout(10)
  void givenMissingFile_whenRead_thenIOExceptionNamingIt() {
    Path missing = dir.resolve("missing.toml");

    assertThatThrownBy(() -> NodesFile.read(missing))
        .isInstanceOf(IOException.class)
        .hasMessage("the nodes file " + missing + " does not exist");
  }

  // ---- every error names the file, the line and the problem ----

  @Timeout(10)
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      textBlock =
"""
unknown key in a node        | 4 | [[node]]~address = "a:1"~memory = "1GiB"~mem = "2GiB"                | unknown key mem in [[node]]; its keys are address, memory and cpu
unknown key in the master    | 2 | [master]~cores = 4                                                     | unknown key cores in [master]; its keys are memory, cpu and bridge
address in the master        | 2 | [master]~address = "a:1"                                               | [master] takes no address: the master listens on the <bind-addr> given to fabric master
duplicate key                | 5 | [[node]]~address = "a:1"~cpu = 1~memory = "1GiB"~cpu = 2              | duplicate key cpu: this [[node]] already set it at line 3
missing cpu                  | 3 | #~~[[node]]~address = "a:1"~memory = "1GiB"~[[node]]                   | the [[node]] that starts here has no cpu; add cpu = 4
missing address at the end   | 2 | ~[[node]]~memory = "1GiB"~cpu = 1                                      | the [[node]] that starts here has no address; add address = "10.0.0.2:7000"
missing everything           | 1 | [[node]]~# nothing                                                     | the [[node]] that starts here has no address and no memory and no cpu; add address = "10.0.0.2:7000" and memory = "8GiB" and cpu = 4
missing memory in master     | 1 | [master]~cpu = 1                                                       | the [master] that starts here has no memory; add memory = "8GiB"
bad unit Gb                  | 3 | [[node]]~address = "a:1"~memory = "4Gb"                                | memory "4Gb" is not a size: write a number and a unit, like 512m, 512M, 8G, 8Gi or 8GiB (K, M, G, T as in -Xmx and Slurm, Ki, Mi, Gi, Ti as in Kubernetes, and KiB, MiB, GiB, TiB are powers of 1024; KB, MB, GB, TB powers of 1000; B or no unit is bytes)
too little memory            | 2 | [master]~memory = "10MiB"                                              | memory "10MiB" is too little for a JVM; the least is 64 MiB
unterminated string          | 2 | [[node]]~address = "a:1                                                | unterminated string; it needs a closing " on the same line
unterminated literal string  | 2 | [[node]]~address = 'a:1                                                | unterminated string; it needs a closing ' on the same line
backslash at the end         | 2 | [[node]]~address = "a:1\\                                              | unterminated string; it needs a closing " on the same line
multi-line string            | 2 | [[node]]~address = \"""a:1\"""                                         | multi-line strings (\""") are not supported; write the value on one line
unknown escape               | 2 | [[node]]~address = "a\\q:1"                                            | unknown escape \\q in a string; write \\\\ for a backslash
short unicode escape         | 2 | [[node]]~address = "\\u12"                                             | escape \\u12" needs 4 hex digits
surrogate escape             | 2 | [[node]]~address = "\\uD800"                                           | escape \\uD800 is not a Unicode character
cpu as a string              | 2 | [[node]]~cpu = "4"                                                     | cpu is a number of cores, like cpu = 4, not the string "4"
memory as a number           | 2 | [[node]]~memory = 8                                                    | memory is a size in quotes, like memory = "8GiB", not the number 8
memory with a space, bare    | 2 | [[node]]~memory = 8 GiB                                                | memory is a size in quotes, like memory = "8GiB", not the number 8
address unquoted             | 2 | [[node]]~address = 10.0.0.2:7000                                       | address is an address in quotes, like address = "10.0.0.2:7000", not the unquoted text 10.0.0.2:7000
cpu as a boolean             | 2 | [[node]]~cpu = true                                                    | cpu is a number of cores, like cpu = 4, not true
cpu as an array              | 2 | [[node]]~cpu = [1, 2]                                                  | cpu is a number of cores, like cpu = 4, not an array
bridge as an inline table    | 2 | [master]~bridge = { host = "a" }                                       | bridge is an address in quotes, like bridge = "10.0.0.1:7100", not an inline table
negative cpu                 | 2 | [[node]]~cpu = -1                                                      | cpu -1 is not a number of cores; it must be finite and 0 or more
infinite cpu                 | 2 | [[node]]~cpu = inf                                                     | cpu inf is not a number of cores; it must be finite and 0 or more
cpu with a leading zero      | 2 | [[node]]~cpu = 04                                                      | cpu is a number of cores, like cpu = 4, not the unquoted text 04
huge cpu                     | 2 | [[node]]~cpu = 1e999                                                   | cpu 1e999 is not a number of cores; it must be finite and 0 or more
address without port         | 2 | [[node]]~address = "10.0.0.2"                                          | address "10.0.0.2" has no port; write host:port, like 10.0.0.2:7000
address with port 0          | 2 | [[node]]~address = "10.0.0.2:0"                                        | address "10.0.0.2:0" has port 0, which is not from 1 to 65535
address with port 65536      | 2 | [[node]]~address = "10.0.0.2:65536"                                    | address "10.0.0.2:65536" has port 65536, which is not from 1 to 65535
address with a named port    | 2 | [[node]]~address = "node1:http"                                        | address "node1:http" has port "http", which is not a number from 1 to 65535
bridge without port          | 2 | [master]~bridge = "10.0.0.1:"                                          | address "10.0.0.1:" has no port after the colon; write host:port, like host:7000
same address twice           | 6 | [[node]]~address = "a:1"~memory = "1GiB"~cpu = 1~[[node]]~address = "a:1"  | address "a:1" is already the address of the [[node]] at line 1; each needs its own address
same IPv6 address, two forms | 6 | [[node]]~address = "[::1]:7"~memory = "1GiB"~cpu = 1~[[node]]~address = "[0:0::1]:7" | address "[0:0::1]:7" is already the address of the [[node]] at line 1; each needs its own address
same host, other case        | 6 | [[node]]~address = "Node1:7"~memory = "1GiB"~cpu = 1~[[node]]~address = "node1:7" | address "node1:7" is already the address of the [[node]] at line 1; each needs its own address
node at the bridge address   | 6 | [master]~memory = "1GiB"~cpu = 1~bridge = "a:1"~[[node]]~address = "a:1" | address "a:1" is already the address of the bridge at line 4; each needs its own address
newline escape in a string   | 2 | [[node]]~address = "a\\n:1"                                        | the value of address holds the control character U+000A; write it on one line without escapes for control characters
key outside any table        | 2 | # top~cpu = 4                                                          | key cpu comes before any table; put it under [master] or a [[node]]
unknown table                | 3 | ~~[workers]                                                            | unknown table [workers]; the tables are [master] and [[node]]
single-bracket node          | 1 | [node]                                                                 | [node] is a single table, but a cluster has many nodes; write [[node]]
double-bracket master        | 1 | [[master]]                                                             | [[master]] is a list of tables, but a cluster has one master; write [master]
master twice                 | 4 | [master]~memory = "1GiB"~cpu = 1~[master]                              | [master] appears twice; the first is at line 1
unclosed header              | 1 | [[node]                                                                | the table header [[node] has no closing ]]
text after header            | 1 | [master] x                                                             | unexpected x after [master]; a line holds one thing and maybe a # comment
text after value             | 2 | [[node]]~cpu = 4 4                                                     | unexpected 4 after the value of cpu; a line holds one thing and maybe a # comment
text after string            | 2 | [[node]]~address = "a:1"x                                              | unexpected x after the value of address; a line holds one thing and maybe a # comment
no value                     | 2 | [[node]]~cpu =   # none                                                | key cpu has no value; write it like cpu = 4
no equals sign               | 2 | [[node]]~cpu 4                                                         | "cpu 4" is not a key = value line, a [table] or a # comment
dotted key                   | 1 | node.cpu = 4                                                           | dotted keys like node.cpu are not supported; write a [[node]] table with plain keys
quoted key                   | 2 | [[node]]~"cpu" = 4                                                     | quoted keys are not supported; write the key without quotes, like cpu = 4
empty file                   | 1 | ~                                                                      | the file holds no [[node]] and no [master], so there is nowhere to run anything
only comments                | 1 | # nothing~# here                                                       | the file holds no [[node]] and no [master], so there is nowhere to run anything
control character            | 2 | [[node]]~cpu = 4\\u0007                                                | control character U+0007 is not allowed in a nodes file
""")
  void givenBadFile_whenParse_thenOneSentenceWithFileLineAndProblem(
      String what, int line, String text, String problem) {
    String source = text.replace("~", "\n").replace("\\u0007", "\u0007");

    assertThatThrownBy(() -> NodesFile.parse("nodes.toml", source))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nodes.toml:" + line + ": " + problem);
  }

  @Test
  @Timeout(10)
  void givenErrorDeepInALongFile_whenParse_thenItsExactLine() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      text.append("[[node]]\naddress = \"n")
          .append(i)
          .append(":7000\"\n")
          .append("memory = \"1GiB\"\ncpu = 1\n\n");
    }
    text.append("[[node]]\naddress = \"n40:7000\"\nmemory = \"1 gib\"\n");

    assertThatThrownBy(() -> NodesFile.parse("nodes.toml", text.toString()))
        .hasMessageStartingWith("nodes.toml:203: memory \"1 gib\" is not a size");
  }

  // ---- addresses ----

  @Timeout(10)
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"0.0.0.0:7000", "[::]:7000"})
  void givenNodeAtAWildcardAddress_whenParse_thenSaysItNamesNoMachine(String address) {
    String text = "[[node]]\naddress = \"" + address + "\"\nmemory = \"1GiB\"\ncpu = 1\n";

    assertThatThrownBy(() -> NodesFile.parse("nodes.toml", text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "nodes.toml:2: address \""
                + address
                + "\" is a wildcard, which names no machine; write the address the master dials"
                + " to reach that worker");
  }
}
