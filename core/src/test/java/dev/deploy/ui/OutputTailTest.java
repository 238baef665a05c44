package dev.deploy.ui;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class OutputTailTest {
  private final OutputTail tail = new OutputTail(8);

  @Test
  void givenLessThanCapacity_whenReadAll_thenEverythingFromZero() {
    tail.append(bytes("abc"));
    tail.append(bytes("de"));

    assertThat(text(tail.read(0, -1, 100))).isEqualTo("abcde");
    assertThat(tail.read(0, -1, 100).start()).isZero();
  }

  @Test
  void givenMoreThanCapacity_whenReadFromZero_thenOnlyTheTailFromItsOffset() {
    tail.append(bytes("0123456789"));
    tail.append(bytes("abc"));

    OutputTail.Slice slice = tail.read(0, -1, 100);
    assertThat(slice.start()).isEqualTo(5);
    assertThat(text(slice)).isEqualTo("56789abc");
    assertThat(tail.total()).isEqualTo(13);
  }

  @Test
  void givenNegativeFrom_whenRead_thenTheLastMaxBytes() {
    tail.append(bytes("0123456789"));

    assertThat(text(tail.read(-1, -1, 3))).isEqualTo("789");
  }

  @Test
  void givenFromAndUntil_whenRead_thenThatRangeClampedToMax() {
    tail.append(bytes("01234567"));

    assertThat(text(tail.read(2, 6, 100))).isEqualTo("2345");
    assertThat(text(tail.read(2, 6, 2))).isEqualTo("23");
  }

  @Test
  void givenChunkLargerThanCapacity_whenAppended_thenItsLastBytesKept() {
    tail.append(bytes("x"));
    tail.append(bytes("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));

    assertThat(text(tail.read(0, -1, 100))).isEqualTo("STUVWXYZ");
  }

  @Test
  void givenWrappedTail_whenShrunk_thenKeepsTheLastBytesAndTheirOffsets() {
    tail.append(bytes("0123456789"));

    tail.shrink(3);
    tail.append(bytes("ab"));

    OutputTail.Slice slice = tail.read(0, -1, 100);
    assertThat(text(slice)).isEqualTo("9ab");
    assertThat(slice.start()).isEqualTo(9);
    assertThat(tail.total()).isEqualTo(12);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(US_ASCII);
  }

  private static String text(OutputTail.Slice s) {
    return new String(s.bytes(), US_ASCII);
  }
}
