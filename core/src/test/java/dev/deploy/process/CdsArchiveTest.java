package dev.deploy.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.security.Ownership;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link CdsArchive}: naming, housekeeping, and a real training JVM whose archive is used. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CdsArchiveTest {
  @TempDir Path dir;

  /** The training main of the real-JVM tests: loads a class of its own jar. */
  public static final class TrainMain {
    public static void main(String[] args) {
      System.out.println(new Loaded().toString().length() > 0 ? "trained" : "");
    }
  }

  /** A class only the training main loads, so the archive must hold it. */
  public static final class Loaded {}

  /** A training main that does not end by itself. */
  public static final class SlowMain {
    public static void main(String[] args) throws InterruptedException {
      Thread.sleep(60_000);
    }
  }

  @Test
  void givenMissingArchiveDirectory_whenCacheDirectory_thenCreatedOwnerOnly() throws IOException {
    Path cds = CdsArchive.cacheDirectory(dir, Ownership.system()).orElseThrow();

    assertThat(cds).isEqualTo(dir.resolve("deploy").resolve("cds"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cds)))
        .isEqualTo("rwx------");
  }

  @Test
  void givenArchiveDirectoryWritableByItsGroup_whenCacheDirectory_thenNotUsed() throws IOException {
    Path cds = Files.createDirectories(dir.resolve("deploy").resolve("cds"));
    Files.setPosixFilePermissions(cds, PosixFilePermissions.fromString("rwxrwx---"));

    assertThat(CdsArchive.cacheDirectory(dir, Ownership.system())).isEmpty();
  }

  @Test
  void givenArchiveDirectoryOwnedBySomeoneElse_whenCacheDirectory_thenNotUsed() throws IOException {
    Path cds = Files.createDirectories(dir.resolve("deploy").resolve("cds"));
    Files.setPosixFilePermissions(cds, PosixFilePermissions.fromString("rwx------"));
    UserPrincipal mallory = () -> "mallory";
    Ownership fake =
        new Ownership(
            Files.getOwner(dir),
            null,
            (p, options) -> p.equals(cds) ? mallory : Files.getOwner(p, options));

    assertThat(CdsArchive.cacheDirectory(dir, fake)).isEmpty();
  }

  @Test
  void givenRelativeEntries_whenAbsolute_thenEachResolvedAgainstTheWorkingDirectory() {
    String joined = CdsArchive.absolute(List.of("lib/a.jar", "/opt/b.jar", "./c/../d.jar"));

    String cwd = Path.of("").toAbsolutePath().toString();
    assertThat(joined.split(File.pathSeparator))
        .containsExactly(
            Path.of(cwd, "lib", "a.jar").toString(),
            "/opt/b.jar",
            Path.of(cwd, "d.jar").toString());
  }

  @Test
  void givenSameJarByRelativeAndAbsolutePath_whenKey_thenSameName() throws IOException {
    Path jar = Files.writeString(dir.resolve("x.jar"), "not really a jar");
    Path relative = Path.of("").toAbsolutePath().relativize(jar);

    assertThat(CdsArchive.key("java", List.of(relative.toString())))
        .isEqualTo(CdsArchive.key("java", List.of(jar.toString())));
  }

  @Test
  void givenAChangedJar_whenKey_thenAnotherName() throws IOException {
    Path jar = Files.writeString(dir.resolve("x.jar"), "one");
    String before = CdsArchive.key("java", List.of(jar.toString()));
    Files.writeString(jar, "one more");

    assertThat(CdsArchive.key("java", List.of(jar.toString()))).isNotEqualTo(before);
  }

  @Test
  void givenManyArchivesAndPartials_whenPrune_thenNewestKeptAndStalePartialsGone()
      throws IOException {
    long now = System.currentTimeMillis();
    List<Path> archives = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      archives.add(file("a" + i + ".jsa", now - TimeUnit.MINUTES.toMillis(10 - i)));
    }
    Path stale = file("a9.jsa.4242", now - CdsArchive.STALE_PARTIAL_MILLIS - 60_000);
    Path fresh = file("a9.jsa.4343", now - 1_000); // a training under way
    Path other = file("notes.txt", now - TimeUnit.DAYS.toMillis(3));

    CdsArchive.prune(dir, 3);

    assertThat(archives.get(0)).doesNotExist();
    assertThat(archives.get(1)).doesNotExist();
    assertThat(archives.subList(2, 5)).allMatch(Files::exists);
    assertThat(stale).doesNotExist();
    assertThat(fresh).exists();
    assertThat(other).exists();
  }

  @Test
  void givenRelativeClassPath_whenTrained_thenAJvmStartedElsewhereMapsTheArchive()
      throws Exception {
    Path jar = jar(dir.resolve("app").resolve("app.jar"), TrainMain.class, Loaded.class);
    String relative = Path.of("").toAbsolutePath().relativize(jar).toString();
    Path file = dir.resolve("cache").resolve("app.jsa");
    Files.createDirectories(file.getParent());
    CdsArchive archive = CdsArchive.at(JvmCommand.currentJava(), List.of(relative), file);

    archive.train(TrainMain.class.getName());

    assertThat(archive.ready()).as("the training made an archive").isTrue();
    try (var files = Files.list(file.getParent())) {
      assertThat(files).as("no partial archive left").containsExactly(file);
    }
    // Another working directory, and the jar by another relative path: the archive still fits.
    List<String> argv = new ArrayList<>();
    argv.add(JvmCommand.currentJava());
    argv.addAll(archive.options());
    argv.addAll(
        List.of("-Xlog:class+load=info", "-cp", "../../app/app.jar", TrainMain.class.getName()));
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere").resolve("deeper"));
    String out = run(new ProcessBuilder(argv).directory(elsewhere.toFile()));

    assertThat(out)
        .contains("trained")
        .containsPattern(
            java.util.regex.Pattern.quote(Loaded.class.getName()) + " source: shared objects file");
  }

  @Test
  void givenCancelled_whenTrain_thenNoJvmAndNoArchive() throws Exception {
    Path jar = jar(dir.resolve("app.jar"), TrainMain.class, Loaded.class);
    Path file = dir.resolve("app.jsa");
    CdsArchive archive = CdsArchive.at(JvmCommand.currentJava(), List.of(jar.toString()), file);

    archive.cancel();
    archive.train(TrainMain.class.getName());

    assertThat(archive.ready()).isFalse();
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(jar);
    }
  }

  @Test
  void givenATrainingUnderWay_whenCancel_thenItStopsSoonWithNoArchiveAndNoPartial()
      throws Exception {
    Path jar = jar(dir.resolve("app.jar"), SlowMain.class);
    Path file = dir.resolve("app.jsa");
    CdsArchive archive = CdsArchive.at(JvmCommand.currentJava(), List.of(jar.toString()), file);
    java.util.concurrent.CompletableFuture<Void> training =
        java.util.concurrent.CompletableFuture.runAsync(
            () -> archive.train(SlowMain.class.getName()), dev.deploy.testing.TestThreads.POOL);
    org.awaitility.Awaitility.await()
        .atMost(20, TimeUnit.SECONDS)
        .until(() -> trainingJvm(jar).isPresent());
    ProcessHandle jvm = trainingJvm(jar).orElseThrow();

    archive.cancel();

    training.get(20, TimeUnit.SECONDS); // far less than the training's 60 s
    assertThat(jvm.onExit().get(10, TimeUnit.SECONDS).isAlive()).isFalse();
    assertThat(archive.ready()).isFalse();
    try (var files = Files.list(dir)) {
      assertThat(files).as("no partial archive left").containsExactly(jar);
    }
  }

  /** Returns the training JVM this test started for {@code jar}: a child with it on its path. */
  private static java.util.Optional<ProcessHandle> trainingJvm(Path jar) {
    return ProcessHandle.current()
        .children()
        .filter(
            p -> p.info().arguments().map(a -> List.of(a).contains(jar.toString())).orElse(false))
        .findFirst();
  }

  private Path file(String name, long modifiedMillis) throws IOException {
    Path f = Files.writeString(dir.resolve(name), name);
    Files.setLastModifiedTime(f, FileTime.fromMillis(modifiedMillis));
    return f;
  }

  /** Writes a jar of the given classes, read from this test's class path. */
  private static Path jar(Path jar, Class<?>... classes) throws IOException {
    Files.createDirectories(jar.getParent());
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file)) {
      for (Class<?> c : classes) {
        String entry = c.getName().replace('.', '/') + ".class";
        out.putNextEntry(new JarEntry(entry));
        try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
          in.transferTo(out);
        }
        out.closeEntry();
      }
    }
    return jar;
  }

  /** Runs a JVM to its end (killed after 30 s) and returns its output. */
  private String run(ProcessBuilder pb) throws Exception {
    Path out = dir.resolve("out.txt");
    Process p = pb.redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try {
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("the JVM ended in 30 s").isTrue();
      return Files.readString(out, StandardCharsets.UTF_8);
    } finally {
      p.destroyForcibly();
    }
  }
}
