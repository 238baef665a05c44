package dev.deploy.cli;

import dev.deploy.Resources;
import dev.deploy.fabric.Fabric;
import dev.deploy.io.SilenceLimit;
import dev.deploy.master.Advertised;
import dev.deploy.process.CgroupLimits;
import dev.deploy.program.JarCache;
import dev.deploy.program.JarLimits;
import dev.deploy.util.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/** The options {@code fabric} and {@code fabric master} share, and what they turn into. */
final class DaemonOptions {
  @Option(
      names = "--key-file",
      paramLabel = "<file>",
      description = "The cluster key (default: $DEPLOY_KEY_FILE; on loopback, your own key).")
  Path keyFile;

  @Option(
      names = "--cache",
      paramLabel = "<dir>",
      description = "Where jars are kept (default: ~/.cache/deploy/jars).")
  Path cache;

  @Option(names = "--verbose", description = "Log more, and print stack traces of errors.")
  boolean verbose;

  @Option(
      names = "--no-cgroups",
      description =
          "Do not put each process in a cgroup of its own (memory limit, cpu quota); enforce"
              + " with JVM flags only. Without it, a daemon bound to an address other than"
              + " loopback refuses to start where it cannot make cgroups.")
  boolean noCgroups;

  /**
   * Decides whether {@code who} may start: with {@code --no-cgroups} it says once, loudly, that
   * processes are not memory-confined; off loopback, without it, the machine must let it make
   * cgroups, else it refuses with the reason. On loopback cgroups stay best effort (the daemon
   * warns itself when there are none).
   *
   * @throws CommandException (exit 1) when cgroups are required and cannot be made
   */
  void requireCgroups(boolean loopback, String who) throws CommandException {
    requireCgroups(
        loopback,
        who,
        () ->
            CgroupLimits.detect().isPresent()
                ? Optional.empty()
                : Optional.of(CgroupLimits.unavailableReason()));
  }

  /** {@link #requireCgroups(boolean, String)} with {@code whyNot} saying why there are none. */
  void requireCgroups(boolean loopback, String who, Supplier<Optional<String>> whyNot)
      throws CommandException {
    if (noCgroups) {
      LoggerFactory.getLogger(DaemonOptions.class)
          .warn(
              "{}: --no-cgroups: processes are NOT memory-confined (JVM flags only, no cgroup);"
                  + " a process can take the machine's memory",
              who);
      return;
    }
    if (loopback) {
      return;
    }
    Optional<String> why = whyNot.get();
    if (why.isPresent()) {
      throw new CommandException(
          who
              + " is bound to an address other than loopback and cannot confine its processes"
              + " in cgroups: "
              + why.get()
              + "; run it where it may make cgroups (e.g. systemd-run --scope -p Delegate=yes),"
              + " or pass --no-cgroups to run processes without memory confinement");
    }
  }

  @Option(
      names = "--cache-limit",
      paramLabel = "<size>",
      description =
          "How much the jar cache may hold; jars unused the longest are removed past it, every 10"
              + " minutes, never those of a running program (default: 10GiB).")
  String cacheLimit = "10GiB";

  @Option(
      names = "--advertise",
      paramLabel = "<addr>",
      description =
          "The address other machines dial to reach this one, which its processes' pids carry:"
              + " host, host:port, an IP address or [ipv6]:port (without a port, the bound one)."
              + " Required when <bind-addr> is a wildcard such as 0.0.0.0 or [::]"
              + " (default: <bind-addr>).")
  String advertise;

  @Option(
      names = "--max-jar-size",
      paramLabel = "<size>",
      description =
          "The largest jar a deploy may send; a larger one is refused before a byte is stored"
              + " (default: 512MiB).")
  String maxJarSize = "512MiB";

  @Option(
      names = "--max-program-size",
      paramLabel = "<size>",
      description = "The most a deploy's jars may take together (default: 2GiB).")
  String maxProgramSize = "2GiB";

  @Option(
      names = "--warm",
      paramLabel = "<n>",
      description =
          "JVMs kept started and waiting per program and resources, so a spawn costs a message"
              + " (default: $DEPLOY_WARM, else 2; 0 turns the pool off).")
  Integer warm;

  @Option(
      names = "--silence-limit",
      paramLabel = "<duration>",
      description =
          "How long a connection may receive nothing before its peer counts as gone (its"
              + " processes lost), from 1s to 10m, like 20s or 1500ms; a deployment's processes"
              + " take the master's. Shorter finds a dead machine sooner and takes a live one"
              + " behind packet loss or a long pause for dead more often (default:"
              + " $DEPLOY_SILENCE_LIMIT, else 10s).")
  String silenceLimit;

  /**
   * Makes {@code --silence-limit}, else {@code DEPLOY_SILENCE_LIMIT}, this daemon's silence limit;
   * call before any connection opens.
   *
   * @throws CommandException (code 2) naming the option or variable and the bad value
   */
  void applySilenceLimit() throws CommandException {
    try {
      SilenceLimit.set(
          silenceLimit != null
              ? SilenceLimit.parse("--silence-limit", silenceLimit)
              : SilenceLimit.fromEnvironment(System.getenv(SilenceLimit.VARIABLE)));
    } catch (IllegalArgumentException e) {
      throw new CommandException(e.getMessage(), 2);
    }
  }

  /** The pool size from {@code --warm}, else {@code DEPLOY_WARM}, else the default. */
  int warmSize() throws CommandException {
    Integer option = warm;
    try {
      return Fabric.warmSize(option != null ? option.toString() : System.getenv("DEPLOY_WARM"));
    } catch (IllegalArgumentException e) {
      throw new CommandException(
          (option != null ? "--warm" : "DEPLOY_WARM")
              + ": "
              + e.getMessage().replace("DEPLOY_WARM must be", "must be"),
          2);
    }
  }

  /** Parses {@code --advertise}: empty when not given; a port of 0 when it names none. */
  Optional<HostPort> advertise() throws CommandException {
    if (advertise == null) {
      return Optional.empty();
    }
    try {
      HostPort parsed = HostPort.parseHostAndOptionalPort(advertise);
      if (HostPort.isWildcard(parsed.host())) {
        throw new CommandException(
            "--advertise "
                + advertise
                + " is a wildcard, which names no machine; give the address other machines dial"
                + " to reach this one",
            2);
      }
      return Optional.of(parsed);
    } catch (IllegalArgumentException e) {
      throw new CommandException("--advertise: " + e.getMessage(), 2);
    }
  }

  /**
   * Refuses to bind {@code bind}, named {@code what} in the message, when it is a wildcard and
   * {@code --advertise} is not given: nobody could dial what this machine would advertise.
   */
  void requireAdvertisable(String what, InetSocketAddress bind) throws CommandException {
    Optional<HostPort> a = advertise();
    try {
      Advertised.of(what, bind, a.map(HostPort::host).orElse(null), 0);
    } catch (IllegalArgumentException e) {
      throw new CommandException(e.getMessage(), 2);
    }
  }

  /** Parses {@code --cache-limit}. */
  long cacheLimitBytes() throws CommandException {
    try {
      return Resources.parseMemory(cacheLimit);
    } catch (IllegalArgumentException e) {
      throw new CommandException("--cache-limit: " + e.getMessage(), 2);
    }
  }

  /** Parses {@code --max-jar-size} and {@code --max-program-size}. */
  JarLimits jarLimits() throws CommandException {
    long jar = size("--max-jar-size", maxJarSize);
    long program = size("--max-program-size", maxProgramSize);
    return new JarLimits(jar, program);
  }

  static long size(String option, String text) throws CommandException {
    long bytes;
    try {
      bytes = Resources.parseMemory(text);
    } catch (IllegalArgumentException e) {
      throw new CommandException(option + ": " + e.getMessage().replace("memory \"", "\""), 2);
    }
    if (bytes < 1) {
      throw new CommandException(option + ": must be at least 1 byte, not \"" + text + "\"", 2);
    }
    return bytes;
  }

  /** Opens the jar cache of {@code --cache}, else the default directory, with the size limits. */
  JarCache jarCache() throws CommandException {
    JarLimits limits = jarLimits();
    try {
      return new JarCache(cache != null ? cache : JarCache.defaultDirectory(), limits);
    } catch (IOException e) {
      throw new CommandException(e.getMessage());
    }
  }

  /**
   * Blocks until SIGINT or SIGTERM (then closes {@code daemon}, which kills its processes, and the
   * JVM exits), or until {@code givenUp} completes: returns its sentence then, the daemon closed.
   */
  static String runUntilSignalOr(
      AutoCloseable daemon, java.util.concurrent.CompletableFuture<String> givenUp) {
    Thread hook =
        new Thread(
            () -> {
              try {
                daemon.close();
              } catch (Exception ignored) {
                // Stopping anyway.
              }
            },
            "deploy-daemon-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      String why = givenUp.get();
      daemon.close();
      return why;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    } catch (Exception e) {
      return String.valueOf(e.getMessage());
    }
  }

  /** Blocks until SIGINT or SIGTERM; then closes {@code daemon}, which kills its processes. */
  static void runUntilSignal(AutoCloseable daemon) {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    daemon.close();
                  } catch (Exception ignored) {
                    // Stopping anyway.
                  }
                },
                "deploy-daemon-stop"));
    try {
      new CountDownLatch(1).await(); // until the JVM exits by a signal
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
