package dev.deploy.program;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.deploy.security.Ownership;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a jar cache refuses: jars over its limits, a full disk, a directory it cannot trust. */
@Timeout(30)
class JarCacheLimitsTest {
  @TempDir Path tmp;

  @Test
  void givenJarAnnouncedOverTheLimit_whenBegin_thenRefusedWithSizeAndLimitAndNoFile()
      throws Exception {
    Path dir = tmp.resolve("jars");
    JarCache cache = new JarCache(dir, new JarLimits(1 << 20, 2L << 30));
    JarRef big = new JarRef("a".repeat(64), "big.jar", 600L << 20);

    assertThatThrownBy(() -> cache.begin(big))
        .isInstanceOf(ProgramException.class)
        .hasMessage(
            "big.jar has 600 MiB (629145600 bytes), over this machine's limit of 1 MiB per jar"
                + " (--max-jar-size)");
    assertThat(listing(dir)).isEmpty();
  }

  @Test
  void givenDiskThatFillsMidUpload_whenWrite_thenOneSentenceNoPartialAndOtherJarsKept()
      throws Exception {
    Path dir = tmp.resolve("jars");
    long[] room = {Long.MAX_VALUE};
    JarCache cache =
        new JarCache(
            dir,
            Clock.systemUTC(),
            JarLimits.DEFAULT,
            Ownership.system(),
            file -> FullDiskChannel.open(file, room[0]));
    byte[] small = noise(1000);
    Path kept = commit(cache, ref("kept.jar", small), small);
    room[0] = 100_000;
    byte[] big = noise(300_000);
    JarRef ref = ref("big.jar", big);

    try (JarCache.Upload upload = cache.begin(ref)) {
      assertThatThrownBy(
              () -> {
                for (int at = 0; at < big.length; at += 65536) {
                  upload.write(big, at, Math.min(65536, big.length - at));
                }
              })
          .isInstanceOf(IOException.class)
          .hasMessage(
              "the jar cache "
                  + dir
                  + " cannot take big.jar (300000 bytes): No space left on device");
      assertThatThrownBy(upload::commit).isInstanceOf(ProgramException.class);
    }

    assertThat(listing(dir)).containsExactly(kept);
    assertThat(Files.readAllBytes(kept)).isEqualTo(small);
    assertThat(cache.get(ref.sha256())).isEmpty();
  }

  @Test
  void givenCacheDirectoryOwnedBySomeoneElse_whenOpened_thenRefusedNamingOwnerModeAndChown()
      throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("jars"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    UserPrincipal me = Files.getOwner(tmp);
    UserPrincipal mallory = () -> "mallory";
    Ownership fake =
        new Ownership(
            me, null, (p, options) -> p.equals(dir) ? mallory : Files.getOwner(p, options));

    assertThatThrownBy(
            () -> new JarCache(dir, Clock.systemUTC(), JarLimits.DEFAULT, fake, file -> null))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "the jar cache "
                + dir
                + " is owned by mallory, not "
                + me.getName()
                + " (mode 0700), who could put any code in place of a jar; run chown "
                + me.getName()
                + " "
                + dir
                + " && chmod 700 "
                + dir
                + ", or choose another directory");
  }

  @Test
  void givenRootAndCacheDirectoryChownedToNobody_whenOpened_thenRefused() throws IOException {
    assumeTrue(
        "root".equals(System.getProperty("user.name")),
        "needs root to chown a directory to nobody; the fake-owner test covers the rule");
    UserPrincipal nobody;
    try {
      nobody =
          FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    } catch (IOException e) {
      assumeTrue(false, "no user named nobody here: " + e.getMessage());
      return;
    }
    Path dir = Files.createDirectory(tmp.resolve("jars"));
    Files.setOwner(dir, nobody);

    assertThatThrownBy(() -> new JarCache(dir))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("the jar cache " + dir + " is owned by nobody, not root");
  }

  private static Path commit(JarCache cache, JarRef ref, byte[] bytes) throws Exception {
    try (JarCache.Upload upload = cache.begin(ref)) {
      upload.write(bytes, 0, bytes.length);
      return upload.commit();
    }
  }

  private static JarRef ref(String name, byte[] bytes) {
    return new JarRef(
        HexFormat.of().formatHex(dev.deploy.security.Sha256.digest(bytes)), name, bytes.length);
  }

  private static byte[] noise(int n) {
    byte[] bytes = new byte[n];
    new Random(n).nextBytes(bytes);
    return bytes;
  }

  private static List<Path> listing(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.sorted().toList();
    }
  }
}
