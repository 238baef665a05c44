package dev.deploy.program;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.deploy.program.ClassPathPacker.PackedJar;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ClassPathPackerTest {
  @TempDir Path tmp;

  private Path classes() throws IOException {
    return SampleJars.tree(
        tmp.resolve("src").resolve("classes"),
        new TreeMap<>(
            Map.of(
                "com/example/Main.class", "main bytes",
                "com/example/util/Helper.class", "helper bytes",
                "app.properties", "greeting=hello\n")));
  }

  private static String cp(Object... entries) {
    return String.join(File.pathSeparator, Stream.of(entries).map(String::valueOf).toList());
  }

  @Test
  void givenSameDirectory_whenPackedIntoTwoWorkDirs_thenSameBytesAndHash() throws Exception {
    Path classes = classes();

    PackedJar first = single(ClassPathPacker.pack(classes.toString(), tmp.resolve("work1")));
    PackedJar second = single(ClassPathPacker.pack(classes.toString(), tmp.resolve("work2")));

    assertThat(second.ref()).isEqualTo(first.ref());
    assertThat(Files.readAllBytes(second.file())).isEqualTo(Files.readAllBytes(first.file()));
    assertThat(first.file().getParent()).isEqualTo(tmp.resolve("work1").toRealPath());
  }

  @Test
  void givenFileTouched_whenPackedAgain_thenSameHash() throws Exception {
    Path classes = classes();
    PackedJar before = single(ClassPathPacker.pack(classes.toString(), tmp.resolve("work1")));

    Path main = classes.resolve("com/example/Main.class");
    Files.setLastModifiedTime(main, FileTime.from(Instant.parse("2031-05-06T07:08:09Z")));
    Files.setLastModifiedTime(classes, FileTime.from(Instant.parse("2031-05-06T07:08:09Z")));
    PackedJar after = single(ClassPathPacker.pack(classes.toString(), tmp.resolve("work2")));

    assertThat(after.ref().sha256()).isEqualTo(before.ref().sha256());
  }

  @Test
  void givenContentChanged_whenPackedAgain_thenDifferentHashAndName() throws Exception {
    Path classes = classes();
    PackedJar before = single(ClassPathPacker.pack(classes.toString(), tmp.resolve("work")));

    Files.writeString(classes.resolve("app.properties"), "greeting=bye\n");
    PackedJar after = single(ClassPathPacker.pack(classes.toString(), tmp.resolve("work")));

    assertThat(after.ref().sha256()).isNotEqualTo(before.ref().sha256());
    assertThat(after.ref().name()).isNotEqualTo(before.ref().name());
    assertThat(before.file()).exists();
  }

  @Test
  void givenNewEmptyDirectory_whenPackedAgain_thenDifferentHash() throws Exception {
    Path classes = classes();
    PackedJar before = single(ClassPathPacker.pack(classes.toString(), tmp.resolve("work")));

    Files.createDirectory(classes.resolve("empty"));
    PackedJar after = single(ClassPathPacker.pack(classes.toString(), tmp.resolve("work")));

    assertThat(after.ref().sha256()).isNotEqualTo(before.ref().sha256());
  }

  @Test
  void givenDirectory_whenPacked_thenJarNamedAfterItWithShortHashAndRefDescribesFile()
      throws Exception {
    PackedJar jar = single(ClassPathPacker.pack(classes().toString(), tmp.resolve("work")));

    assertThat(jar.ref().name()).matches("classes-[0-9a-f]{8}\\.jar");
    assertThat(jar.ref().sha256()).startsWith(jar.ref().name().substring(8, 16));
    assertThat(jar.file().getFileName().toString()).isEqualTo(jar.ref().name());
    assertThat(jar.ref().size()).isEqualTo(Files.size(jar.file()));
    assertThat(jar.ref().sha256()).isEqualTo(ClassPathPacker.sha256(jar.file()));
  }

  @Test
  void givenDirectory_whenPacked_thenEntriesSortedWithDirectoriesAndFixedTimeAndNoManifest()
      throws Exception {
    PackedJar jar = single(ClassPathPacker.pack(classes().toString(), tmp.resolve("work")));

    try (ZipFile zip = new ZipFile(jar.file().toFile())) {
      List<? extends ZipEntry> entries = Collections.list(zip.entries());
      assertThat(entries)
          .extracting(ZipEntry::getName)
          .containsExactly(
              "app.properties",
              "com/",
              "com/example/",
              "com/example/Main.class",
              "com/example/util/",
              "com/example/util/Helper.class");
      assertThat(entries)
          .allSatisfy(e -> assertThat(e.getTimeLocal()).isEqualTo(ClassPathPacker.ENTRY_TIME));
      ZipEntry main = zip.getEntry("com/example/Main.class");
      assertThat(new String(zip.getInputStream(main).readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo("main bytes");
    }
    try (JarFile file = new JarFile(jar.file().toFile())) {
      assertThat(file.getManifest()).isNull();
    }
  }

  @Test
  void givenDirectoryWithManifest_whenPacked_thenManifestCopiedFirstAndMainClassFound()
      throws Exception {
    String manifest = "Manifest-Version: 1.0\r\nMain-Class: com.example.Main\r\n\r\n";
    Path classes =
        SampleJars.tree(
            tmp.resolve("classes"),
            Map.of("META-INF/MANIFEST.MF", manifest, "A.class", "a", "com/B.class", "b"));

    PackedJar jar = single(ClassPathPacker.pack(classes.toString(), tmp.resolve("work")));

    try (ZipFile zip = new ZipFile(jar.file().toFile())) {
      assertThat(Collections.list(zip.entries()))
          .extracting(ZipEntry::getName)
          .containsExactly("META-INF/", "META-INF/MANIFEST.MF", "A.class", "com/", "com/B.class");
      ZipEntry copied = zip.getEntry("META-INF/MANIFEST.MF");
      assertThat(new String(zip.getInputStream(copied).readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo(manifest);
    }
    try (JarInputStream in = new JarInputStream(Files.newInputStream(jar.file()))) {
      assertThat(in.getManifest().getMainAttributes().getValue("Main-Class"))
          .isEqualTo("com.example.Main");
    }
    assertThat(ClassPathPacker.mainClass(List.of(jar.file()))).contains("com.example.Main");
  }

  @Test
  void givenJarFile_whenPacked_thenUsedAsItIsWithItsHashAndName() throws Exception {
    Path jar = SampleJars.jar(tmp.resolve("lib/dep-2.1.jar"), Map.of("D.class", "d"));

    PackedJar packed = single(ClassPathPacker.pack(jar.toString(), tmp.resolve("work")));

    assertThat(packed.file()).isEqualTo(jar);
    assertThat(packed.ref())
        .isEqualTo(new JarRef(ClassPathPacker.sha256(jar), "dep-2.1.jar", Files.size(jar)));
    assertThat(tmp.resolve("work")).doesNotExist();
  }

  @Test
  void givenJarsAndDirectory_whenPacked_thenClassPathOrderKept() throws Exception {
    Path z = SampleJars.jar(tmp.resolve("z.jar"), Map.of("Z.class", "z"));
    Path a = SampleJars.jar(tmp.resolve("a.jar"), Map.of("A.class", "a"));

    List<PackedJar> jars = ClassPathPacker.pack(cp(z, classes(), a), tmp.resolve("work"));

    assertThat(jars)
        .extracting(j -> j.ref().name())
        .satisfiesExactly(
            n -> assertThat(n).isEqualTo("z.jar"),
            n -> assertThat(n).startsWith("classes-"),
            n -> assertThat(n).isEqualTo("a.jar"));
  }

  @Test
  void givenWildcard_whenPacked_thenJarFilesOfThatDirectorySortedByName() throws Exception {
    Path lib = tmp.resolve("lib");
    SampleJars.jar(lib.resolve("b.jar"), Map.of("B.class", "b"));
    SampleJars.jar(lib.resolve("a.jar"), Map.of("A.class", "a"));
    SampleJars.jar(lib.resolve("C.JAR"), Map.of("C.class", "c"));
    SampleJars.jar(lib.resolve("sub/d.jar"), Map.of("D.class", "d"));
    Files.writeString(lib.resolve("notes.txt"), "not a jar");
    Files.createDirectory(lib.resolve("dir.jar"));

    List<PackedJar> jars = ClassPathPacker.pack(lib + File.separator + "*", tmp.resolve("work"));

    assertThat(jars).extracting(j -> j.ref().name()).containsExactly("C.JAR", "a.jar", "b.jar");
    assertThat(jars)
        .extracting(PackedJar::file)
        .containsExactly(lib.resolve("C.JAR"), lib.resolve("a.jar"), lib.resolve("b.jar"));
  }

  @Test
  void givenSameJarTwice_whenPacked_thenKeptOnceWhereItFirstAppears() throws Exception {
    Path lib = tmp.resolve("lib");
    Path a = SampleJars.jar(lib.resolve("a.jar"), Map.of("A.class", "a"));
    SampleJars.jar(lib.resolve("b.jar"), Map.of("B.class", "b"));

    List<PackedJar> jars =
        ClassPathPacker.pack(cp(a, lib.resolve("*"), a, lib.resolve("a.jar")), tmp.resolve("w"));

    assertThat(jars).extracting(j -> j.ref().name()).containsExactly("a.jar", "b.jar");
  }

  @Test
  void givenSameDirectoryTwice_whenPacked_thenPackedOnce() throws Exception {
    Path classes = classes();

    List<PackedJar> jars = ClassPathPacker.pack(cp(classes, classes), tmp.resolve("work"));

    assertThat(jars).hasSize(1);
  }

  @Test
  void givenEmptyEntries_whenPacked_thenSkipped() throws Exception {
    Path a = SampleJars.jar(tmp.resolve("a.jar"), Map.of("A.class", "a"));

    List<PackedJar> jars = ClassPathPacker.pack(cp("", "", a, ""), tmp.resolve("work"));

    assertThat(jars).extracting(j -> j.ref().name()).containsExactly("a.jar");
  }

  @Test
  void givenEmptyClassPath_whenPacked_thenRefused() {
    for (String classPath : new String[] {"", File.pathSeparator + File.pathSeparator, null}) {
      assertThatThrownBy(() -> ClassPathPacker.pack(classPath, tmp.resolve("work")))
          .isInstanceOf(ProgramException.class)
          .hasMessage("the class path is empty");
    }
  }

  @Test
  void givenMissingEntry_whenPacked_thenRefusedNamingIt() throws Exception {
    Path a = SampleJars.jar(tmp.resolve("a.jar"), Map.of("A.class", "a"));
    Path missing = tmp.resolve("build/missing.jar");

    assertThatThrownBy(() -> ClassPathPacker.pack(cp(a, missing), tmp.resolve("work")))
        .isInstanceOf(ProgramException.class)
        .hasMessage(missing + " does not exist");
  }

  @Test
  void givenTextFileNamedJar_whenPacked_thenRefusedAsNotAJar() throws Exception {
    Path fake = Files.writeString(tmp.resolve("x.jar"), "just text\n");

    assertThatThrownBy(() -> ClassPathPacker.pack(fake.toString(), tmp.resolve("work")))
        .isInstanceOf(ProgramException.class)
        .hasMessageStartingWith(fake + " is not a jar file: ")
        .hasMessageContaining("x.jar is not a jar file: ")
        .hasMessageNotContaining("\n");
  }

  @Test
  void givenEmptyFile_whenPacked_thenRefusedAsNotAJar() throws Exception {
    Path empty = Files.createFile(tmp.resolve("empty.jar"));

    assertThatThrownBy(() -> ClassPathPacker.pack(empty.toString(), tmp.resolve("work")))
        .isInstanceOf(ProgramException.class)
        .hasMessageStartingWith(empty + " is not a jar file: ");
  }

  @Test
  void givenUnreadableJar_whenPacked_thenRefusedNamingIt() throws Exception {
    assumePosix();
    Path jar = SampleJars.jar(tmp.resolve("secret.jar"), Map.of("S.class", "s"));
    Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("-w-------"));
    assumeTrue(!Files.isReadable(jar), "running as root: every file is readable");

    assertThatThrownBy(() -> ClassPathPacker.pack(jar.toString(), tmp.resolve("work")))
        .isInstanceOf(ProgramException.class)
        .hasMessage(jar + " is not readable");
  }

  @Test
  void givenUnreadableFileInDirectory_whenPacked_thenRefusedNamingTheFile() throws Exception {
    assumePosix();
    Path classes = classes();
    Path helper = classes.resolve("com/example/util/Helper.class");
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("-w-------"));
    assumeTrue(!Files.isReadable(helper), "running as root: every file is readable");

    assertThatThrownBy(() -> ClassPathPacker.pack(classes.toString(), tmp.resolve("work")))
        .isInstanceOf(ProgramException.class)
        .hasMessage("cannot read " + helper + ": permission denied");
  }

  @Test
  void givenWildcardOnMissingDirectory_whenPacked_thenRefusedNamingTheEntry() {
    String entry = tmp.resolve("nolib") + File.separator + "*";

    assertThatThrownBy(() -> ClassPathPacker.pack(entry, tmp.resolve("work")))
        .isInstanceOf(ProgramException.class)
        .hasMessage(entry + " matches nothing: " + tmp.resolve("nolib") + " does not exist");
  }

  @Test
  void givenWildcardOnDirectoryWithoutJars_whenOnlyEntry_thenRefusedAsHoldingNoJars()
      throws Exception {
    Path lib = Files.createDirectory(tmp.resolve("lib"));
    String entry = lib + File.separator + "*";

    assertThatThrownBy(() -> ClassPathPacker.pack(entry, tmp.resolve("work")))
        .isInstanceOf(ProgramException.class)
        .hasMessage("the class path " + entry + " holds no jars");
  }

  @Test
  void givenWorkDirectoryInsidePackedDirectory_whenPacked_thenItsFilesAreNotPacked()
      throws Exception {
    Path classes = classes();
    Path work = classes.resolve("work");
    PackedJar first = single(ClassPathPacker.pack(classes.toString(), work));

    PackedJar second = single(ClassPathPacker.pack(classes.toString(), work));

    assertThat(second.ref()).isEqualTo(first.ref());
    try (ZipFile zip = new ZipFile(second.file().toFile())) {
      assertThat(Collections.list(zip.entries()))
          .extracting(ZipEntry::getName)
          .noneMatch(n -> n.startsWith("work"));
    }
  }

  @Test
  void givenPacking_whenDone_thenNoTemporaryFileLeftInWorkDirectory() throws Exception {
    PackedJar jar = single(ClassPathPacker.pack(classes().toString(), tmp.resolve("work")));

    try (Stream<Path> files = Files.list(tmp.resolve("work"))) {
      assertThat(files).containsExactly(jar.file());
    }
  }

  @Test
  void givenJarsWithAndWithoutMainClass_whenMainClass_thenFirstInOrderThatHasOne()
      throws Exception {
    Path plain = SampleJars.jar(tmp.resolve("plain.jar"), Map.of("P.class", "p"));
    Path noMain =
        SampleJars.jarWithManifest(
            tmp.resolve("nomain.jar"), Map.of("Created-By", "test"), Map.of("N.class", "n"));
    Path first =
        SampleJars.jarWithManifest(
            tmp.resolve("first.jar"), Map.of("Main-Class", "com.example.First"), Map.of());
    Path second =
        SampleJars.jarWithManifest(
            tmp.resolve("second.jar"), Map.of("Main-Class", "com.example.Second"), Map.of());

    assertThat(ClassPathPacker.mainClass(List.of(plain, noMain, first, second)))
        .contains("com.example.First");
    assertThat(ClassPathPacker.mainClass(List.of(second, first))).contains("com.example.Second");
  }

  @Test
  void givenNoJarHasMainClass_whenMainClass_thenEmpty() throws Exception {
    Path plain = SampleJars.jar(tmp.resolve("plain.jar"), Map.of("P.class", "p"));

    assertThat(ClassPathPacker.mainClass(List.of(plain))).isEqualTo(Optional.empty());
    assertThat(ClassPathPacker.mainClass(List.of())).isEmpty();
  }

  @Test
  void givenTextFile_whenMainClass_thenRefusedNamingIt() throws Exception {
    Path fake = Files.writeString(tmp.resolve("x.jar"), "just text\n");

    assertThatThrownBy(() -> ClassPathPacker.mainClass(List.of(fake)))
        .isInstanceOf(ProgramException.class)
        .hasMessageStartingWith(fake + " is not a jar file: ");
  }

  @Test
  void givenKnownContent_whenSha256_thenStandardDigest() throws Exception {
    Path abc = Files.writeString(tmp.resolve("abc"), "abc");
    Path empty = Files.createFile(tmp.resolve("empty"));

    assertThat(ClassPathPacker.sha256(abc))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(ClassPathPacker.sha256(empty))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }

  @Test
  void givenOddFileName_whenMadeHumanName_thenSafeForJarRef() {
    assertThat(ClassPathPacker.humanName("a\\b\u0001.jar", 200)).isEqualTo("a_b_.jar");
    assertThat(ClassPathPacker.humanName("x".repeat(300), 200)).hasSize(200);
    assertThat(ClassPathPacker.humanName("..", 200)).isEqualTo("_");
  }

  private static PackedJar single(List<PackedJar> jars) {
    assertThat(jars).hasSize(1);
    return jars.get(0);
  }

  private static void assumePosix() {
    assumeTrue(
        FileSystems.getDefault().supportedFileAttributeViews().contains("posix"),
        "this test sets POSIX modes");
  }
}
