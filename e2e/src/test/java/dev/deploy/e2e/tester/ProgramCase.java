package dev.deploy.e2e.tester;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A program that carries its expected outcome: a class under {@code dev.deploy.e2e.programs} with a
 * {@code static final Expect EXPECTED} and, optionally, {@code static final RunOptions RUN}. Its
 * area is its sub-package ({@code exits}, {@code output}, ...). Classes without {@code EXPECTED}
 * (programs a dedicated test drives) are not cases.
 *
 * @param type the program's class, with a {@code main}
 * @param area the last part of its package name
 * @param expected its {@code EXPECTED}
 * @param options its {@code RUN}, or the defaults
 */
public record ProgramCase(Class<?> type, String area, Expect expected, RunOptions options) {
  /** The package the programs live in (and under). */
  public static final String PACKAGE = "dev.deploy.e2e.programs";

  /** Runs this case with {@code runner} and checks the outcome. */
  public Run runAndCheck(Runner runner) {
    Run run = runner.run(type, options);
    run.assertMatches(expected);
    return run;
  }

  /** Every case among the compiled classes under {@code classes}, sorted by area and name. */
  public static List<ProgramCase> discover(Path classes) {
    Path root = classes.resolve(PACKAGE.replace('.', '/'));
    List<ProgramCase> cases = new ArrayList<>();
    try (var files = Files.walk(root)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String name = classes.relativize(file).toString();
        if (!name.endsWith(".class") || name.contains("$") || name.contains("-")) {
          continue;
        }
        String className =
            name.substring(0, name.length() - ".class".length())
                .replace(file.getFileSystem().getSeparator(), ".");
        ProgramCase found = of(Class.forName(className));
        if (found != null) {
          cases.add(found);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the programs under " + root, e);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("a compiled program cannot be loaded: " + e.getMessage(), e);
    }
    cases.sort(Comparator.comparing(ProgramCase::area).thenComparing(c -> c.type().getName()));
    return cases;
  }

  /** The case of {@code type}, or null when it declares no {@code EXPECTED}. */
  public static ProgramCase of(Class<?> type) {
    Expect expected = constant(type, "EXPECTED", Expect.class);
    if (expected == null) {
      return null;
    }
    RunOptions options = constant(type, "RUN", RunOptions.class);
    String pkg = type.getPackageName();
    String area = pkg.substring(pkg.lastIndexOf('.') + 1);
    return new ProgramCase(type, area, expected, options != null ? options : RunOptions.defaults());
  }

  private static <T> T constant(Class<?> type, String name, Class<T> valueType) {
    Field field;
    try {
      field = type.getDeclaredField(name);
    } catch (NoSuchFieldException e) {
      return null;
    }
    int modifiers = field.getModifiers();
    if (!Modifier.isStatic(modifiers)
        || !Modifier.isFinal(modifiers)
        || field.getType() != valueType) {
      throw new IllegalStateException(
          type.getName() + "." + name + " must be a static final " + valueType.getSimpleName());
    }
    try {
      field.setAccessible(true);
      return valueType.cast(field.get(null));
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot read " + type.getName() + "." + name, e);
    }
  }

  @Override
  public String toString() {
    return area + "/" + type.getSimpleName();
  }
}
