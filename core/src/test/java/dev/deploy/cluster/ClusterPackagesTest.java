package dev.deploy.cluster;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The import rule between the cluster's packages: {@code master}, {@code worker} and {@code client}
 * (one role each) use {@code link} and never one another; {@code link} uses none of them.
 */
@Timeout(60)
class ClusterPackagesTest {
  @Test
  void givenClusterPackages_whenImportsChecked_thenRolesUseOnlyLinkAndLinkUsesNoRole() {
    JavaClasses classes =
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
        .check(classes);
  }
}
