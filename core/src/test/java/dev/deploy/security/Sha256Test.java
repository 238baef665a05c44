package dev.deploy.security;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.testing.Gen;
import dev.deploy.testing.RandomCases;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Our SHA-256 and HMAC-SHA256 against FIPS 180-4 and RFC 4231 vectors and against the JDK. */
class Sha256Test {
  private static final HexFormat HEX = HexFormat.of();

  @ParameterizedTest(name = "\"{0}\"")
  @CsvSource(
      delimiter = '|',
      value = {
        "''|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "abc|ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            + "|248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
      })
  void givenFipsVector_whenDigest_thenKnownHash(String message, String hash) {
    assertThat(HEX.formatHex(Sha256.digest(message.getBytes(US_ASCII)))).isEqualTo(hash);
  }

  @Test
  void givenOneMillionAs_whenDigest_thenKnownHash() {
    byte[] message = new byte[1_000_000];
    Arrays.fill(message, (byte) 'a');

    assertThat(HEX.formatHex(Sha256.digest(message)))
        .isEqualTo("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }

  @Test
  void givenEveryLengthUpTo200_whenDigest_thenSameAsTheJdk() throws Exception {
    MessageDigest jdk = MessageDigest.getInstance("SHA-256");
    for (int length = 0; length <= 200; length++) {
      byte[] message = new byte[length];
      for (int i = 0; i < length; i++) {
        message[i] = (byte) (i * 31 + length);
      }

      assertThat(Sha256.digest(message)).as("length %d", length).isEqualTo(jdk.digest(message));
    }
  }

  @RandomCases(1000)
  @Timeout(10)
  void givenMessageInTwoParts_whenDigest_thenSameAsTheJdkOverTheWhole(Gen gen) throws Exception {
    byte[] message = gen.bytes(0, 300);
    int cut = gen.intBetween(0, 300);
    int at = Math.min(cut, message.length);
    byte[] first = Arrays.copyOfRange(message, 0, at);
    byte[] second = Arrays.copyOfRange(message, at, message.length);

    assertThat(Sha256.digest(first, second))
        .isEqualTo(MessageDigest.getInstance("SHA-256").digest(message));
  }

  @ParameterizedTest(name = "RFC 4231 test case {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "1|0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b|4869205468657265"
            + "|b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        "2|4a656665|7768617420646f2079612077616e7420666f72206e6f7468696e673f"
            + "|5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      })
  void givenRfc4231Vector_whenHmac_thenKnownMac(int n, String key, String data, String mac) {
    assertThat(HEX.formatHex(Sha256.hmac(HEX.parseHex(key), HEX.parseHex(data)))).isEqualTo(mac);
  }

  @Test
  void givenRepeatedKeyAndData_whenHmac_thenRfc4231TestCase3() {
    byte[] key = new byte[20];
    Arrays.fill(key, (byte) 0xaa);
    byte[] data = new byte[50];
    Arrays.fill(data, (byte) 0xdd);

    assertThat(HEX.formatHex(Sha256.hmac(key, data)))
        .isEqualTo("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  }

  @Test
  void givenCountingKeyAndRepeatedData_whenHmac_thenRfc4231TestCase4() {
    byte[] key = new byte[25];
    for (int i = 0; i < key.length; i++) {
      key[i] = (byte) (i + 1);
    }
    byte[] data = new byte[50];
    Arrays.fill(data, (byte) 0xcd);

    assertThat(HEX.formatHex(Sha256.hmac(key, data)))
        .isEqualTo("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  }

  @Test
  void givenKeyLongerThanABlock_whenHmac_thenRfc4231TestCase6() {
    byte[] key = new byte[131];
    Arrays.fill(key, (byte) 0xaa);
    byte[] data = "Test Using Larger Than Block-Size Key - Hash Key First".getBytes(US_ASCII);

    assertThat(HEX.formatHex(Sha256.hmac(key, data)))
        .isEqualTo("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  }

  @Test
  void givenKeyAndDataLongerThanABlock_whenHmac_thenRfc4231TestCase7() {
    byte[] key = new byte[131];
    Arrays.fill(key, (byte) 0xaa);
    byte[] data =
        ("This is a test using a larger than block-size key and a larger than block-size data."
                + " The key needs to be hashed before being used by the HMAC algorithm.")
            .getBytes(US_ASCII);

    assertThat(HEX.formatHex(Sha256.hmac(key, data)))
        .isEqualTo("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  }

  @RandomCases(1000)
  @Timeout(10)
  void givenAnyKeyAndParts_whenHmac_thenSameAsTheJdk(Gen gen) throws Exception {
    byte[] key = gen.bytes(1, 150);
    byte[] first = gen.bytes(0, 200);
    byte[] second = gen.bytes(0, 200);
    Mac jdk = Mac.getInstance("HmacSHA256");
    jdk.init(new SecretKeySpec(key, "HmacSHA256"));
    jdk.update(first);
    jdk.update(second);

    assertThat(Sha256.hmac(key, first, second)).isEqualTo(jdk.doFinal());
  }

  @Test
  void givenKeysOfBlockSizeAndOneMore_whenHmac_thenSameAsTheJdk() throws Exception {
    for (int length : new int[] {63, 64, 65}) {
      byte[] key = new byte[length];
      Arrays.fill(key, (byte) length);
      Mac jdk = Mac.getInstance("HmacSHA256");
      jdk.init(new SecretKeySpec(key, "HmacSHA256"));

      assertThat(Sha256.hmac(key, new byte[] {1, 2, 3}))
          .as("key of %d bytes", length)
          .isEqualTo(jdk.doFinal(new byte[] {1, 2, 3}));
    }
  }
}
