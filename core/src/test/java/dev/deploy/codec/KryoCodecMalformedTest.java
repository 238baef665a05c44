package dev.deploy.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.esotericsoftware.kryo.io.Output;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class KryoCodecMalformedTest {
  private final Codec codec = Codec.standard();

  record Point(int x, int y) {}

  @Test
  void givenNoBytes_whenDecode_thenCodecException() {
    assertThatThrownBy(() -> codec.decode(new byte[0], 0, 0))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("malformed message: ");
  }

  @Test
  void givenTruncatedValue_whenDecode_thenCodecException() {
    byte[] bytes = codec.encode(List.of(new Point(1, 2), "some text"));

    assertThatThrownBy(() -> codec.decode(bytes, 0, bytes.length - 3))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("malformed message: ");
  }

  @Test
  void givenTrailingBytes_whenDecode_thenCodecExceptionNamingTheValueRead() {
    byte[] valid = codec.encode(new Point(1, 2));
    byte[] bytes = Arrays.copyOf(valid, valid.length + 5);

    assertThatThrownBy(() -> codec.decode(bytes, 0, bytes.length))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("bytes left after a " + Point.class.getName());
  }

  @Test
  void givenUnregisteredClassId_whenDecode_thenCodecException() {
    Output output = new Output(8);
    output.writeVarInt(5000, true);

    assertThatThrownBy(() -> codec.decode(output.toBytes(), 0, output.position()))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("unregistered class ID");
  }

  @Test
  void givenStringClaimingTwoBillionChars_whenDecode_thenRefusedWithoutAllocating() {
    Output output = new Output(16);
    output.writeVarInt(1 + 2, true); // String's registration id (1) + 2
    output.writeVarIntFlag(true, Integer.MAX_VALUE, true); // UTF-8, char count + 1
    output.writeByte('x');

    assertThatThrownBy(() -> codec.decode(output.toBytes(), 0, output.position()))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("exceeds the");
  }

  @Test
  void givenArrayClaimingTwoBillionElements_whenDecode_thenRefusedWithoutAllocating() {
    Output output = new Output(64);
    output.writeVarInt(1, true);
    output.writeVarInt(0, true);
    output.writeString("[Ljava.lang.Object;");
    output.writeVarInt(Integer.MAX_VALUE, true);

    assertThatThrownBy(() -> codec.decode(output.toBytes(), 0, output.position()))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("exceeds the");
  }

  @Test
  void givenIntArrayClaimingTwoBillionElements_whenDecode_thenRefusedWithoutAllocating() {
    Output output = new Output(64);
    output.writeVarInt(1, true);
    output.writeVarInt(0, true);
    output.writeString("[I");
    output.writeVarInt(Integer.MAX_VALUE, true);

    assertThatThrownBy(() -> codec.decode(output.toBytes(), 0, output.position()))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("exceeds the");
  }

  @Test
  void givenMapClaimingTwoBillionEntries_whenDecode_thenRefusedWithoutAllocating() {
    Output output = new Output(64);
    output.writeVarInt(1, true);
    output.writeVarInt(0, true);
    output.writeString("java.util.HashMap");
    output.writeVarInt(Integer.MAX_VALUE, true);

    assertThatThrownBy(() -> codec.decode(output.toBytes(), 0, output.position()))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("exceeds the");
  }

  @Test
  void givenArrayListClaimingTwoBillionElements_whenDecode_thenRefusedWithoutAllocating() {
    Output output = new Output(64);
    output.writeVarInt(1, true);
    output.writeVarInt(0, true);
    output.writeString("java.util.ArrayList");
    output.writeVarIntFlag(false, Integer.MAX_VALUE, true);

    assertThatThrownBy(() -> codec.decode(output.toBytes(), 0, output.position()))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("exceeds the");
  }

  @Test
  void givenImmutableListClaimingTwoBillionElements_whenDecode_thenRefusedWithoutAllocating() {
    byte[] valid = codec.encode(List.of(1, 2, 3));
    Output output = new Output(16);
    output.writeBytes(valid, 0, 1); // the registration id of List.of's class
    output.writeVarInt(Integer.MAX_VALUE, true);

    assertThatThrownBy(() -> codec.decode(output.toBytes(), 0, output.position()))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("exceeds the");
  }

  @Test
  void givenNestingDeeperThanTheLimit_whenDecode_thenCodecExceptionNotStackOverflow() {
    byte[] oneLevel = codec.encode(List.of(List.of()));
    // List.of(x) is [id, size 1, x]; repeating the prefix nests one list per repetition.
    int prefix = 2;
    int levels = MessageKryo.MAX_DEPTH + 50;
    byte[] deep = new byte[levels * prefix + 2];
    for (int i = 0; i < levels; i++) {
      System.arraycopy(oneLevel, 0, deep, i * prefix, prefix);
    }
    System.arraycopy(codec.encode(List.of()), 0, deep, levels * prefix, 2);

    assertThatThrownBy(() -> codec.decode(deep, 0, deep.length))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("levels deep");
  }

  @Test
  void givenMalformedBytes_whenDecodedThenValidBytes_thenValidBytesStillDecode() {
    assertThatThrownBy(() -> codec.decode(new byte[] {1, 0}, 0, 2))
        .isInstanceOf(CodecException.class);

    byte[] valid = codec.encode(new Point(3, 4));

    assertThat(codec.decode(valid, 0, valid.length)).isEqualTo(new Point(3, 4));
  }
}
