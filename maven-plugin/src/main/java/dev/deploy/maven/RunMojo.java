package dev.deploy.maven;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.maven.artifact.DependencyResolutionRequiredException;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Execute;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.plugins.annotations.ResolutionScope;
import org.apache.maven.project.MavenProject;

/**
 * {@code mvn deployrun:run -Ddeploy.mainClass=com.example.Main}: compiles the project and runs its
 * main with its runtime class path in a new JVM, as {@code java -cp <classes and dependencies>
 * <main> <args>} would, so {@code init} starts the program's processes from that same command. The
 * program's output streams to Maven's; its exit code other than 0 fails the build, naming it.
 *
 * <p>Maven runs a mojo on one thread.
 */
@Mojo(
    name = "run",
    requiresDependencyResolution = ResolutionScope.RUNTIME,
    requiresProject = true,
    threadSafe = true)
@Execute(phase = LifecyclePhase.COMPILE)
public final class RunMojo extends AbstractMojo {
  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  MavenProject project;

  /** The class whose main to run. */
  @Parameter(property = "deploy.mainClass", required = true)
  String mainClass;

  /** The program's arguments, split as a shell splits words and quotes. */
  @Parameter(property = "deploy.args")
  String args;

  /** Options for the program's JVM (and so for every process it spawns), split like args. */
  @Parameter(property = "deploy.jvmArgs")
  String jvmArgs;

  /** Environment variables for the program, on top of Maven's. */
  @Parameter Map<String, String> environment = Map.of();

  /** Where the program runs. */
  @Parameter(property = "deploy.workingDirectory", defaultValue = "${project.basedir}")
  File workingDirectory;

  /** Skips the goal. */
  @Parameter(property = "deploy.skip", defaultValue = "false")
  boolean skip;

  @Override
  public void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("deploy.skip is set: not running " + mainClass);
      return;
    }
    List<String> command = new ArrayList<>();
    command.add(JavaFork.java());
    command.addAll(words("deploy.jvmArgs", jvmArgs));
    command.add("-cp");
    command.add(String.join(File.pathSeparator, classPath()));
    command.add(mainClass);
    command.addAll(words("deploy.args", args));
    JavaFork fork = new JavaFork(mainClass, command, workingDirectory, environment);
    getLog().debug("deploy: " + String.join(" ", command));
    fork.run();
  }

  private List<String> classPath() throws MojoExecutionException {
    try {
      return project.getRuntimeClasspathElements();
    } catch (DependencyResolutionRequiredException e) {
      throw new MojoExecutionException("the runtime class path is not resolved: " + e, e);
    }
  }

  static List<String> words(String property, String line) throws MojoExecutionException {
    try {
      return ArgumentLine.split(line);
    } catch (IllegalArgumentException e) {
      throw new MojoExecutionException(property + ": " + e.getMessage(), e);
    }
  }
}
