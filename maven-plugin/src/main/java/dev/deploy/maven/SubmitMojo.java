package dev.deploy.maven;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.maven.artifact.Artifact;
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
 * {@code mvn deployrun:submit -Ddeploy.bridge=host:port -Ddeploy.mainClass=com.example.Main}:
 * packages the project and runs it on a cluster with the {@code deploy} command in a new JVM: sends
 * the jars of its runtime class path (the project's own, and each dependency but the deploy
 * runtime, which the cluster brings) to the bridge, with progress on a terminal, and prints what
 * the program's processes do. The bridge defaults to {@code $DEPLOY_BRIDGE}; the program's exit
 * code other than 0 fails the build, naming it.
 *
 * <p>Maven runs a mojo on one thread.
 */
@Mojo(
    name = "submit",
    requiresDependencyResolution = ResolutionScope.RUNTIME,
    requiresProject = true,
    threadSafe = true)
@Execute(phase = LifecyclePhase.PACKAGE)
public final class SubmitMojo extends AbstractMojo {
  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  MavenProject project;

  /** The project as the forked {@code package} left it: with its jar. */
  @Parameter(defaultValue = "${executedProject}", readonly = true)
  MavenProject packaged;

  /** This plugin's dependencies: the class path of the {@code deploy} command. */
  @Parameter(defaultValue = "${plugin.artifacts}", readonly = true, required = true)
  List<Artifact> pluginArtifacts;

  /** Where the cluster's bridge listens, host:port (default: $DEPLOY_BRIDGE). */
  @Parameter(property = "deploy.bridge")
  String bridge;

  /** The class whose main to run (default: the project jar's Main-Class). */
  @Parameter(property = "deploy.mainClass")
  String mainClass;

  /** The program's arguments, split as a shell splits words and quotes. */
  @Parameter(property = "deploy.args")
  String args;

  /** JVM options for every process of the program, split like args. */
  @Parameter(property = "deploy.jvmArgs")
  String jvmArgs;

  /** The cluster key file (default: $DEPLOY_KEY_FILE; on loopback, your own key). */
  @Parameter(property = "deploy.keyFile")
  File keyFile;

  /** Output format, human or json (default: $DEPLOY_FORMAT, else human). */
  @Parameter(property = "deploy.format")
  String format;

  /** Skips the goal. */
  @Parameter(property = "deploy.skip", defaultValue = "false")
  boolean skip;

  @Override
  public void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("deploy.skip is set: not submitting");
      return;
    }
    String address = bridge != null ? bridge : System.getenv("DEPLOY_BRIDGE");
    if (address == null || address.isBlank()) {
      throw new MojoExecutionException(
          "give the bridge's address with -Ddeploy.bridge=host:port or in DEPLOY_BRIDGE");
    }
    File jar = (packaged != null ? packaged : project).getArtifact().getFile();
    if (jar == null || !jar.isFile()) {
      throw new MojoExecutionException(
          "the project has no jar to send (packaging " + project.getPackaging() + ")");
    }
    List<String> command = new ArrayList<>();
    command.add(JavaFork.java());
    command.add("-cp");
    command.add(String.join(File.pathSeparator, cliClassPath()));
    command.add("dev.deploy.cli.Main");
    command.add("deploy");
    if (keyFile != null) {
      command.add("--key-file=" + keyFile);
    }
    if (format != null) {
      command.add("--format=" + format);
    }
    for (String option : RunMojo.words("deploy.jvmArgs", jvmArgs)) {
      command.add("--jvm-option=" + option);
    }
    command.add(address);
    command.add(String.join(File.pathSeparator, programClassPath(jar)));
    if (mainClass != null) {
      command.add(mainClass);
    }
    command.add("--");
    command.addAll(RunMojo.words("deploy.args", args));
    getLog().debug("deploy: " + String.join(" ", command));
    new JavaFork("the program", command, project.getBasedir(), Map.of()).run();
  }

  private List<String> cliClassPath() {
    List<String> path = new ArrayList<>();
    for (Artifact a : pluginArtifacts) {
      if (a.getFile() != null) {
        path.add(a.getFile().getPath());
      }
    }
    return path;
  }

  /**
   * The project's jar first (its Main-Class is the default main), then its runtime dependencies.
   */
  private List<String> programClassPath(File jar) {
    List<String> path = new ArrayList<>();
    path.add(jar.getPath());
    for (Artifact a : project.getArtifacts()) {
      boolean runtime = "dev.deploy".equals(a.getGroupId()) && "deploy".equals(a.getArtifactId());
      if (!runtime && a.getArtifactHandler().isAddedToClasspath() && a.getFile() != null) {
        path.add(a.getFile().getPath());
      }
    }
    return path;
  }
}
