package dev.deploy.cli;

import static dev.deploy.cli.NodesFileTest.GOOD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.deploy.Resources;
import dev.deploy.cli.NodesFile.NodeSpec;
import dev.deploy.testing.Gen;
import dev.deploy.testing.RandomCases;
import dev.deploy.util.HostPort;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;

/**
 * Properties of the nodes file over random and mutated text: it parses or names a line of the text,
 * addresses parse to a host and a port or quote the text, written nodes parse back. Apart from
 * {@link NodesFileTest} so its thousands of cases do not each make that class's temporary
 * directory.
 */
class NodesFilePropertyTest {
  /** "nodes.toml:<line>: <problem>", the form of every error. */
  private static final Pattern ERROR = Pattern.compile("nodes\\.toml:(\\d+): \\S[^\\n]*");

  /** Random text never breaks the parser: it parses, or says which line is wrong. */
  @RandomCases(3000)
  @Timeout(10)
  void givenRandomText_whenParse_thenOnlyIllegalArgumentWithALineOfTheText(Gen gen) {
    String text = tomlishText(gen);

    assertParsesOrNamesALine(text);
  }

  /** A good file with one character changed, inserted or removed: the same. */
  @RandomCases(3000)
  @Timeout(10)
  void givenGoodFileMutated_whenParse_thenOnlyIllegalArgumentWithALineOfTheText(Gen gen) {
    String text = mutatedGoodFile(gen);

    assertParsesOrNamesALine(text);
  }

  /** Any text as an address: a host and a port 1..65535, or a sentence quoting the text. */
  @RandomCases(3000)
  @Timeout(10)
  void givenRandomText_whenParseAddress_thenHostPortOrIllegalArgument(Gen gen) {
    String text = addressish(gen);

    Throwable thrown = catchThrowable(() -> HostPort.parse(text));
    if (thrown == null) {
      HostPort address = HostPort.parse(text);
      assertThat(address.port()).isBetween(1, 65535);
      assertThat(address.host()).isNotEmpty();
    } else {
      assertThat(thrown).isExactlyInstanceOf(IllegalArgumentException.class);
      if (!text.isEmpty()) {
        assertThat(thrown.getMessage()).contains(text);
      }
    }
  }

  /** Nodes written out in the format and parsed back are the same nodes. */
  @RandomCases(300)
  @Timeout(10)
  void givenNodes_whenWrittenAndParsed_thenSameNodes(Gen gen) {
    List<NodeSpec> nodes = nodeList(gen);
    StringBuilder text = new StringBuilder("# generated\n");
    for (NodeSpec node : nodes) {
      text.append("\n[[node]]\n")
          .append("cpu = ")
          .append(node.resources().cpu())
          .append('\n')
          .append("address = \"")
          .append(node.address())
          .append("\"\n")
          .append("memory = \"")
          .append(node.resources().memory())
          .append(" B\"\n");
    }

    assertThat(NodesFile.parse("nodes.toml", text.toString()).nodes()).isEqualTo(nodes);
  }

  private static void assertParsesOrNamesALine(String text) {
    Throwable thrown = catchThrowable(() -> NodesFile.parse("nodes.toml", text));
    if (thrown == null) {
      return;
    }
    assertThat(thrown).isExactlyInstanceOf(IllegalArgumentException.class);
    Matcher m = ERROR.matcher(thrown.getMessage());
    assertThat(m.matches()).as("message %s", thrown.getMessage()).isTrue();
    int lines = text.split("\n", -1).length;
    assertThat(Integer.parseInt(m.group(1))).isBetween(1, lines);
  }

  private static final List<String> TOML_FRAGMENTS =
      List.of(
          "[[node]]",
          "[master]",
          "[",
          "]",
          "[[",
          "]]",
          "address",
          "memory",
          "cpu",
          "bridge",
          " = ",
          "=",
          "\"",
          "'",
          "\\",
          "\\u",
          "#",
          "\n",
          "\r\n",
          " ",
          "\t",
          "4",
          "2.5",
          "-1",
          "1e9",
          "_",
          "GiB",
          "MiB",
          "Gb",
          "8",
          "\"8GiB\"",
          "\"10.0.0.2:7000\"",
          "\"[::1]:7\"",
          ":",
          "::",
          "%",
          "true",
          "{",
          "}",
          ",",
          ".",
          "\u0000",
          "\u00e9",
          "\uFEFF",
          "inf");

  /** Up to 40 pieces: fragments of the format three times in four, else any text up to 5 chars. */
  private static String tomlishText(Gen gen) {
    return String.join(
        "", gen.list(0, 40, () -> gen.chance(0.75) ? gen.oneOf(TOML_FRAGMENTS) : gen.string(5)));
  }

  /** The good file with one character removed, inserted or replaced. */
  private static String mutatedGoodFile(Gen gen) {
    int i = gen.intBetween(0, GOOD.length() - 1);
    char ch =
        gen.either(
            () -> gen.oneOf('"', '\'', '[', ']', '=', '#', '\n', ' ', ':', '\\', '.', '0', 'x'),
            gen::anyChar);
    return switch (gen.intBetween(0, 2)) {
      case 0 -> GOOD.substring(0, i) + GOOD.substring(i + 1);
      case 1 -> GOOD.substring(0, i) + ch + GOOD.substring(i);
      default -> GOOD.substring(0, i) + ch + GOOD.substring(i + 1);
    };
  }

  private static final List<String> ADDRESS_PARTS =
      List.of(
          "[", "]", ":", "::", ".", "1", "255", "256", "7000", "65536", "0", "a", "node", "-", "%",
          "eth0", "fd00", "ffff", " ", "_", "x");

  /**
   * Up to 10 pieces of addresses joined, any text up to 20 chars, or a host and a port that may be
   * out of range: the pieces alone almost never make an address that parses.
   */
  private static String addressish(Gen gen) {
    return gen.either(
        () -> String.join("", gen.list(0, 10, () -> gen.oneOf(ADDRESS_PARTS))),
        () -> gen.string(20),
        () ->
            gen.either(
                    () -> gen.oneOf("10.0.0.2", "node-1", "localhost", "[::1]", "[fd00::3]"),
                    () -> gen.string(1, 8, Gen.range('a', 'z')))
                + ":"
                + gen.either(
                    () -> Integer.toString(gen.intBetween(0, 70_000)),
                    () -> gen.oneOf("0", "1", "65535", "65536", "007", "-1", "")));
  }

  /** 1 to 8 nodes with distinct addresses. */
  private static List<NodeSpec> nodeList(Gen gen) {
    int size = gen.size(1, 8);
    List<NodeSpec> nodes = new ArrayList<>();
    Set<String> addresses = new HashSet<>();
    while (nodes.size() < size) {
      String host = gen.string(1, 8, Gen.range('a', 'z'));
      int port = gen.intBetween(1, 65535);
      long memory = gen.longBetween(Resources.MIN_MEMORY, 1L << 50);
      int centiCores = gen.intBetween(0, 10_000);
      NodeSpec node = new NodeSpec(host + ":" + port, new Resources(memory, centiCores / 100.0));
      if (addresses.add(node.address())) {
        nodes.add(node);
      }
    }
    return nodes;
  }
}
