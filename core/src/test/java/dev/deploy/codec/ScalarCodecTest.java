package dev.deploy.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.deploy.testing.Gen;
import dev.deploy.testing.RandomCases;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The scalar fast path writes and reads exactly what Kryo does, so the wire is unchanged. */
class ScalarCodecTest {
  private final KryoCodec codec = new KryoCodec();

  @Test
  @Timeout(10)
  void givenEdgeScalars_whenEncoded_thenSameBytesAsKryoAndRoundTrip() {
    Object[] values = {
      0L,
      1L,
      -1L,
      63L,
      64L,
      -64L,
      -65L,
      Long.MAX_VALUE,
      Long.MIN_VALUE,
      1L << 55,
      -(1L << 55),
      1L << 56,
      0,
      1,
      -1,
      63,
      64,
      Integer.MAX_VALUE,
      Integer.MIN_VALUE,
      1 << 27,
      1 << 28,
      -(1 << 27),
      0.0,
      -0.0,
      1.5,
      Double.NaN,
      Double.POSITIVE_INFINITY,
      Double.MIN_VALUE
    };
    for (Object v : values) {
      assertSameAsKryo(v);
    }
  }

  @RandomCases(2000)
  @Timeout(20)
  void givenAnyScalar_whenEncoded_thenSameBytesAsKryoAndRoundTrip(Gen gen) {
    assertSameAsKryo(gen.anyLong());
    assertSameAsKryo(gen.longBetween(-100_000, 100_000));
    assertSameAsKryo(gen.anyInt());
    assertSameAsKryo(gen.intBetween(-100_000, 100_000));
    assertSameAsKryo(gen.anyDouble());
  }

  @RandomCases(3000)
  @Timeout(20)
  void givenBytesStartingWithAScalarTag_whenDecoded_thenAsKryoDecodesThem(Gen gen) {
    byte[] bytes = gen.bytes(1, 11);
    bytes[0] = gen.oneOf(ScalarCodec.INT, ScalarCodec.LONG, ScalarCodec.DOUBLE);

    Object kryo;
    try {
      kryo = codec.decodeWithKryo(bytes, 0, bytes.length);
    } catch (CodecException e) {
      assertThatThrownBy(() -> codec.decode(bytes, 0, bytes.length))
          .isInstanceOf(CodecException.class);
      return;
    }
    assertThat(codec.decode(bytes, 0, bytes.length)).isEqualTo(kryo);
  }

  private void assertSameAsKryo(Object value) {
    byte[] fast = ScalarCodec.encode(value);
    byte[] kryo = codec.encodeWithKryo(value);
    assertThat(fast).as("bytes of %s, Kryo's %s", value, Arrays.toString(kryo)).isEqualTo(kryo);
    assertThat(codec.decode(fast, 0, fast.length)).isEqualTo(value);
    assertThat(codec.decodeWithKryo(fast, 0, fast.length)).isEqualTo(value);
  }
}
