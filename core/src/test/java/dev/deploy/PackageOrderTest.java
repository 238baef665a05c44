package dev.deploy;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rule of ARCHITECTURE.md's codemap: a package imports only packages listed below it (or
 * itself). {@code dev.deploy} is two places in the list: its facades ({@code Deploy}, {@code
 * Sender}, {@code Receiver}, {@code Select}) on top, its values ({@code Pid}, {@code Resources},
 * {@code Task} and the two exceptions) near the bottom. The subpackages of {@code cluster} are one
 * place, with a rule of their own: {@code master}, {@code worker} and {@code client} (one role
 * each) use {@code link} and never one another; {@code link} uses none of them.
 */
@Timeout(120)
class PackageOrderTest {
  /** The codemap's order, top first: each may import only those after it. */
  static final List<String> ORDER =
      List.of(
          "dev.deploy",
          "cluster",
          "runtime",
          "ui",
          "fabric",
          "master",
          "channel",
          "io",
          "wire",
          "codec",
          "process",
          "program",
          "bridge",
          "security",
          "dev.deploy values",
          "logging",
          "util");

  private static final Set<String> FACADES = Set.of("Deploy", "Sender", "Receiver", "Select");

  /** Returns the class's place in {@link #ORDER}, or -1 for what is not the runtime's own. */
  static int rank(JavaClass c) {
    String pkg = c.getPackageName();
    if (pkg.equals("dev.deploy")) {
      String top = c.getName().substring("dev.deploy.".length()).split("\\$")[0];
      return ORDER.indexOf(FACADES.contains(top) ? "dev.deploy" : "dev.deploy values");
    }
    if (!pkg.startsWith("dev.deploy.") || pkg.startsWith("dev.deploy.shaded")) {
      return -1;
    }
    String first = pkg.substring("dev.deploy.".length()).split("\\.")[0];
    int rank = ORDER.indexOf(first);
    if (rank < 0) {
      throw new AssertionError(
          "package " + pkg + " is not in ARCHITECTURE.md's codemap nor in PackageOrderTest.ORDER");
    }
    return rank;
  }

  private static final ArchCondition<JavaClass> IMPORT_ONLY_BELOW =
      new ArchCondition<>("import only packages listed below their own in ARCHITECTURE.md") {
        @Override
        public void check(JavaClass origin, ConditionEvents events) {
          int from = rank(origin);
          for (Dependency d : origin.getDirectDependenciesFromSelf()) {
            int to = rank(d.getTargetClass());
            if (to >= 0 && to < from) {
              events.add(
                  SimpleConditionEvent.violated(
                      d,
                      ORDER.get(from)
                          + " uses "
                          + ORDER.get(to)
                          + ", which ARCHITECTURE.md lists above it: "
                          + d.getDescription()));
            }
          }
        }
      };

  @Test
  void givenTheRuntime_whenImportsChecked_thenEachPackageUsesOnlyThoseBelowIt() {
    JavaClasses runtime =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.deploy");

    classes().that().resideInAPackage("dev.deploy..").should(IMPORT_ONLY_BELOW).check(runtime);
  }

  @Test
  void givenClusterPackages_whenImportsChecked_thenRolesUseOnlyLinkAndLinkUsesNoRole() {
    JavaClasses cluster =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.deploy.cluster");

    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("link")
        .definedBy("dev.deploy.cluster.link..")
        .layer("master")
        .definedBy("dev.deploy.cluster.master..")
        .layer("worker")
        .definedBy("dev.deploy.cluster.worker..")
        .layer("client")
        .definedBy("dev.deploy.cluster.client..")
        .whereLayer("master")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("worker")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("client")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("link")
        .mayOnlyBeAccessedByLayers("master", "worker", "client")
        .check(cluster);
  }

  @Test
  void givenArchitectureMd_whenItsCodemapRead_thenItListsThePackagesInThisOrder()
      throws IOException {
    Path doc = Path.of("..", "ARCHITECTURE.md");
    Assumptions.assumeTrue(Files.exists(doc), "ARCHITECTURE.md is not at " + doc.toAbsolutePath());
    String text = Files.readString(doc);
    String codemap = text.substring(text.indexOf("## Codemap"), text.indexOf("## Invariants"));
    List<String> listed = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\* `([a-z.]+)`( values)?").matcher(codemap);
    while (m.find()) {
      listed.add(m.group(1) + (m.group(2) != null ? m.group(2) : ""));
    }

    assertThat(listed).isEqualTo(ORDER);
  }
}
