package dev.deploy.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.helpers.NOPLogger;

@Timeout(30)
class LoggersTest {
  @TempDir Path dir;

  @Test
  void givenClassPathWithoutBinding_whenLoggerAsked_thenNoOpLoggerAndSlf4jUntouched() {
    // The library's test class path, like a program's that added none, has slf4j-api only.
    assertThat(Loggers.bindingPresent(LoggersTest.class.getClassLoader())).isFalse();

    assertThat(Loggers.get(LoggersTest.class)).isSameAs(NOPLogger.NOP_LOGGER);
  }

  @Test
  void givenDeclaredServiceProvider_whenChecked_thenBindingPresent() throws IOException {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    Files.writeString(
        services.resolve("org.slf4j.spi.SLF4JServiceProvider"),
        "org.slf4j.helpers.NOP_FallbackServiceProvider\n");

    try (URLClassLoader withProvider = loaderOver(dir)) {
      assertThat(Loggers.bindingPresent(withProvider)).isTrue();
    }
  }

  @Test
  void givenSlf4j17Binding_whenChecked_thenBindingPresentSoSlf4jCanSayItIsIgnored()
      throws IOException {
    Path binder = dir.resolve("org/slf4j/impl/StaticLoggerBinder.class");
    Files.createDirectories(binder.getParent());
    Files.write(binder, new byte[] {(byte) 0xCA, (byte) 0xFE});

    try (URLClassLoader withLegacyBinding = loaderOver(dir)) {
      assertThat(Loggers.bindingPresent(withLegacyBinding)).isTrue();
    }
  }

  private static URLClassLoader loaderOver(Path directory) throws IOException {
    return new URLClassLoader(
        new URL[] {directory.toUri().toURL()}, LoggersTest.class.getClassLoader());
  }

  /**
   * One class that asks SLF4J for a logger directly is enough for three warning lines in every
   * process of a user without a binding: everything else goes through {@link Loggers}.
   */
  @Test
  void givenTheRuntimesSources_whenScanned_thenOnlyLoggersAsksSlf4jForALogger() throws IOException {
    java.nio.file.Path root = java.nio.file.Path.of("src/main/java");
    java.util.List<String> offenders;
    try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(root)) {
      offenders =
          files
              .filter(f -> f.toString().endsWith(".java"))
              .filter(f -> !f.endsWith(java.nio.file.Path.of("dev/deploy/logging/Loggers.java")))
              .filter(
                  f -> {
                    try {
                      return java.nio.file.Files.readString(f).contains("LoggerFactory");
                    } catch (IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  })
              .map(root::relativize)
              .map(java.nio.file.Path::toString)
              .toList();
    }
    org.assertj.core.api.Assertions.assertThat(offenders)
        .as("classes that should get their logger from Loggers.get")
        .isEmpty();
  }
}
