package dev.deploy.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.deploy.Pid;
import dev.deploy.testing.Gen;
import dev.deploy.testing.RandomCases;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Timeout;

class KryoCodecPropertyTest {
  /** Generous: a decode of a few bytes takes microseconds; this only catches a hang. */
  private static final Duration NO_HANG = Duration.ofSeconds(10);

  private static final List<byte[]> VALID_ENCODINGS = validEncodings(Codec.standard());

  private final Codec codec = Codec.standard();

  record Sample(
      String text, int number, long big, List<Integer> numbers, Map<String, Double> scores) {}

  record Envelope(Sample sample, Optional<String> note, Set<String> tags, byte[] raw) {}

  @RandomCases(3000)
  @Timeout(20)
  void givenRandomBytes_whenDecode_thenOnlyCodecExceptionAndNoHang(Gen gen) {
    byte[] bytes = gen.bytes(0, 64);

    assertDecodesOrFailsCleanly(bytes);
  }

  @RandomCases(2000)
  @Timeout(20)
  void givenMutatedValidEncoding_whenDecode_thenOnlyCodecExceptionAndNoHang(Gen gen) {
    byte[] bytes = mutation(gen);

    assertDecodesOrFailsCleanly(bytes);
  }

  @RandomCases(500)
  @Timeout(10)
  void givenAnyString_whenRoundTripped_thenEqual(Gen gen) {
    String text = gen.string(255);

    assertThat(roundTrip(text)).isEqualTo(text);
  }

  @RandomCases(500)
  @Timeout(10)
  void givenAnyList_whenRoundTripped_thenEqual(Gen gen) {
    List<String> list = gen.list(0, 255, () -> gen.string(255));

    assertThat(roundTrip(list)).isEqualTo(list);
    assertThat(roundTrip(List.copyOf(list))).isEqualTo(list);
  }

  @RandomCases(500)
  @Timeout(10)
  void givenAnyRecord_whenRoundTripped_thenEqual(Gen gen) {
    Sample sample = sample(gen);

    assertThat(roundTrip(sample)).isEqualTo(sample);
  }

  @RandomCases(200)
  @Timeout(10)
  void givenAnyPid_whenRoundTripped_thenEqual(Gen gen) {
    byte[] host = gen.bytes(4);
    while (host[0] == 0 && host[1] == 0 && host[2] == 0 && host[3] == 0) {
      host = gen.bytes(4);
    }
    Pid pid = Pid.of(host, Math.floorMod(gen.anyInt(), 65536), gen.anyLong());

    assertThat(roundTrip(pid)).isEqualTo(pid);
  }

  /** A sample record; its map's doubles include NaN, the infinities and -0.0. */
  private static Sample sample(Gen gen) {
    Map<String, Double> scores = new HashMap<>();
    int entries = gen.size(0, 32);
    for (int i = 0; i < entries; i++) {
      scores.put(gen.string(5), gen.anyDouble());
    }
    return new Sample(
        gen.string(40), gen.anyInt(), gen.anyLong(), gen.list(0, 10, gen::anyInt), scores);
  }

  /** Valid encodings of assorted values, made once; {@link #mutation} damages a copy of one. */
  private static List<byte[]> validEncodings(Codec codec) {
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
    return seeds;
  }

  /** A valid encoding with bytes flipped, cut, inserted or set to 0xFF at 1 to 4 places. */
  private static byte[] mutation(Gen gen) {
    byte[] seed = gen.oneOf(VALID_ENCODINGS);
    List<Integer> positions = gen.list(1, 4, () -> gen.intBetween(0, seed.length - 1));
    List<Byte> values = new ArrayList<>();
    for (int i = 0; i < positions.size(); i++) {
      values.add(gen.anyByte());
    }
    return mutate(seed, positions, values, gen.intBetween(0, 3));
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
