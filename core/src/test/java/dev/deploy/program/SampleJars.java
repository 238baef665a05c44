package dev.deploy.program;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;

/** Writes small jars and directory trees for the tests of this package. */
final class SampleJars {
  private SampleJars() {}

  /** Writes a jar at {@code file} holding {@code entries} (name to text), and no manifest. */
  static Path jar(Path file, Map<String, String> entries) throws IOException {
    Files.createDirectories(file.getParent());
    try (OutputStream out = Files.newOutputStream(file);
        JarOutputStream jar = new JarOutputStream(out)) {
      writeEntries(jar, entries);
    }
    return file;
  }

  /** Writes a jar at {@code file} whose manifest has {@code attributes}, then {@code entries}. */
  static Path jarWithManifest(
      Path file, Map<String, String> attributes, Map<String, String> entries) throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    attributes.forEach((k, v) -> manifest.getMainAttributes().putValue(k, v));
    Files.createDirectories(file.getParent());
    try (OutputStream out = Files.newOutputStream(file);
        JarOutputStream jar = new JarOutputStream(out, manifest)) {
      writeEntries(jar, entries);
    }
    return file;
  }

  /**
   * Writes each of {@code files} (relative name to text) under {@code dir}; returns {@code dir}.
   */
  static Path tree(Path dir, Map<String, String> files) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, String> f : files.entrySet()) {
      Path file = dir.resolve(f.getKey());
      Files.createDirectories(file.getParent());
      Files.writeString(file, f.getValue(), StandardCharsets.UTF_8);
    }
    return dir;
  }

  private static void writeEntries(JarOutputStream jar, Map<String, String> entries)
      throws IOException {
    for (Map.Entry<String, String> e : entries.entrySet()) {
      jar.putNextEntry(new ZipEntry(e.getKey()));
      jar.write(e.getValue().getBytes(StandardCharsets.UTF_8));
      jar.closeEntry();
    }
  }
}
