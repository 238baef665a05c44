package dev.deploy.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ForeignLauncherTest {
  private static final String JAVA_CP = "com.example.Main input.csv";

  @Test
  void givenJavaCpOnTheMainThread_whenProblem_thenNone() {
    assertThat(ForeignLauncher.problem("main", "main", null, JAVA_CP)).isEmpty();
  }

  @Test
  void givenExecJava_whenProblem_thenNamesMavenAndSaysUseThePluginOrExecExec() {
    Optional<String> problem =
        ForeignLauncher.problem(
            "com.example.Main.main()",
            "com.example.Main",
            "org.codehaus.mojo.exec.URLClassLoaderBuilder$ExecJavaClassLoader",
            "org.codehaus.plexus.classworlds.launcher.Launcher exec:java");

    assertThat(problem)
        .hasValueSatisfying(
            p ->
                assertThat(p)
                    .contains("mvn exec:java")
                    .contains("\"com.example.Main.main()\"")
                    .contains(
                        "mvn dev.deploy:deploy-maven-plugin:run -Ddeploy.mainClass=com.example.Main")
                    .contains("exec:exec")
                    .contains("java -cp"));
  }

  @Test
  void givenSourceLauncher_whenProblem_thenNamesItAndSaysCompileAndJavaCp() {
    Optional<String> problem =
        ForeignLauncher.problem(
            "main",
            "main",
            "com.sun.tools.javac.launcher.Main$MemoryClassLoader",
            "com.sun.tools.javac.launcher.Main Main.java");

    assertThat(problem)
        .hasValueSatisfying(
            p -> assertThat(p).contains("single-file source launcher").contains("javac"));
  }

  @Test
  void givenSpringBootFatJar_whenProblem_thenNamesItAndSaysJavaCp() {
    Optional<String> problem =
        ForeignLauncher.problem(
            "main",
            "main",
            "org.springframework.boot.loader.launch.LaunchedClassLoader",
            "app.jar");

    assertThat(problem)
        .hasValueSatisfying(
            p -> assertThat(p).contains("Spring Boot fat jar").contains("java -cp"));
  }

  @Test
  void givenAnotherThread_whenProblem_thenNamesTheThread() {
    assertThat(ForeignLauncher.problem("worker-1", "main", null, JAVA_CP))
        .hasValueSatisfying(
            p -> assertThat(p).contains("\"worker-1\"").contains("not on the JVM's main thread"));
  }

  @Test
  void givenAThreadNamedMainInAnotherGroup_whenProblem_thenNotTheMainThread() {
    assertThat(ForeignLauncher.problem("main", "plugins", null, JAVA_CP)).isPresent();
  }

  @Test
  void givenUnknownForeignLoader_whenProblem_thenNamesTheLoader() {
    assertThat(ForeignLauncher.problem("main", "main", "com.example.PluginLoader", JAVA_CP))
        .hasValueSatisfying(p -> assertThat(p).contains("com.example.PluginLoader"));
  }

  @Test
  void givenTheSystemLoaderOrItsParents_whenRebuildable_thenTrue() {
    ClassLoader system = ClassLoader.getSystemClassLoader();

    assertThat(ForeignLauncher.rebuildable(system, system)).isTrue();
    assertThat(ForeignLauncher.rebuildable(system.getParent(), system)).isTrue();
    assertThat(ForeignLauncher.rebuildable(null, system)).isTrue();
  }

  @Test
  void givenALoaderMadeAtRunTime_whenRebuildable_thenFalse() throws Exception {
    ClassLoader system = ClassLoader.getSystemClassLoader();
    try (URLClassLoader child = new URLClassLoader(new URL[0], system)) {
      assertThat(ForeignLauncher.rebuildable(child, system)).isFalse();
    }
  }
}
