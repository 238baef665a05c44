package dev.deploy.program;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class JarCacheTest {
  private static final Instant NOW = Instant.parse("2030-01-02T03:04:05Z");

  @TempDir Path tmp;

  private Path dir;
  private JarCache cache;
  private ExecutorService threads;

  @BeforeEach
  void openCache() throws IOException {
    dir = tmp.resolve("cache").resolve("jars");
    cache = new JarCache(dir, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterEach
  void stopThreads() {
    if (threads != null) {
      threads.shutdownNow();
    }
  }

  @Test
  void givenXdgCacheHome_whenDefaultDirectory_thenUnderIt() {
    assertThat(JarCache.defaultDirectory(Map.of("XDG_CACHE_HOME", "/var/cache/me"), "/home/me"))
        .isEqualTo(Path.of("/var/cache/me/deploy/jars"));
  }

  @Test
  void givenNoOrRelativeXdgCacheHome_whenDefaultDirectory_thenUnderHomeDotCache() {
    Path expected = Path.of("/home/me/.cache/deploy/jars");

    assertThat(JarCache.defaultDirectory(Map.of(), "/home/me")).isEqualTo(expected);
    assertThat(JarCache.defaultDirectory(Map.of("XDG_CACHE_HOME", ""), "/home/me"))
        .isEqualTo(expected);
    assertThat(JarCache.defaultDirectory(Map.of("XDG_CACHE_HOME", "rel/cache"), "/home/me"))
        .isEqualTo(expected);
  }

  @Test
  void givenMissingDirectory_whenOpened_thenCreatedOwnerOnly() throws IOException {
    assumePosix();

    assertThat(cache.directory()).isEqualTo(dir);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
        .isEqualTo("rwx------");
  }

  @Test
  void givenDirectoryWritableByOthers_whenOpened_thenRefusedWithChmod() throws IOException {
    assumePosix();
    Path open = Files.createDirectory(tmp.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));

    assertThatThrownBy(() -> new JarCache(open))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "the jar cache "
                + open
                + " is writable by others (owner "
                + Files.getOwner(open).getName()
                + ", mode 0777), who could put any code in place of a jar; run chmod 700 "
                + open);
  }

  @Test
  void givenFileWhereDirectoryShouldBe_whenOpened_thenRefusedNamingIt() throws IOException {
    Path file = Files.writeString(tmp.resolve("file"), "x");

    assertThatThrownBy(() -> new JarCache(file))
        .isInstanceOf(IOException.class)
        .hasMessage("cannot open the jar cache " + file + ": it is not a directory");
  }

  @Test
  void givenFileInPlaceOfParent_whenOpened_thenRefusedNamingDirectory() throws IOException {
    Path file = Files.writeString(tmp.resolve("file"), "x");

    assertThatThrownBy(() -> new JarCache(file.resolve("jars")))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot create the jar cache " + file.resolve("jars") + ": ")
        .hasMessageNotContaining("\n");
  }

  @Test
  void givenUpload_whenCommitted_thenInPlaceByHashAndServedByGet() throws Exception {
    byte[] bytes = bytes("the jar's bytes, some of them");
    JarRef ref = ref("app.jar", bytes);

    Path jar;
    try (JarCache.Upload upload = cache.begin(ref)) {
      upload.write(bytes, 0, 10);
      upload.write(bytes, 10, bytes.length - 10);
      jar = upload.commit();
    }

    assertThat(jar).isEqualTo(dir.resolve(ref.sha256() + ".jar"));
    assertThat(Files.readAllBytes(jar)).isEqualTo(bytes);
    assertThat(cache.get(ref.sha256())).contains(jar);
    assertThat(cache.missing(List.of(ref))).isEmpty();
    assertThat(listing()).containsExactly(jar);
  }

  @Test
  void givenSomeCached_whenMissing_thenTheOthersInOrder() throws Exception {
    JarRef a = ref("a.jar", bytes("a"));
    JarRef b = ref("b.jar", bytes("b"));
    JarRef c = ref("c.jar", bytes("c"));
    store(b, bytes("b"));

    assertThat(cache.missing(List.of(c, b, a))).containsExactly(c, a);
  }

  @Test
  void givenNotCached_whenGet_thenEmpty() {
    assertThat(cache.get(ref("a.jar", bytes("a")).sha256())).isEqualTo(Optional.empty());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "../../etc/passwd",
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f2/../x",
        ""
      })
  void givenNotASha256_whenGet_thenIllegalArgument(String hash) {
    assertThatThrownBy(() -> cache.get(hash))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a SHA-256 (64 lowercase hex characters): ");
  }

  @Test
  void givenNull_whenGet_thenIllegalArgument() {
    assertThatThrownBy(() -> cache.get(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("not a SHA-256 (64 lowercase hex characters): null");
  }

  @Test
  void givenCachedJarUsedLongAgo_whenGet_thenMarkedUsedNow() throws Exception {
    JarRef ref = ref("a.jar", bytes("a"));
    Path jar = store(ref, bytes("a"));
    Files.setLastModifiedTime(jar, FileTime.from(NOW.minus(Duration.ofDays(30))));

    cache.get(ref.sha256());

    assertThat(Files.getLastModifiedTime(jar).toInstant()).isEqualTo(NOW);
  }

  @Test
  void givenFewerBytesThanAnnounced_whenCommit_thenRefusedAndNothingLeft() throws Exception {
    byte[] bytes = bytes("0123456789");
    JarRef ref = ref("app.jar", bytes);

    try (JarCache.Upload upload = cache.begin(ref)) {
      upload.write(bytes, 0, 7);
      assertThatThrownBy(upload::commit)
          .isInstanceOf(ProgramException.class)
          .hasMessage("app.jar: received 7 bytes, expected 10");
    }

    assertThat(listing()).isEmpty();
  }

  @Test
  void givenOtherContentOfTheRightSize_whenCommit_thenRefusedAndNothingLeft() throws Exception {
    JarRef ref = ref("app.jar", bytes("0123456789"));
    byte[] other = bytes("9876543210");

    try (JarCache.Upload upload = cache.begin(ref)) {
      upload.write(other, 0, other.length);
      assertThatThrownBy(upload::commit)
          .isInstanceOf(ProgramException.class)
          .hasMessage(
              "app.jar: content does not match its SHA-256 "
                  + ref.sha256()
                  + " (it hashes to "
                  + sha256(other)
                  + ")");
    }

    assertThat(listing()).isEmpty();
    assertThat(cache.get(ref.sha256())).isEmpty();
  }

  @Test
  void givenWritePastAnnouncedSize_whenWrite_thenRefusedAndCommitFailsToo() throws Exception {
    byte[] bytes = bytes("0123456789");
    JarRef ref = ref("app.jar", bytes);

    try (JarCache.Upload upload = cache.begin(ref)) {
      upload.write(bytes, 0, 8);
      assertThatThrownBy(() -> upload.write(bytes, 0, 3))
          .isInstanceOf(ProgramException.class)
          .hasMessage("app.jar: received more than 10 bytes, the size it was announced with");
      assertThatThrownBy(upload::commit).isInstanceOf(ProgramException.class);
    }

    assertThat(listing()).isEmpty();
    assertThat(cache.get(ref.sha256())).isEmpty();
  }

  @Test
  void givenHostileSender_whenWritingForever_thenNoMoreThanSizeOnDisk() throws Exception {
    JarRef ref = ref("small.jar", bytes("tiny"));
    byte[] flood = new byte[64 * 1024];

    try (JarCache.Upload upload = cache.begin(ref)) {
      assertThatThrownBy(() -> upload.write(flood, 0, flood.length))
          .isInstanceOf(ProgramException.class);
      assertThatThrownBy(() -> upload.write(flood, 0, flood.length))
          .isInstanceOf(ProgramException.class);
      for (Path file : listing()) {
        assertThat(Files.size(file)).isLessThanOrEqualTo(ref.size());
      }
    }
  }

  @Test
  void givenUploadNeverCommitted_whenClosed_thenNoTemporaryFileLeft() throws Exception {
    byte[] bytes = bytes("0123456789");
    JarRef ref = ref("app.jar", bytes);

    try (JarCache.Upload upload = cache.begin(ref)) {
      upload.write(bytes, 0, 5);
      assertThat(listing()).hasSize(1);
    }

    assertThat(listing()).isEmpty();
  }

  @Test
  void givenCommittedUpload_whenUsedAgain_thenIllegalState() throws Exception {
    byte[] bytes = bytes("a");
    JarRef ref = ref("a.jar", bytes);
    JarCache.Upload upload = cache.begin(ref);
    upload.write(bytes, 0, 1);
    upload.commit();

    assertThatThrownBy(() -> upload.write(bytes, 0, 1)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(upload::commit).isInstanceOf(IllegalStateException.class);
    upload.close();
    assertThat(listing()).containsExactly(dir.resolve(ref.sha256() + ".jar"));
  }

  @Test
  void givenTwoThreadsUploadingSameJar_whenBothCommit_thenBothSucceedWithOneFile()
      throws Exception {
    byte[] bytes = new byte[300_000];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (i * 31 + 7);
    }
    JarRef ref = ref("big.jar", bytes);
    threads = Executors.newFixedThreadPool(2);
    for (int round = 0; round < 20; round++) {
      Files.deleteIfExists(dir.resolve(ref.sha256() + ".jar"));
      CountDownLatch start = new CountDownLatch(1);
      Callable<Path> upload =
          () -> {
            try (JarCache.Upload u = cache.begin(ref)) {
              start.await();
              for (int at = 0; at < bytes.length; at += 4096) {
                u.write(bytes, at, Math.min(4096, bytes.length - at));
              }
              return u.commit();
            }
          };
      Future<Path> first = threads.submit(upload);
      Future<Path> second = threads.submit(upload);
      start.countDown();

      Path jar = dir.resolve(ref.sha256() + ".jar");
      assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(jar);
      assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(jar);
      assertThat(listing()).containsExactly(jar);
      assertThat(Files.readAllBytes(jar)).isEqualTo(bytes);
    }
  }

  @Test
  void givenLocalFile_whenPut_thenCopiedAndVerified() throws Exception {
    byte[] bytes = bytes("local jar");
    Path file = Files.write(tmp.resolve("local.jar"), bytes);
    JarRef ref = ref("local.jar", bytes);

    Path jar = cache.put(file, ref);

    assertThat(jar).isEqualTo(dir.resolve(ref.sha256() + ".jar"));
    assertThat(Files.readAllBytes(jar)).isEqualTo(bytes);
    assertThat(file).exists();
  }

  @Test
  void givenLocalFileNotMatchingRef_whenPut_thenRefusedAndNothingCached() throws Exception {
    Path file = Files.write(tmp.resolve("local.jar"), bytes("local jar"));
    JarRef ref = ref("local.jar", bytes("other jar"));

    assertThatThrownBy(() -> cache.put(file, ref))
        .isInstanceOf(ProgramException.class)
        .hasMessageStartingWith("local.jar: content does not match its SHA-256 ");
    assertThat(listing()).isEmpty();
  }

  @Test
  void givenJarAlreadyCached_whenPut_thenCachedFileReturned() throws Exception {
    byte[] bytes = bytes("local jar");
    Path file = Files.write(tmp.resolve("local.jar"), bytes);
    JarRef ref = ref("local.jar", bytes);
    Path first = cache.put(file, ref);

    assertThat(cache.put(file, ref)).isEqualTo(first);
    assertThat(listing()).containsExactly(first);
  }

  @Test
  void givenCacheOverLimit_whenEvict_thenLeastRecentlyUsedDeletedFirst() throws Exception {
    Path oldest = storeUsedAt("oldest", 3);
    Path middle = storeUsedAt("middle", 2);
    Path newest = storeUsedAt("newest", 1);
    long size = Files.size(oldest);

    long freed = cache.evict(size + size / 2, Set.of());

    assertThat(freed).isEqualTo(2 * size);
    assertThat(listing()).containsExactly(newest);
    assertThat(middle).doesNotExist();
  }

  @Test
  void givenKeepSet_whenEvict_thenKeptJarsSurviveAndOthersGo() throws Exception {
    Path oldest = storeUsedAt("oldest", 3);
    Path middle = storeUsedAt("middle", 2);
    Path newest = storeUsedAt("newest", 1);
    long size = Files.size(oldest);

    long freed = cache.evict(size, Set.of(sha(oldest)));

    assertThat(freed).isEqualTo(2 * size);
    assertThat(listing()).containsExactly(oldest);
    assertThat(middle).doesNotExist();
    assertThat(newest).doesNotExist();
  }

  @Test
  void givenEverythingKept_whenEvict_thenNothingDeletedThoughOverLimit() throws Exception {
    Path a = storeUsedAt("aaaaa", 2);
    Path b = storeUsedAt("bbbbb", 1);

    assertThat(cache.evict(0, Set.of(sha(a), sha(b)))).isZero();
    assertThat(listing()).containsExactlyInAnyOrder(a, b);
  }

  @Test
  void givenCacheUnderLimit_whenEvict_thenNothingDeleted() throws Exception {
    Path a = storeUsedAt("aaaaa", 1);

    assertThat(cache.evict(Files.size(a), Set.of())).isZero();
    assertThat(listing()).containsExactly(a);
  }

  @Test
  void givenAbandonedAndFreshTemporaryFiles_whenEvict_thenOnlyAbandonedDeleted() throws Exception {
    JarRef ref = ref("a.jar", bytes("0123456789"));
    JarCache.Upload abandoned = cache.begin(ref);
    abandoned.write(bytes("01234"), 0, 5);
    Path stale = single(listing());
    Files.setLastModifiedTime(stale, FileTime.from(NOW.minus(Duration.ofMinutes(61))));
    try (JarCache.Upload fresh = cache.begin(ref)) {
      fresh.write(bytes("0"), 0, 1);
      Path current = listing().stream().filter(p -> !p.equals(stale)).findFirst().orElseThrow();
      Files.setLastModifiedTime(current, FileTime.from(NOW.minus(Duration.ofMinutes(59))));

      cache.evict(Long.MAX_VALUE, Set.of());

      assertThat(listing()).containsExactly(current);
    } finally {
      abandoned.close();
    }
  }

  @Test
  void givenNegativeLimit_whenEvict_thenIllegalArgument() {
    assertThatThrownBy(() -> cache.evict(-1, Set.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBytes is negative: -1");
  }

  /** Stores a 5-byte jar of {@code text} marked used {@code daysAgo} days before NOW. */
  private Path storeUsedAt(String text, int daysAgo) throws Exception {
    byte[] bytes = bytes(text);
    Path jar = store(ref(text + ".jar", bytes), bytes);
    Files.setLastModifiedTime(jar, FileTime.from(NOW.minus(Duration.ofDays(daysAgo))));
    return jar;
  }

  private Path store(JarRef ref, byte[] bytes) throws Exception {
    try (JarCache.Upload upload = cache.begin(ref)) {
      upload.write(bytes, 0, bytes.length);
      return upload.commit();
    }
  }

  private List<Path> listing() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return new ArrayList<>(files.toList());
    }
  }

  private static Path single(List<Path> files) {
    assertThat(files).hasSize(1);
    return files.get(0);
  }

  private static String sha(Path jar) {
    String name = jar.getFileName().toString();
    return name.substring(0, name.length() - ".jar".length());
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static JarRef ref(String name, byte[] bytes) {
    return new JarRef(sha256(bytes), name, bytes.length);
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void assumePosix() {
    assumeTrue(
        FileSystems.getDefault().supportedFileAttributeViews().contains("posix"),
        "this test checks POSIX modes");
  }
}
