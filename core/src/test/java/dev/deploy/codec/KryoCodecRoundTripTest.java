package dev.deploy.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.Pid;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(30)
class KryoCodecRoundTripTest {
  private final Codec codec = Codec.standard();

  record Point(int x, int y) {}

  record Line(Point from, Point to, String label) {}

  record Polygon(String name, List<Point> points, Map<String, Integer> tags) {}

  record Boxed(Object anything, Optional<String> maybe) {}

  enum Colour {
    RED,
    GREEN {
      @Override
      public String toString() {
        return "green with a body";
      }
    }
  }

  /** A plain class with a no-arg constructor and mutable fields. */
  static final class Counter {
    private String name;
    private long count;
    private transient int cache = 5;

    Counter() {}

    Counter(String name, long count) {
      this.name = name;
      this.count = count;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Counter other && name.equals(other.name) && count == other.count;
    }

    @Override
    public int hashCode() {
      return name.hashCode();
    }
  }

  /** A plain class without a no-arg constructor: Objenesis creates it. */
  static final class Money {
    private final String currency;
    private final BigDecimal amount;

    Money(String currency, BigDecimal amount) {
      this.currency = java.util.Objects.requireNonNull(currency);
      this.amount = amount;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Money other
          && currency.equals(other.currency)
          && amount.equals(other.amount);
    }

    @Override
    public int hashCode() {
      return currency.hashCode();
    }
  }

  static Stream<Arguments> values() {
    return Stream.of(
        Arguments.of("null", null),
        Arguments.of("Integer", 42),
        Arguments.of("Long", Long.MIN_VALUE),
        Arguments.of("Short", (short) -7),
        Arguments.of("Byte", (byte) 3),
        Arguments.of("Character", 'é'),
        Arguments.of("Boolean", true),
        Arguments.of("Float", 1.5f),
        Arguments.of("Double", Double.NaN),
        Arguments.of("String", "héllo wörld ✓ \uD83D\uDE00"),
        Arguments.of("empty String", ""),
        Arguments.of("enum", Colour.RED),
        Arguments.of("enum constant with a body", Colour.GREEN),
        Arguments.of("JDK enum", TimeUnit.SECONDS),
        Arguments.of("int[]", new int[] {1, -2, Integer.MAX_VALUE}),
        Arguments.of("long[]", new long[] {1L, Long.MAX_VALUE}),
        Arguments.of("byte[]", new byte[] {0, -1, 127}),
        Arguments.of("double[]", new double[] {0.5, -1e300}),
        Arguments.of("boolean[]", new boolean[] {true, false}),
        Arguments.of("char[]", new char[] {'a', 'ß'}),
        Arguments.of("int[][]", new int[][] {{1}, {2, 3}, {}}),
        Arguments.of("String[]", new String[] {"a", null, "c"}),
        Arguments.of("Object[]", new Object[] {1, "two", List.of(3), null}),
        Arguments.of("record[]", new Point[] {new Point(1, 2), null}),
        Arguments.of("record", new Point(3, 4)),
        Arguments.of("nested record", new Line(new Point(0, 0), new Point(1, 1), "diagonal")),
        Arguments.of(
            "record with List and Map fields",
            new Polygon("tri", List.of(new Point(0, 0), new Point(1, 0)), Map.of("k", 1))),
        Arguments.of(
            "record with Object and Optional fields", new Boxed(List.of(1), Optional.of("x"))),
        Arguments.of("record with null fields", new Line(null, new Point(1, 1), null)),
        Arguments.of("ArrayList", new ArrayList<>(List.of(1, 2, 3))),
        Arguments.of("ArrayList of nulls", new ArrayList<>(Collections.nCopies(100_000, null))),
        Arguments.of("LinkedList", new LinkedList<>(List.of("a", "b"))),
        Arguments.of("HashMap", new HashMap<>(Map.of("a", 1, "b", 2))),
        Arguments.of("LinkedHashMap", linkedHashMap()),
        Arguments.of("TreeMap", new TreeMap<>(Map.of(3, "c", 1, "a"))),
        Arguments.of("HashSet", new HashSet<>(Set.of(1, 2, 3))),
        Arguments.of("LinkedHashSet", new LinkedHashSet<>(List.of(3, 1, 2))),
        Arguments.of("TreeSet", new TreeSet<>(Set.of("b", "a"))),
        Arguments.of("ConcurrentHashMap", new ConcurrentHashMap<>(Map.of(1, 2))),
        Arguments.of("EnumSet", EnumSet.of(DayOfWeek.MONDAY, DayOfWeek.FRIDAY)),
        Arguments.of("List.of()", List.of()),
        Arguments.of("List.of(1)", List.of(1)),
        Arguments.of("List.of(1, 2)", List.of(1, 2)),
        Arguments.of("List.of(1, 2, 3)", List.of(1, 2, 3)),
        Arguments.of("List.copyOf", List.copyOf(new ArrayList<>(List.of("x", "y")))),
        Arguments.of("subList of List.of", List.of(1, 2, 3, 4).subList(1, 3)),
        Arguments.of("Stream.toList()", Stream.of("a", "b").toList()),
        Arguments.of("Stream.toList() with a null", Stream.of("a", null).toList()),
        Arguments.of("Set.of()", Set.of()),
        Arguments.of("Set.of(1)", Set.of(1)),
        Arguments.of("Set.of(1, 2, 3)", Set.of(1, 2, 3)),
        Arguments.of("Map.of()", Map.of()),
        Arguments.of("Map.of(k, v)", Map.of("k", 1)),
        Arguments.of("Map.of(k, v, k, v)", Map.of("k", 1, "j", 2)),
        Arguments.of("Arrays.asList", Arrays.asList("a", null)),
        Arguments.of("emptyList", Collections.emptyList()),
        Arguments.of("emptyMap", Collections.emptyMap()),
        Arguments.of("singletonList", Collections.singletonList(1)),
        Arguments.of("singletonMap", Collections.singletonMap("k", "v")),
        Arguments.of("unmodifiableList", Collections.unmodifiableList(new ArrayList<>(List.of(1)))),
        Arguments.of(
            "unmodifiableList of LinkedList",
            Collections.unmodifiableList(new LinkedList<>(List.of(1, 2)))),
        Arguments.of("unmodifiableSet", Collections.unmodifiableSet(new HashSet<>(Set.of(1, 2)))),
        Arguments.of("unmodifiableMap", Collections.unmodifiableMap(new HashMap<>(Map.of(1, 2)))),
        Arguments.of("Optional", Optional.of("present")),
        Arguments.of("empty Optional", Optional.empty()),
        Arguments.of("OptionalInt", OptionalInt.of(3)),
        Arguments.of("UUID", UUID.randomUUID()),
        Arguments.of("Instant", Instant.parse("2024-05-06T07:08:09.123456789Z")),
        Arguments.of("Duration", Duration.ofMillis(1500)),
        Arguments.of("LocalDate", LocalDate.of(2024, 2, 29)),
        Arguments.of("LocalDateTime", LocalDateTime.of(2024, 2, 29, 12, 0)),
        Arguments.of(
            "ZonedDateTime",
            ZonedDateTime.of(2024, 3, 31, 2, 30, 0, 0, ZoneId.of("Europe/Berlin"))),
        Arguments.of("BigInteger", new BigInteger("123456789012345678901234567890")),
        Arguments.of("BigDecimal", new BigDecimal("-1.000000000000000000001")),
        Arguments.of("URI", URI.create("https://example.com/a?b=c")),
        Arguments.of("InetSocketAddress", new InetSocketAddress("127.0.0.1", 8080)),
        Arguments.of("unresolved InetSocketAddress", InetSocketAddress.createUnresolved("h", 1)),
        Arguments.of("Pid (IPv4)", Pid.of(new byte[] {10, 0, 0, 1}, 5000, 0x1234_5678_9abcL)),
        Arguments.of("Pid (IPv6)", Pid.of(ipv6Loopback(), 65535, -1L)),
        Arguments.of("List of Pids", List.of(Pid.of(new byte[] {127, 0, 0, 1}, 1, 2))),
        Arguments.of("plain class with a no-arg constructor", new Counter("requests", 17)),
        Arguments.of(
            "plain class without a no-arg constructor", new Money("EUR", new BigDecimal("9.99"))),
        Arguments.of("a library's class on the classpath", Offset.offset(0.5)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("values")
  void givenSupportedValue_whenEncodedAndDecoded_thenEqual(String name, Object value) {
    Object decoded = roundTrip(value);

    assertThat(decoded).isEqualTo(value);
    if (value != null) {
      assertThat(decoded).isInstanceOf(publicTypeOf(value));
    }
  }

  @Test
  void givenImmutableCollections_whenDecoded_thenStillImmutable() {
    List<Object> list = roundTrip(List.of(1, 2, 3));
    Set<Object> set = roundTrip(Set.of(1, 2, 3));
    Map<Object, Object> map = roundTrip(Map.of(1, 2));
    List<Object> toList = roundTrip(Stream.of(1, null).toList());
    List<Object> unmodifiable = roundTrip(Collections.unmodifiableList(new ArrayList<>(list)));

    assertThat(list.getClass()).isEqualTo(List.of(1, 2, 3).getClass());
    assertThat(set.getClass()).isEqualTo(Set.of(1, 2, 3).getClass());
    assertThat(map.getClass()).isEqualTo(Map.of(1, 2).getClass());
    assertThatThrownBy(() -> list.add(4)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> set.add(4)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> map.put(3, 4)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> toList.add(4)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> unmodifiable.add(4)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void givenSortedUnmodifiableCollectionsWithComparator_whenDecoded_thenOrderKept() {
    TreeSet<String> set = new TreeSet<>(Comparator.reverseOrder());
    set.addAll(List.of("a", "c", "b"));
    TreeMap<String, Integer> map = new TreeMap<>(Comparator.reverseOrder());
    map.putAll(Map.of("a", 1, "c", 3));

    SortedSet<String> sortedSet = roundTrip(Collections.unmodifiableSortedSet(set));
    SortedMap<String, Integer> sortedMap = roundTrip(Collections.unmodifiableNavigableMap(map));
    Collection<String> collection = roundTrip(Collections.unmodifiableCollection(set));
    TreeSet<String> plainTreeSet = roundTrip(set);

    assertThat(sortedSet).containsExactly("c", "b", "a");
    assertThat(sortedMap.keySet()).containsExactly("c", "a");
    assertThat(collection).containsExactly("c", "b", "a");
    assertThat(plainTreeSet).containsExactly("c", "b", "a");
    assertThatThrownBy(() -> sortedSet.add("d")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void givenLinkedHashMap_whenDecoded_thenInsertionOrderKept() {
    LinkedHashMap<String, Integer> decoded = roundTrip(linkedHashMap());

    assertThat(decoded.keySet()).containsExactly("z", "a", "m");
  }

  @Test
  void givenArrayDeque_whenDecoded_thenSameElementsInOrder() {
    ArrayDeque<Integer> deque = new ArrayDeque<>(List.of(3, 1, 2));

    ArrayDeque<Integer> decoded = roundTrip(deque);

    assertThat(decoded).containsExactly(3, 1, 2);
  }

  @Test
  void givenPlainClass_whenDecoded_thenTransientFieldFromConstructorNotFromSender() {
    Counter counter = new Counter("c", 1);
    counter.cache = 99;

    Counter decoded = roundTrip(counter);

    assertThat(decoded.cache).isEqualTo(5);
  }

  @Test
  void givenObjectReachableTwice_whenDecoded_thenTwoEqualCopies() {
    Point shared = new Point(1, 2);

    Line decoded = roundTrip(new Line(shared, shared, "twice"));

    assertThat(decoded.from()).isEqualTo(decoded.to()).isNotSameAs(decoded.to());
  }

  @Test
  void givenDeepButAcyclicNesting_whenEncoded_thenRoundTrips() {
    Object nested = "leaf";
    for (int i = 0; i < 200; i++) {
      nested = List.of(nested);
    }

    Object decoded = roundTrip(nested);

    assertThat(decoded).isEqualTo(nested);
  }

  @Test
  void givenSliceOfLargerArray_whenDecodedWithOffset_thenValueRead() {
    byte[] encoded = codec.encode(new Point(5, 6));
    byte[] padded = new byte[encoded.length + 10];
    System.arraycopy(encoded, 0, padded, 7, encoded.length);

    assertThat(codec.decode(padded, 7, encoded.length)).isEqualTo(new Point(5, 6));
  }

  @Test
  void givenManyThreads_whenEncodingAndDecodingAtOnce_thenEveryValueRoundTrips() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        results.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 2_000; i++) {
                    Polygon value =
                        new Polygon(
                            "p" + thread + "-" + i, List.of(new Point(i, thread)), Map.of("i", i));
                    if (!value.equals(roundTrip(value))) {
                      return false;
                    }
                  }
                  return true;
                }));
      }
      for (Future<Boolean> result : results) {
        assertThat(result.get(20, TimeUnit.SECONDS)).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void givenLargeValue_whenEncodedTwice_thenSameBytesBothTimes() {
    List<String> large = new ArrayList<>();
    for (int i = 0; i < 50_000; i++) {
      large.add("element " + i);
    }

    byte[] first = codec.encode(large);
    byte[] second = codec.encode(large);

    assertThat(second).isEqualTo(first);
    List<String> decoded = roundTrip(large);
    assertThat(decoded).isEqualTo(large);
  }

  @Test
  void givenStandardCodecUsed_whenKryoInitialised_thenKryoAvoidsSunMiscUnsafe() {
    roundTrip(new Point(1, 1));

    // With Unsafe, JDK 24+ would print deprecation warnings on every process's stderr.
    assertThat(com.esotericsoftware.kryo.util.Util.isUnsafeAvailable()).isFalse();
  }

  @SuppressWarnings("unchecked")
  private <T> T roundTrip(Object value) {
    byte[] bytes = codec.encode(value);
    return (T) codec.decode(bytes, 0, bytes.length);
  }

  private static LinkedHashMap<String, Integer> linkedHashMap() {
    LinkedHashMap<String, Integer> map = new LinkedHashMap<>();
    map.put("z", 1);
    map.put("a", 2);
    map.put("m", 3);
    return map;
  }

  /** The type a decoded value must have: the same class, or the interface it was made through. */
  private static Class<?> publicTypeOf(Object value) {
    if (value instanceof Enum<?> constant) {
      return constant.getDeclaringClass();
    }
    if (value.getClass().getName().startsWith("java.util.") && !value.getClass().isArray()) {
      if (value instanceof List) {
        return List.class;
      }
      if (value instanceof Set) {
        return Set.class;
      }
      if (value instanceof Map) {
        return Map.class;
      }
    }
    return value.getClass();
  }

  /** {@code ::1}: a pid's host is never the wildcard {@code ::}. */
  private static byte[] ipv6Loopback() {
    byte[] host = new byte[16];
    host[15] = 1;
    return host;
  }
}
