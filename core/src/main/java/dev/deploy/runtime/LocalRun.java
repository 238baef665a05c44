package dev.deploy.runtime;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.Bridge;
import dev.deploy.bridge.EventFormat;
import dev.deploy.bridge.Formats;
import dev.deploy.fabric.Fabric;
import dev.deploy.fabric.Program;
import dev.deploy.logging.StartTrace;
import dev.deploy.master.LaunchOrder;
import dev.deploy.master.Master;
import dev.deploy.master.Node;
import dev.deploy.process.CgroupLimits;
import dev.deploy.process.JvmCommand;
import dev.deploy.process.ProcessFence;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.FrameProtection;
import dev.deploy.ui.LiveView;
import dev.deploy.util.Futures;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A run on this machine: the JVM the user started becomes the bridge, the master and a fabric whose
 * capacity is this machine, and starts the program's {@code main} again as the first process. Exits
 * with the run's exit code once every process has exited; Ctrl-C or any other end of this JVM kills
 * every process of the run.
 */
final class LocalRun {
  private LocalRun() {}

  /** Never returns. */
  static void run(Resources resources) {
    int code;
    try {
      code = runAndWait(resources);
    } catch (LocalRunException e) {
      System.err.println("deploy: " + e.getMessage());
      code = e.code;
    }
    StartTrace.mark("run: exit");
    System.exit(code);
  }

  /** A run that cannot start; the message is one sentence for the user. */
  static final class LocalRunException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int code;

    LocalRunException(String message, int code) {
      super(message);
      this.code = code;
    }
  }

  private static int runAndWait(Resources resources) {
    StartTrace.mark("run: init");
    EventFormat format = format(System.getenv("DEPLOY_FORMAT"));
    String capacityOverride = System.getenv("DEPLOY_CAPACITY");
    Resources capacityGiven = capacityOverride == null ? null : capacity(capacityOverride);
    boolean cgroups = cgroups(System.getenv(CGROUPS));
    // Needed only when the first process is launched, and tens of milliseconds each: finding the
    // fence's tools, whether this machine lets us make cgroups, and (for the master) the machine's
    // memory (the JDK's management classes). Looked up beside the rest of the start (key, port,
    // bridge), not before it.
    CompletableFuture<Resources> machine = new CompletableFuture<>();
    Thread lookups =
        new Thread(
            () -> {
              StartTrace.mark("run: lookups");
              try {
                ProcessFence.shared();
                StartTrace.mark("run: fence found");
                if (cgroups) {
                  CgroupLimits.detect(false); // what limitWithCgroups(false) asks below
                  StartTrace.mark("run: cgroups detected");
                }
              } finally {
                try {
                  machine.complete(capacityGiven != null ? capacityGiven : capacity(null));
                } catch (RuntimeException | Error e) {
                  machine.completeExceptionally(e);
                }
              }
            },
            "deploy-start-lookups");
    lookups.setDaemon(true);
    lookups.start();
    try {
      FrameProtection.configured();
    } catch (IllegalArgumentException e) {
      throw new LocalRunException(FrameProtection.VARIABLE + ": " + e.getMessage(), 2);
    }
    try {
      dev.deploy.io.SilenceLimit.current(); // the run's, which the fabric hands every process
    } catch (IllegalArgumentException e) {
      throw new LocalRunException(e.getMessage(), 2);
    }
    StartTrace.mark("run: protection");
    JvmCommand command;
    try {
      command = JvmCommand.current();
    } catch (IllegalStateException e) {
      throw new LocalRunException(e.getMessage(), 1);
    }
    StartTrace.mark("run: command");
    LiveView live = liveView(System.getenv("DEPLOY_UI"));
    String program = System.getProperty("sun.java.command", "main").split(" ", 2)[0];
    Bridge bridge = new Bridge(live.watch(0, program, format));
    StartTrace.mark("run: bridge");
    ClusterKey key = ClusterKey.generate();
    StartTrace.mark("run: key");
    Fabric fabric;
    try {
      fabric = new Fabric(key, InetAddress.getLoopbackAddress());
      StartTrace.mark("run: fabric");
      fabric.addProgram(new Program(0, command, bridge, true));
      StartTrace.mark("run: program");
      if (cgroups) {
        StartTrace.mark("run: cgroups");
        // Never moves this JVM (the user's): where cgroup v2 would need it, the reason is printed.
        fabric.limitWithCgroups(false).ifPresent(why -> System.err.println(withoutCgroups(why)));
      }
    } catch (IOException e) {
      throw new LocalRunException("cannot open a port on the loopback interface: " + e, 1);
    } catch (IllegalArgumentException e) {
      throw new LocalRunException(e.getMessage(), 2);
    }
    StartTrace.mark("run: fabric up");
    Resources capacity = machine.join();
    StartTrace.mark("run: capacity");
    Master master = new Master(List.of(new Node("local", capacity, fabric)));
    master.track(0, bridge); // spawns in flight and the master's word on those that wait
    fabric.setMaster(master);
    try {
      live.serve(master, fabric, key, System.err);
    } catch (IOException e) {
      throw new LocalRunException("DEPLOY_UI: " + e.getMessage(), 1);
    }
    StartTrace.mark("run: master and bridge up");
    bridge.done().thenAccept(code -> live.finished(0, code));
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  StartTrace.mark("run: shutdown hook");
                  master.close();
                  fabric.close();
                  // Each killed process's exit is reported once its pipes and control
                  // connection end: wait for those events so the output is complete.
                  bridge.awaitQuiet(2000);
                  StartTrace.mark("run: quiet");
                  bridge.flush();
                  // Every process has ended: the reaper has nothing left to do, and the JDK's
                  // thread waiting for it in native code would hold the JVM's exit 300 ms.
                  ProcessFence.shared().endReaper(REAPER_WAIT_MILLIS);
                  StartTrace.mark("run: reaper ended");
                },
                "deploy-bridge-shutdown"));

    CompletableFuture<Optional<Pid>> first =
        master.spawn(new LaunchOrder(null, resources, null), false);
    CompletableFuture<Integer> failed =
        first.handle(
            (pid, error) -> {
              StartTrace.mark("run: main registered");
              if (error != null) {
                Throwable cause = Futures.unwrap(error);
                throw new LocalRunException(
                    "the program could not start: " + cause.getMessage(), 1);
              }
              if (pid.isEmpty()) {
                throw new LocalRunException(
                    "init("
                        + resources
                        + ") asks for more than this machine has ("
                        + capacity
                        + ")",
                    1);
              }
              return null;
            });
    try {
      return (Integer)
          CompletableFuture.anyOf(
                  bridge.done(), failed.thenCompose(ignored -> new CompletableFuture<Integer>()))
              .join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof LocalRunException l) {
        throw l;
      }
      throw e;
    } finally {
      StartTrace.markThreads("run: done");
      bridge.flush();
    }
  }

  /** How long the run's last shutdown hook waits for the reaper process to be gone. */
  static final long REAPER_WAIT_MILLIS = 500;

  /** The variable that turns per-process cgroups off ({@code 0}); on by default. */
  static final String CGROUPS = "DEPLOY_CGROUPS";

  /**
   * Returns whether a local run gives each process a cgroup of its own (where the machine lets it):
   * {@code DEPLOY_CGROUPS} unset, empty or {@code 1}; {@code 0} turns them off.
   *
   * @throws LocalRunException (code 2) for any other value
   */
  static boolean cgroups(String setting) {
    if (setting == null || setting.isBlank() || setting.trim().equals("1")) {
      return true;
    }
    if (setting.trim().equals("0")) {
      return false;
    }
    throw new LocalRunException(
        CGROUPS + " must be 0 (no cgroups) or 1 (the default), not \"" + setting + "\"", 2);
  }

  /**
   * Returns the one line a run prints on its stderr when it cannot give processes cgroups: {@code
   * why} on one line, and how to silence it.
   */
  static String withoutCgroups(String why) {
    return "deploy: processes run without cgroups (memory is limited by JVM flags only): "
        + why.replaceAll("\\s*\\R\\s*", " ").strip()
        + " ("
        + CGROUPS
        + "=0 turns cgroups off)";
  }

  /** The live view DEPLOY_UI asks for; off when unset. */
  static LiveView liveView(String setting) {
    try {
      return LiveView.parse(setting);
    } catch (IllegalArgumentException e) {
      throw new LocalRunException("DEPLOY_UI: " + e.getMessage(), 2);
    }
  }

  static EventFormat format(String name) {
    try {
      return Formats.forName(name);
    } catch (IllegalArgumentException e) {
      throw new LocalRunException("DEPLOY_FORMAT must be human or json, not \"" + name + "\"", 2);
    }
  }

  /** This machine's memory and cores, or DEPLOY_CAPACITY ("8GiB 2") when set. */
  static Resources capacity(String override) {
    if (override != null) {
      String[] parts = override.trim().split("\\s+");
      if (parts.length != 2) {
        throw new LocalRunException(
            "DEPLOY_CAPACITY must be memory and cpu, like \"8GiB 2\", not \"" + override + "\"", 2);
      }
      try {
        return Resources.parse(parts[0], parts[1]);
      } catch (IllegalArgumentException e) {
        throw new LocalRunException("DEPLOY_CAPACITY: " + e.getMessage(), 2);
      }
    }
    long memory =
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getTotalMemorySize();
    return new Resources(memory, Runtime.getRuntime().availableProcessors());
  }
}
