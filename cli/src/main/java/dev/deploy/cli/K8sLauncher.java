package dev.deploy.cli;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code deploy k8s ...}: deploy.jar does not hold the Kubernetes client; this finds the k8s
 * module's jars ({@code $DEPLOY_K8S_LIB}, else {@code k8s/} next to deploy.jar as in the
 * distribution's lib/ and the image, else the build's {@code k8s/target}), loads them in a class
 * loader of their own over deploy.jar's, and runs {@code dev.deploy.k8s.K8sCommand}. Spawned
 * processes never see these jars. Runs on the main thread.
 */
final class K8sLauncher {
  private K8sLauncher() {}

  static final String ENTRY = "dev.deploy.k8s.K8sCommand";

  /** Runs {@code deploy k8s <args>}; returns the exit code. */
  static int run(String[] args) {
    ClassLoader loader;
    try {
      loader = loader();
    } catch (IOException e) {
      System.err.println("deploy k8s: " + e.getMessage());
      return 1;
    }
    try {
      Class<?> entry = Class.forName(ENTRY, true, loader);
      Method execute = entry.getMethod("execute", String[].class);
      Thread.currentThread().setContextClassLoader(loader);
      return (Integer) execute.invoke(null, (Object) args);
    } catch (InvocationTargetException e) {
      System.err.println("deploy k8s: internal error: " + e.getCause());
      return 1;
    } catch (ReflectiveOperationException | LinkageError e) {
      System.err.println(
          "deploy k8s: the Kubernetes module's jars are incomplete or of another version: " + e);
      return 1;
    }
  }

  /** Returns a loader that has the k8s module: deploy.jar's own when it does, else a new one. */
  private static ClassLoader loader() throws IOException {
    ClassLoader own = K8sLauncher.class.getClassLoader();
    try {
      Class.forName(ENTRY, false, own);
      return own; // already on the class path (bin/deploy's, the master pod's)
    } catch (ClassNotFoundException e) {
      // Look for the jars.
    }
    List<Path> tried = new ArrayList<>();
    for (Path dir : candidates()) {
      tried.add(dir);
      List<URL> jars = jars(dir);
      if (!jars.isEmpty()) {
        return new URLClassLoader("deploy-k8s", jars.toArray(URL[]::new), own);
      }
    }
    throw new IOException(
        "the Kubernetes module is not installed: no deploy-k8s jars in "
            + String.join(", ", tried.stream().map(Path::toString).toList())
            + "; use the distribution (its lib/k8s/), build it with mvn -pl k8s -am package, or"
            + " set DEPLOY_K8S_LIB to the directory of its jars");
  }

  private static List<Path> candidates() {
    List<Path> out = new ArrayList<>();
    String env = System.getenv("DEPLOY_K8S_LIB");
    if (env != null && !env.isBlank()) {
      out.add(Path.of(env));
      return out;
    }
    Path jar = deployJar();
    if (jar != null && jar.getParent() != null) {
      Path dir = jar.getParent();
      out.add(dir.resolve("k8s"));
      if (dir.getParent() != null) {
        out.add(dir.getParent().resolve("k8s").resolve("target").resolve("k8s-lib"));
        if (dir.getParent().getParent() != null) {
          out.add(dir.getParent().getParent().resolve("k8s").resolve("target").resolve("k8s-lib"));
        }
      }
    }
    return out;
  }

  private static Path deployJar() {
    try {
      var source = K8sLauncher.class.getProtectionDomain().getCodeSource();
      return source == null ? null : Path.of(source.getLocation().toURI());
    } catch (Exception e) {
      return null;
    }
  }

  private static List<URL> jars(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<URL> out = new ArrayList<>();
    boolean module = false;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.sorted().toList()) {
        String name = p.getFileName().toString();
        if (name.endsWith(".jar")) {
          module |= name.startsWith("deploy-k8s");
          out.add(p.toUri().toURL());
        }
      }
    }
    return module ? out : List.of();
  }
}
