package dev.deploy.cli;

import dev.deploy.Resources;
import dev.deploy.util.HostPort;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code nodes.toml} of {@code fabric master <bind-addr> <nodes.toml>}: the machines the master
 * places processes on, and optionally the master's own capacity and its bridge's address.
 *
 * <pre>{@code
 * # The master is a worker too: what it may run itself, and where deploy finds the bridge.
 * [master]
 * memory = "8GiB"
 * cpu = 4
 * bridge = "10.0.0.1:7100"
 *
 * [[node]]                      # one table per worker machine, each with all three keys
 * address = "10.0.0.2:7000"     # where its fabric listens: host:port or [ipv6]:port
 * memory = "64 GiB"             # B, KiB, MiB, GiB, TiB, KB, MB, GB, TB; at least 64 MiB
 * cpu = 16                      # logical cores, a whole or decimal number
 *
 * [[node]]
 * address = "[fd00::3]:7000"
 * memory = "32GiB"
 * cpu = 7.5
 * }</pre>
 *
 * <p>The file is a strict subset of TOML 1.0, so any TOML tool can read and write it: {@code #}
 * comments and blank lines anywhere; the table {@code [master]} at most once, with the keys {@code
 * memory} and {@code cpu} (both required) and {@code bridge} (optional); the array-of-tables {@code
 * [[node]]} any number of times, each with {@code address}, {@code memory} and {@code cpu}, all
 * required. Addresses and sizes are strings (basic {@code "..."} with TOML's escapes, or literal
 * {@code '...'}), {@code cpu} is a number. Tables may come in any order; the file must hold at
 * least one of them. The master's own address is its {@code <bind-addr>}, so {@code [master]} takes
 * no {@code address}. No other TOML (keys outside a table, dotted or quoted keys, arrays, inline
 * tables, booleans, dates, multi-line strings) is accepted.
 *
 * <p>Every error is an {@link IllegalArgumentException} whose message is one sentence starting
 * {@code <file>:<line>: }, naming the problem and the value: an unknown key or table, a key set
 * twice, a missing key, a size in an unknown unit, an unterminated string, a value of the wrong
 * type, an address without a port or with a bad one, the same address twice. See {@code
 * docs/nodes-toml.md}. Immutable once parsed; parsing is stateless and any thread may call it.
 */
public final class NodesFile {
  /** A worker machine: the address its fabric listens on, and what it may run. */
  public record NodeSpec(String address, Resources resources) {}

  /** The master's own capacity (it runs processes too) and, when given, its bridge's address. */
  public record MasterSpec(Resources resources, Optional<String> bridge) {}

  private static final Pattern NUMBER =
      Pattern.compile("[+-]?(?:0|[1-9](?:_?\\d)*)(?:\\.\\d(?:_?\\d)*)?(?:[eE][+-]?\\d(?:_?\\d)*)?");
  private static final Pattern NOT_A_NUMBER = Pattern.compile("[+-]?(?:inf|nan)");

  /** The master's capacity; empty when the file has no {@code [master]}. */
  private final Optional<MasterSpec> master;

  /** The workers in file order; immutable, maybe empty when there is a master. */
  private final List<NodeSpec> nodes;

  private NodesFile(Optional<MasterSpec> master, List<NodeSpec> nodes) {
    this.master = master;
    this.nodes = List.copyOf(nodes);
  }

  /**
   * Reads and parses a nodes file (UTF-8).
   *
   * @throws IOException when the file cannot be read
   * @throws IllegalArgumentException {@code <file>:<line>: <problem>} when it is not a nodes file
   */
  public static NodesFile read(Path file) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IOException("the nodes file " + file + " does not exist", e);
    } catch (AccessDeniedException e) {
      throw new IOException("cannot read the nodes file " + file + ": permission denied", e);
    } catch (IOException e) {
      String why =
          e instanceof FileSystemException f && f.getReason() != null
              ? f.getReason()
              : String.valueOf(e.getMessage());
      throw new IOException("cannot read the nodes file " + file + ": " + why, e);
    }
    return parse(file.toString(), decode(file.toString(), bytes));
  }

  /**
   * Parses the text of a nodes file; {@code name} is the file's name for error messages.
   *
   * @throws IllegalArgumentException {@code <name>:<line>: <problem>} when it is not a nodes file
   */
  public static NodesFile parse(String name, String text) {
    return new Parser(name).parse(text);
  }

  /** Returns the master's own capacity and bridge, when the file has a {@code [master]}. */
  public Optional<MasterSpec> master() {
    return master;
  }

  /** Returns the workers, in the order the file lists them. */
  public List<NodeSpec> nodes() {
    return nodes;
  }

  /** Decodes UTF-8, naming the line of the first byte that is not UTF-8. */
  private static String decode(String name, byte[] bytes) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      int line = 1;
      for (int i = 0; i < in.position(); i++) {
        line += bytes[i] == '\n' ? 1 : 0;
      }
      throw new IllegalArgumentException(
          name + ":" + line + ": the file is not UTF-8 text (byte " + in.position() + ")");
    }
    String text = out.flip().toString();
    return text.startsWith("\uFEFF") ? text.substring(1) : text;
  }

  /** A key a table may hold: what it is, and how a user writes one. */
  private enum Key {
    ADDRESS("address", "an address in quotes", "address = \"10.0.0.2:7000\""),
    MEMORY("memory", "a size in quotes", "memory = \"8GiB\""),
    CPU("cpu", "a number of cores", "cpu = 4"),
    BRIDGE("bridge", "an address in quotes", "bridge = \"10.0.0.1:7100\"");

    final String word;
    final String kind;
    final String example;

    Key(String word, String kind, String example) {
      this.word = word;
      this.kind = kind;
      this.example = example;
    }
  }

  /** What a value is, as far as this subset of TOML tells. */
  private enum Type {
    STRING,
    NUMBER,
    BOOLEAN,
    ARRAY,
    INLINE_TABLE,
    BARE
  }

  /** A value as read: its type and its text (a string's content, a number's digits). */
  private record Value(Type type, String text) {
    String describe() {
      return switch (type) {
        case STRING -> "the string \"" + text + "\"";
        case NUMBER -> "the number " + text;
        case BOOLEAN -> text;
        case ARRAY -> "an array";
        case INLINE_TABLE -> "an inline table";
        case BARE -> "the unquoted text " + text;
      };
    }
  }

  /** A [master] or [[node]] table being read: its keys so far and where each was set. */
  private static final class Table {
    final boolean isMaster;
    final int line;
    final Map<Key, Integer> lines = new HashMap<>();
    String address;
    long memory;
    double cpu;
    String bridge;

    Table(boolean isMaster, int line) {
      this.isMaster = isMaster;
      this.line = line;
    }

    String header() {
      return isMaster ? "[master]" : "[[node]]";
    }

    List<Key> keys() {
      return isMaster
          ? List.of(Key.MEMORY, Key.CPU, Key.BRIDGE)
          : List.of(Key.ADDRESS, Key.MEMORY, Key.CPU);
    }
  }

  /** Reads one file, line by line; used once, by one thread. */
  private static final class Parser {
    private final String name;
    private final List<NodeSpec> nodes = new ArrayList<>();

    /**
     * Every address and bridge so far, by {@link HostPort#sameAddressKey}, to where it was given.
     */
    private final Map<String, String> addresses = new HashMap<>();

    private MasterSpec master;
    private Table masterTable;
    private Table table;
    private int lineNumber;
    private String line;
    private int pos;

    Parser(String name) {
      this.name = name;
    }

    NodesFile parse(String text) {
      String[] lines = text.split("\n", -1);
      for (int i = 0; i < lines.length; i++) {
        lineNumber = i + 1;
        line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
        pos = 0;
        parseLine();
      }
      finishTable();
      if (master == null && nodes.isEmpty()) {
        lineNumber = 1;
        throw fail(
            "the file holds no [[node]] and no [master], so there is nowhere to run anything");
      }
      return new NodesFile(Optional.ofNullable(master), nodes);
    }

    private void parseLine() {
      for (int i = 0; i < line.length(); i++) {
        char c = line.charAt(i);
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
          throw fail(
              String.format("control character U+%04X is not allowed in a nodes file", (int) c));
        }
      }
      skipSpace();
      if (atEnd() || peek() == '#') {
        return;
      }
      if (peek() == '[') {
        header();
      } else {
        keyValue();
      }
    }

    private void header() {
      boolean array = line.startsWith("[[", pos);
      String close = array ? "]]" : "]";
      int start = pos + close.length();
      int end = line.indexOf(close, start);
      if (end < 0) {
        throw fail("the table header " + line.substring(pos).strip() + " has no closing " + close);
      }
      String tableName = line.substring(start, end).strip();
      String written = (array ? "[[" : "[") + tableName + close;
      pos = end + close.length();
      endOfLine("after " + written);
      finishTable();
      if (array && tableName.equals("node")) {
        this.table = new Table(false, lineNumber);
      } else if (!array && tableName.equals("master")) {
        if (masterTable != null) {
          throw fail("[master] appears twice; the first is at line " + masterTable.line);
        }
        masterTable = new Table(true, lineNumber);
        this.table = masterTable;
      } else if (array && tableName.equals("master")) {
        throw fail("[[master]] is a list of tables, but a cluster has one master; write [master]");
      } else if (!array && tableName.equals("node")) {
        throw fail("[node] is a single table, but a cluster has many nodes; write [[node]]");
      } else {
        throw fail("unknown table " + written + "; the tables are [master] and [[node]]");
      }
    }

    private void keyValue() {
      if (peek() == '"' || peek() == '\'') {
        throw fail("quoted keys are not supported; write the key without quotes, like cpu = 4");
      }
      int start = pos;
      while (!atEnd() && isKeyCharacter(peek())) {
        pos++;
      }
      String word = line.substring(start, pos);
      skipSpace();
      if (word.isEmpty() || atEnd() || peek() != '=') {
        if (!word.isEmpty() && !atEnd() && peek() == '.') {
          throw fail(
              "dotted keys like "
                  + line.substring(start).split("[\\s=]", 2)[0]
                  + " are not supported; write a [[node]] table with plain keys");
        }
        throw fail("\"" + line.strip() + "\" is not a key = value line, a [table] or a # comment");
      }
      pos++;
      if (table == null) {
        throw fail("key " + word + " comes before any table; put it under [master] or a [[node]]");
      }
      Key key = keyNamed(word);
      Integer first = table.lines.get(key);
      if (first != null) {
        throw fail(
            "duplicate key "
                + word
                + ": this "
                + table.header()
                + " already set it at line "
                + first);
      }
      skipSpace();
      if (atEnd() || peek() == '#') {
        throw fail("key " + word + " has no value; write it like " + key.example);
      }
      Value value = value();
      Type wanted = key == Key.CPU ? Type.NUMBER : Type.STRING;
      if (value.type() != wanted) {
        throw fail(
            word + " is " + key.kind + ", like " + key.example + ", not " + value.describe());
      }
      endOfLine("after the value of " + word);
      for (int i = 0; i < value.text().length(); i++) {
        char c = value.text().charAt(i);
        if (c < 0x20 || c == 0x7F) {
          throw fail(
              String.format(
                  "the value of %s holds the control character U+%04X; write it on one line"
                      + " without escapes for control characters",
                  word, (int) c));
        }
      }
      table.lines.put(key, lineNumber);
      set(key, value.text());
    }

    private static boolean isKeyCharacter(char c) {
      return (c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '_'
          || c == '-';
    }

    private Key keyNamed(String word) {
      for (Key key : table.keys()) {
        if (key.word.equals(word)) {
          return key;
        }
      }
      if (table.isMaster && word.equals("address")) {
        throw fail(
            "[master] takes no address: the master listens on the <bind-addr> given to"
                + " fabric master");
      }
      List<String> known = table.keys().stream().map(k -> k.word).toList();
      throw fail(
          "unknown key "
              + word
              + " in "
              + table.header()
              + "; its keys are "
              + String.join(", ", known.subList(0, 2))
              + " and "
              + known.get(2));
    }

    private void set(Key key, String text) {
      switch (key) {
        case ADDRESS -> table.address = address("address", text);
        case BRIDGE -> table.bridge = address("bridge", text);
        case MEMORY -> {
          try {
            table.memory = Resources.parseMemory(text);
          } catch (IllegalArgumentException e) {
            throw fail(e.getMessage());
          }
          if (table.memory < Resources.MIN_MEMORY) {
            throw fail("memory \"" + text + "\" is too little for a JVM; the least is 64 MiB");
          }
        }
        case CPU -> {
          double cpu =
              Double.parseDouble(
                  text.replace("_", "").replace("inf", "Infinity").replace("nan", "NaN"));
          if (Double.isNaN(cpu) || Double.isInfinite(cpu) || cpu < 0) {
            throw fail(
                "cpu " + text + " is not a number of cores; it must be finite and 0 or more");
          }
          table.cpu = cpu;
        }
      }
    }

    private String address(String word, String text) {
      HostPort address;
      try {
        address = HostPort.parse(text);
      } catch (IllegalArgumentException e) {
        throw fail(e.getMessage());
      }
      if (word.equals("address") && HostPort.isWildcard(address.host())) {
        throw fail(
            "address \""
                + text
                + "\" is a wildcard, which names no machine; write the address the master dials"
                + " to reach that worker");
      }
      String where =
          (word.equals("bridge") ? "the bridge" : "the [[node]]")
              + " at line "
              + (word.equals("bridge") ? lineNumber : table.line);
      String earlier = addresses.putIfAbsent(address.sameAddressKey(), where);
      if (earlier != null) {
        throw fail(
            word
                + " \""
                + text
                + "\" is already the address of "
                + earlier
                + "; each needs its own address");
      }
      return text;
    }

    /** Checks the table just ended has its required keys, and keeps it. */
    private void finishTable() {
      if (table == null) {
        return;
      }
      List<String> missing = new ArrayList<>();
      List<String> examples = new ArrayList<>();
      for (Key key : table.keys()) {
        if (key != Key.BRIDGE && !table.lines.containsKey(key)) {
          missing.add(key.word);
          examples.add(key.example);
        }
      }
      if (!missing.isEmpty()) {
        lineNumber = table.line;
        throw fail(
            "the "
                + table.header()
                + " that starts here has no "
                + String.join(" and no ", missing)
                + "; add "
                + String.join(" and ", examples));
      }
      Resources resources = new Resources(table.memory, table.cpu);
      if (table.isMaster) {
        master = new MasterSpec(resources, Optional.ofNullable(table.bridge));
      } else {
        nodes.add(new NodeSpec(table.address, resources));
      }
      table = null;
    }

    private Value value() {
      char c = peek();
      if (c == '"') {
        return new Value(Type.STRING, basicString());
      }
      if (c == '\'') {
        return new Value(Type.STRING, literalString());
      }
      if (c == '[' || c == '{') {
        pos = line.length();
        return new Value(c == '[' ? Type.ARRAY : Type.INLINE_TABLE, "");
      }
      int start = pos;
      while (!atEnd() && peek() != ' ' && peek() != '\t' && peek() != '#') {
        pos++;
      }
      String token = line.substring(start, pos);
      if (token.equals("true") || token.equals("false")) {
        return new Value(Type.BOOLEAN, token);
      }
      if (NUMBER.matcher(token).matches()) {
        return new Value(Type.NUMBER, token);
      }
      if (NOT_A_NUMBER.matcher(token).matches()) {
        return new Value(Type.NUMBER, token);
      }
      return new Value(Type.BARE, token);
    }

    private String basicString() {
      if (line.startsWith("\"\"\"", pos)) {
        throw fail("multi-line strings (\"\"\") are not supported; write the value on one line");
      }
      pos++;
      StringBuilder text = new StringBuilder();
      while (true) {
        if (atEnd()) {
          throw fail("unterminated string; it needs a closing \" on the same line");
        }
        char c = line.charAt(pos++);
        if (c == '"') {
          return text.toString();
        }
        if (c != '\\') {
          text.append(c);
          continue;
        }
        if (atEnd()) {
          throw fail("unterminated string; it needs a closing \" on the same line");
        }
        char escape = line.charAt(pos++);
        switch (escape) {
          case 'b' -> text.append('\b');
          case 't' -> text.append('\t');
          case 'n' -> text.append('\n');
          case 'f' -> text.append('\f');
          case 'r' -> text.append('\r');
          case '"' -> text.append('"');
          case '\\' -> text.append('\\');
          case 'u' -> text.appendCodePoint(unicodeEscape(4));
          case 'U' -> text.appendCodePoint(unicodeEscape(8));
          default ->
              throw fail("unknown escape \\" + escape + " in a string; write \\\\ for a backslash");
        }
      }
    }

    private int unicodeEscape(int digits) {
      int start = pos;
      int end = Math.min(line.length(), pos + digits);
      String hex = line.substring(start, end);
      if (hex.length() != digits || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
        throw fail("escape \\" + line.charAt(start - 1) + hex + " needs " + digits + " hex digits");
      }
      pos = end;
      long codePoint = Long.parseLong(hex, 16);
      if (codePoint > Character.MAX_CODE_POINT
          || (codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE)) {
        throw fail("escape \\" + line.charAt(start - 1) + hex + " is not a Unicode character");
      }
      return (int) codePoint;
    }

    private String literalString() {
      if (line.startsWith("'''", pos)) {
        throw fail("multi-line strings (''') are not supported; write the value on one line");
      }
      int end = line.indexOf('\'', pos + 1);
      if (end < 0) {
        throw fail("unterminated string; it needs a closing ' on the same line");
      }
      String text = line.substring(pos + 1, end);
      pos = end + 1;
      return text;
    }

    /** Checks nothing but white space and a comment follow. */
    private void endOfLine(String where) {
      skipSpace();
      if (!atEnd() && peek() != '#') {
        throw fail(
            "unexpected "
                + line.substring(pos).strip()
                + " "
                + where
                + "; a line holds one thing and maybe a # comment");
      }
    }

    private boolean atEnd() {
      return pos >= line.length();
    }

    private char peek() {
      return line.charAt(pos);
    }

    private void skipSpace() {
      while (!atEnd() && (peek() == ' ' || peek() == '\t')) {
        pos++;
      }
    }

    private IllegalArgumentException fail(String problem) {
      return new IllegalArgumentException(name + ":" + lineNumber + ": " + problem);
    }
  }
}
