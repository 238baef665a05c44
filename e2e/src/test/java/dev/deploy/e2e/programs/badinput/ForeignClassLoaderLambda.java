package dev.deploy.e2e.programs.badinput;

import static dev.deploy.Deploy.init;
import static dev.deploy.Deploy.spawn;

import dev.deploy.Resources;
import dev.deploy.Task;
import dev.deploy.e2e.tester.Expect;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A lambda whose class a URLClassLoader loaded from a temporary directory cannot be spawned:
 * SpawnException says it is not on the classpath.
 */
public final class ForeignClassLoaderLambda {
  static final Expect EXPECTED =
      Expect.process()
          .exit(1)
          .stdout("loaded by a URLClassLoader: true\n")
          .stderrMatches(
              "Exception in thread \"main\" dev\\.deploy\\.SpawnException:"
                  + " [^\n]*ForeignTask[^\n]*not on the classpath[^\n]*\n.*");

  /** Loads {@link ForeignTask} itself from its directory instead of asking its parent first. */
  static final class OwnFirst extends URLClassLoader {
    OwnFirst(URL directory) {
      super(new URL[] {directory}, ForeignClassLoaderLambda.class.getClassLoader());
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      synchronized (getClassLoadingLock(name)) {
        if (name.equals(ForeignTask.class.getName())) {
          Class<?> loaded = findLoadedClass(name);
          return loaded != null ? loaded : findClass(name);
        }
        return super.loadClass(name, resolve);
      }
    }
  }

  @SuppressWarnings("unchecked")
  public static void main(String[] args) throws Exception {
    init(Resources.DEFAULT);
    Path directory = Files.createTempDirectory("foreign-task-");
    try {
      String file = ForeignTask.class.getName().replace('.', '/') + ".class";
      Path copy = directory.resolve(file);
      Files.createDirectories(copy.getParent());
      try (InputStream in = ForeignTask.class.getClassLoader().getResourceAsStream(file)) {
        Files.copy(in, copy);
      }
      try (URLClassLoader loader = new OwnFirst(directory.toUri().toURL())) {
        Class<?> foreign = loader.loadClass(ForeignTask.class.getName());
        System.out.println("loaded by a URLClassLoader: " + (foreign.getClassLoader() == loader));
        Task<String> task = (Task<String>) foreign.getMethod("task").invoke(null);
        spawn(task, "should never run", new Resources(128L << 20, 0.05));
      }
    } finally {
      deleteTree(directory);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
