package dev.deploy.security;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Records sealed by one side open on the other, and nothing else does. */
class FrameProtectionTest {
  private final byte[] k1 = Handshake.newNonce();
  private final byte[] k2 = Handshake.newNonce();

  private FrameProtection sender(FrameProtection.Mode mode) {
    return FrameProtection.of(mode, k1, k2);
  }

  private FrameProtection receiver(FrameProtection.Mode mode) {
    return FrameProtection.of(mode, k2, k1);
  }

  private static ByteBuffer record(String text) {
    ByteBuffer b = ByteBuffer.allocate(text.length() + FrameProtection.TAG);
    b.put(text.getBytes(US_ASCII));
    return b;
  }

  private static String text(ByteBuffer b, int length) {
    return new String(b.array(), 0, length, US_ASCII);
  }

  @ParameterizedTest
  @EnumSource(
      value = FrameProtection.Mode.class,
      names = {"INTEGRITY", "ENCRYPTION"})
  void givenRecordsSealedInOrder_whenOpenedInOrder_thenSameBytes(FrameProtection.Mode mode)
      throws Exception {
    FrameProtection s = sender(mode);
    FrameProtection r = receiver(mode);
    for (String value : new String[] {"one", "two", "three"}) {
      ByteBuffer b = record(value);
      s.seal(b, 0, value.length());
      r.open(b, 0, value.length());
      assertThat(text(b, value.length())).isEqualTo(value);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = FrameProtection.Mode.class,
      names = {"INTEGRITY", "ENCRYPTION"})
  void givenOneBitFlipped_whenOpened_thenAuthenticationFails(FrameProtection.Mode mode) {
    ByteBuffer b = record("value");
    sender(mode).seal(b, 0, 5);
    b.put(2, (byte) (b.get(2) ^ 1));

    assertThatThrownBy(() -> receiver(mode).open(b, 0, 5))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageContaining("integrity check");
  }

  @ParameterizedTest
  @EnumSource(
      value = FrameProtection.Mode.class,
      names = {"INTEGRITY", "ENCRYPTION"})
  void givenSecondRecordFirst_whenOpened_thenAuthenticationFails(FrameProtection.Mode mode) {
    FrameProtection s = sender(mode);
    ByteBuffer first = record("first");
    ByteBuffer second = record("other");
    s.seal(first, 0, 5);
    s.seal(second, 0, 5);

    assertThatThrownBy(() -> receiver(mode).open(second, 0, 5))
        .isInstanceOf(AuthenticationException.class);
  }

  @ParameterizedTest
  @EnumSource(
      value = FrameProtection.Mode.class,
      names = {"INTEGRITY", "ENCRYPTION"})
  void givenRecordReflectedToItsSender_whenOpened_thenAuthenticationFails(
      FrameProtection.Mode mode) {
    FrameProtection s = sender(mode);
    ByteBuffer b = record("value");
    s.seal(b, 0, 5);

    assertThatThrownBy(() -> s.open(b, 0, 5)).isInstanceOf(AuthenticationException.class);
  }

  @Test
  void givenEncryption_whenSealed_thenBytesAreNotThePlainText() {
    ByteBuffer b = record("plain text here");
    sender(FrameProtection.Mode.ENCRYPTION).seal(b, 0, 15);

    assertThat(text(b, 15)).isNotEqualTo("plain text here");
  }

  @Test
  void givenNone_whenSealed_thenNothingChangesAndNothingIsTagged() throws Exception {
    FrameProtection none = FrameProtection.none();
    ByteBuffer b = record("value");
    none.seal(b, 0, 5);
    none.open(b, 0, 5);

    assertThat(none.tagged()).isFalse();
    assertThat(text(b, 5)).isEqualTo("value");
  }

  @Test
  void givenAuto_whenBothEndsLoopback_thenNoneElseIntegrity() throws Exception {
    InetAddress lo = InetAddress.getLoopbackAddress();
    InetAddress other = InetAddress.getByAddress(new byte[] {10, 9, 8, 7});

    assertThat(FrameProtection.wish(null, lo, lo)).isEqualTo(FrameProtection.Mode.NONE);
    assertThat(FrameProtection.wish(null, other, lo)).isEqualTo(FrameProtection.Mode.INTEGRITY);
    assertThat(FrameProtection.wish(null, lo, other)).isEqualTo(FrameProtection.Mode.INTEGRITY);
    assertThat(FrameProtection.wish(FrameProtection.Mode.ENCRYPTION, lo, lo))
        .isEqualTo(FrameProtection.Mode.ENCRYPTION);
  }

  @ParameterizedTest
  @ValueSource(strings = {"auto", "none", "integrity", "encryption", " Integrity "})
  void givenKnownName_whenParsed_thenAccepted(String name) {
    FrameProtection.Mode.parse(name);
  }

  @Test
  void givenUnknownName_whenParsed_thenErrorNamesItAndTheChoices() {
    assertThatThrownBy(() -> FrameProtection.Mode.parse("tls"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("frame protection must be auto, none, integrity or encryption, not 'tls'");
  }
}
