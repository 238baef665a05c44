package dev.deploy.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.deploy.Pid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

class KryoCodecPropertyTest {
  /** Generous: a decode of a few bytes takes microseconds; this only catches a hang. */
  private static final Duration NO_HANG = Duration.ofSeconds(10);

  private final Codec codec = Codec.standard();

  record Sample(
      String text, int number, long big, List<Integer> numbers, Map<String, Double> scores) {}

  record Envelope(Sample sample, Optional<String> note, Set<String> tags, byte[] raw) {}

  @Property(tries = 3000)
  void givenRandomBytes_whenDecode_thenOnlyCodecExceptionAndNoHang(
      @ForAll @Size(max = 64) byte[] bytes) {
    assertDecodesOrFailsCleanly(bytes);
  }

  @Property(tries = 2000)
  void givenMutatedValidEncoding_whenDecode_thenOnlyCodecExceptionAndNoHang(
      @ForAll("mutations") byte[] bytes) {
    assertDecodesOrFailsCleanly(bytes);
  }

  @Property(tries = 500)
  void givenAnyString_whenRoundTripped_thenEqual(@ForAll String text) {
    assertThat(roundTrip(text)).isEqualTo(text);
  }

  @Property(tries = 500)
  void givenAnyList_whenRoundTripped_thenEqual(@ForAll List<String> list) {
    assertThat(roundTrip(list)).isEqualTo(list);
    assertThat(roundTrip(List.copyOf(list))).isEqualTo(list);
  }

  @Property(tries = 500)
  void givenAnyRecord_whenRoundTripped_thenEqual(@ForAll("samples") Sample sample) {
    assertThat(roundTrip(sample)).isEqualTo(sample);
  }

  @Property(tries = 200)
  void givenAnyPid_whenRoundTripped_thenEqual(
      @ForAll @Size(value = 4) byte[] host, @ForAll int port, @ForAll long key) {
    net.jqwik.api.Assume.that(host[0] != 0 || host[1] != 0 || host[2] != 0 || host[3] != 0);
    Pid pid = Pid.of(host, Math.floorMod(port, 65536), key);

    assertThat(roundTrip(pid)).isEqualTo(pid);
  }

  @Provide
  Arbitrary<Sample> samples() {
    return Combinators.combine(
            Arbitraries.strings().ofMaxLength(40),
            Arbitraries.integers(),
            Arbitraries.longs(),
            Arbitraries.integers().list().ofMaxSize(10),
            Arbitraries.maps(
                Arbitraries.strings().ofMaxLength(5), Arbitraries.doubles().injectNull(0.0)))
        .as(Sample::new);
  }

  /** Valid encodings of assorted values with bytes flipped, cut, inserted or duplicated. */
  @Provide
  Arbitrary<byte[]> mutations() {
    List<byte[]> seeds = new ArrayList<>();
    Sample sample = new Sample("text ✓", 7, -1L, List.of(1, 2, 3), Map.of("a", 1.5));
    seeds.add(codec.encode(sample));
    seeds.add(
        codec.encode(
            new Envelope(sample, Optional.of("n"), Set.of("x", "y"), new byte[] {1, 2, 3})));
    seeds.add(codec.encode(new ArrayList<>(List.of("a", 1, 2L, List.of(Map.of(1, "b"))))));
    seeds.add(codec.encode(new Object[] {"s", new int[] {1, 2}, new String[] {"t"}, null}));
    seeds.add(codec.encode(Pid.of(new byte[] {1, 2, 3, 4}, 80, 5)));
    seeds.add(
        LambdaCodec.encodeTask(
            (dev.deploy.Task<String>) (parent, arg) -> {}, "argument", Codec.standard()));
    return Arbitraries.of(seeds)
        .flatMap(
            seed ->
                Arbitraries.integers()
                    .between(0, seed.length - 1)
                    .list()
                    .ofMinSize(1)
                    .ofMaxSize(4)
                    .flatMap(
                        positions ->
                            Arbitraries.bytes()
                                .list()
                                .ofSize(positions.size())
                                .flatMap(
                                    values ->
                                        Arbitraries.integers()
                                            .between(0, 3)
                                            .map(kind -> mutate(seed, positions, values, kind)))));
  }

  private static byte[] mutate(byte[] seed, List<Integer> positions, List<Byte> values, int kind) {
    byte[] bytes = seed.clone();
    switch (kind) {
      case 0: // overwrite
        for (int i = 0; i < positions.size(); i++) {
          bytes[positions.get(i)] = values.get(i);
        }
        return bytes;
      case 1: // truncate
        return java.util.Arrays.copyOf(bytes, positions.get(0));
      case 2: // insert a byte
        {
          int at = positions.get(0);
          byte[] longer = new byte[bytes.length + 1];
          System.arraycopy(bytes, 0, longer, 0, at);
          longer[at] = values.get(0);
          System.arraycopy(bytes, at, longer, at + 1, bytes.length - at);
          return longer;
        }
      default: // set a byte to a large varint-looking value
        bytes[positions.get(0)] = (byte) 0xFF;
        return bytes;
    }
  }

  private void assertDecodesOrFailsCleanly(byte[] bytes) {
    assertTimeoutPreemptively(
        NO_HANG,
        () -> {
          try {
            codec.decode(bytes, 0, bytes.length);
          } catch (CodecException expected) {
            assertThat(expected.getMessage()).isNotBlank().doesNotContain("\n");
          }
          try {
            LambdaCodec.decodeTask(bytes, codec);
          } catch (CodecException expected) {
            assertThat(expected.getMessage()).isNotBlank();
          }
        });
  }

  @SuppressWarnings("unchecked")
  private <T> T roundTrip(T value) {
    byte[] bytes = codec.encode(value);
    return (T) codec.decode(bytes, 0, bytes.length);
  }
}
