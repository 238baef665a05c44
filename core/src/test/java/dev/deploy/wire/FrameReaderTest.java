package dev.deploy.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FrameReaderTest {
  @Test
  void givenWrittenFrame_whenRead_thenSameTypeAndPayload() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new FrameWriter(bytes).write(7, new byte[] {1, 2, 3});

    Frame frame = reader(bytes.toByteArray()).read();

    assertThat(frame.type()).isEqualTo(7);
    assertThat(frame.payload()).containsExactly(1, 2, 3);
  }

  @Test
  void givenWrittenFrame_whenInspected_thenLengthCountsTypeAndPayload() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new FrameWriter(bytes).write(0xAB, new byte[] {9, 8});

    assertThat(bytes.toByteArray()).containsExactly(0, 0, 0, 3, 0xAB, 9, 8);
  }

  @Test
  void givenTypeByteAbove127_whenRoundTripped_thenUnsignedType() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new FrameWriter(bytes).write(255, new byte[0]);

    assertThat(reader(bytes.toByteArray()).read().type()).isEqualTo(255);
  }

  @Test
  void givenEmptyPayload_whenRoundTripped_thenEmpty() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new FrameWriter(bytes).write(1, new byte[0]);

    assertThat(reader(bytes.toByteArray()).read().payload()).isEmpty();
  }

  @Test
  void givenLargestAllowedPayload_whenRoundTripped_thenWhole() throws IOException {
    byte[] payload = new byte[FrameReader.MAX_FRAME - 1];
    Arrays.fill(payload, (byte) 0x5A);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(payload.length + 5);
    new FrameWriter(bytes).write(2, payload);

    Frame frame = reader(bytes.toByteArray()).read();

    assertThat(frame.payload()).hasSize(payload.length).isEqualTo(payload);
  }

  @Test
  void givenSeveralFrames_whenRead_thenInOrderThenNullAtCleanEnd() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    FrameWriter writer = new FrameWriter(bytes);
    writer.write(1, new byte[] {10});
    writer.write(2, new byte[] {20, 21});
    FrameReader reader = reader(bytes.toByteArray());

    assertThat(reader.read().payload()).containsExactly(10);
    assertThat(reader.read().payload()).containsExactly(20, 21);
    assertThat(reader.read()).isNull();
  }

  @Test
  void givenEmptyStream_whenRead_thenNull() throws IOException {
    assertThat(reader(new byte[0]).read()).isNull();
  }

  @Test
  void givenLengthZero_whenRead_thenProtocolExceptionNamingIt() {
    assertThatThrownBy(() -> reader(new byte[] {0, 0, 0, 0, 1}).read())
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("frame length 0 ");
  }

  @Test
  void givenLengthOneOverMaximum_whenRead_thenProtocolExceptionNamingIt() {
    int length = FrameReader.MAX_FRAME + 1;

    assertThatThrownBy(() -> reader(header(length)).read())
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining(Integer.toString(length));
  }

  @ParameterizedTest(name = "length {0}")
  @ValueSource(longs = {0x8000_0000L, 0xFFFF_FFFFL, 0x7FFF_FFFFL})
  void givenHugeLength_whenRead_thenProtocolExceptionWithoutReadingFurther(long length)
      throws IOException {
    byte[] stream = new byte[4 + 100];
    System.arraycopy(header((int) length), 0, stream, 0, 4);
    ByteArrayInputStream in = new ByteArrayInputStream(stream);

    assertThatThrownBy(() -> new FrameReader(in).read())
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining(Long.toString(length));
    assertThat(in.available()).isEqualTo(100);
  }

  @ParameterizedTest(name = "{0} header bytes")
  @ValueSource(ints = {1, 2, 3})
  void givenTruncatedHeader_whenRead_thenProtocolException(int headerBytes) {
    byte[] truncated = Arrays.copyOf(header(5), headerBytes);

    assertThatThrownBy(() -> reader(truncated).read())
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("header");
  }

  @Test
  void givenHeaderWithoutTypeByte_whenRead_thenProtocolExceptionNamingTheLength() {
    assertThatThrownBy(() -> reader(header(5)).read())
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("5 bytes");
  }

  @Test
  void givenTruncatedPayload_whenRead_thenProtocolExceptionNamingTheLength() {
    byte[] stream = {0, 0, 0, 10, 1, 1, 2, 3, 4};

    assertThatThrownBy(() -> reader(stream).read())
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("10 bytes");
  }

  @Test
  void givenCompleteFrameThenPartialOne_whenRead_thenFirstFrameThenProtocolException()
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new FrameWriter(bytes).write(3, new byte[] {1});
    bytes.write(new byte[] {0, 0});
    FrameReader reader = reader(bytes.toByteArray());

    assertThat(reader.read().type()).isEqualTo(3);
    assertThatThrownBy(reader::read).isInstanceOf(ProtocolException.class);
  }

  private static FrameReader reader(byte[] bytes) {
    return new FrameReader(new ByteArrayInputStream(bytes));
  }

  private static byte[] header(int length) {
    return new byte[] {
      (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length
    };
  }
}
