package dev.deploy.fabric;

import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.bridge.EventSink;
import dev.deploy.bridge.ExitStatus;
import dev.deploy.io.ShmFile;
import dev.deploy.io.SilenceLimit;
import dev.deploy.logging.StartTrace;
import dev.deploy.master.Advertised;
import dev.deploy.master.LaunchException;
import dev.deploy.master.LaunchOrder;
import dev.deploy.master.Launched;
import dev.deploy.master.Launcher;
import dev.deploy.master.Scheduler;
import dev.deploy.process.CdsArchive;
import dev.deploy.process.CgroupGroup;
import dev.deploy.process.CgroupLimits;
import dev.deploy.process.Env;
import dev.deploy.process.JvmCommand;
import dev.deploy.process.ProcessFence;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.HandshakeAcceptor;
import dev.deploy.security.Nonces;
import dev.deploy.util.BoundedHistory;
import dev.deploy.util.DaemonThreads;
import dev.deploy.util.Futures;
import dev.deploy.util.HostPort;
import dev.deploy.wire.Control;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A machine's launcher and the monitor of every process it starts: starts JVMs with the program's
 * command line and a process's resources, captures their output through pipes, waits for their
 * exit, and serves their control connections (registration, spawn requests, exit notices). Spawn
 * requests go to the master ({@link Scheduler}).
 *
 * <p>Threads: one running the handshakes of control connections ({@link HandshakeAcceptor}), one
 * per authenticated control connection, two pumps per process, and a small pool for launches, exits
 * and timers. Thread safe.
 */
public final class Fabric implements Launcher, AutoCloseable {
  private static final org.slf4j.Logger log = dev.deploy.logging.Loggers.get(Fabric.class);

  /** Seconds a new JVM has to reach init() and register. */
  static final long REGISTRATION_TIMEOUT_SECONDS = 60;

  private final ClusterKey key;

  /** Starts and kills every process of this fabric: own session and group, parent-death signal. */
  private final ProcessFence fence = ProcessFence.shared();

  /** The programs this fabric runs processes of, by id. */
  private final Map<Long, ProgramState> programs = new ConcurrentHashMap<>();

  /** A program and its class-sharing archive. */
  private static final class ProgramState {
    final Program program;

    /** The class-sharing archive its JVMs use once it is made, or empty. */
    final Optional<CdsArchive> cds;

    /** Set when the archive's training has been started. */
    final java.util.concurrent.atomic.AtomicBoolean training =
        new java.util.concurrent.atomic.AtomicBoolean();

    /** Closed while the program's bridge holds more output than it can pass on. */
    final OutputGate gate;

    ProgramState(Program program, Optional<CdsArchive> cds, OutputGate gate) {
      this.program = program;
      this.cds = cds;
      this.gate = gate;
    }
  }

  private final ServerSocket server;

  /** Where the control port and every process's listening port are bound; maybe a wildcard. */
  private final InetAddress bind;

  /** The host processes dial and their pids carry; never a wildcard. */
  private final String advertise;

  /** What paused programs may hold of their exited processes' output, over all programs. */
  private final OutputBudget heldOutput = new OutputBudget();

  /** Runs the control port's handshakes without a thread each; starts a session per process. */
  private final HandshakeAcceptor acceptor;

  /** Launches not yet ended, by launch id. */
  private final Map<Long, Launch> launches = new ConcurrentHashMap<>();

  private final ExecutorService threads =
      Executors.newCachedThreadPool(DaemonThreads.numbered("deploy-fabric"));
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.numbered("deploy-fabric-timer"));

  /** Registered processes not yet ended, by pid. */
  private final Map<Pid, Launch> running = new ConcurrentHashMap<>();

  /** How ended processes ended, by pid; the oldest are forgotten past {@link #ENDED_LIMIT}. */
  private final Map<Pid, ExitStatus> ended =
      java.util.Collections.synchronizedMap(new BoundedHistory<>(ENDED_LIMIT));

  static final int ENDED_LIMIT = 100_000;

  /**
   * Launches whose process ended lately, by id: a Hello the process wrote just before it was killed
   * may still be read after its end, which is no misbehaviour. The oldest are forgotten.
   */
  private final Map<Long, Boolean> endedLaunches =
      java.util.Collections.synchronizedMap(new BoundedHistory<>(10_000));

  /**
   * The remotes each exiting process left values unacknowledged (or never reached), by its pid,
   * from its exit notice; only processes that named some. A clean exit is a death to those remotes
   * (docs/channels.md). The oldest are forgotten past {@link #ENDED_LIMIT}.
   */
  private final Map<Pid, Set<Pid>> unfinished =
      java.util.Collections.synchronizedMap(new BoundedHistory<>(ENDED_LIMIT));

  /** How long a pool JVM may wait for a spawn before it is stopped. */
  static final long WARM_IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);

  /** JVMs that wait inside init for a spawn of their resources. */
  private final WarmPool pool;

  /** Where spawn requests go; set once before the first launch. */
  private volatile Scheduler master;

  private volatile boolean closed;

  /**
   * Starts a fabric whose control port is bound to {@code bind} (port chosen by the system), which
   * must not be a wildcard: it is also the address its processes' pids carry.
   *
   * @throws IOException when the port cannot be bound
   */
  public Fabric(ClusterKey key, InetAddress bind) throws IOException {
    this(key, bind, warmSize(System.getenv("DEPLOY_WARM")));
  }

  /**
   * Starts a fabric that keeps {@code warm} JVMs per program and resources (0: no pool), bound to
   * and advertising {@code bind}.
   *
   * @throws IOException when the port cannot be bound
   * @throws IllegalArgumentException when {@code bind} is a wildcard
   */
  public Fabric(ClusterKey key, InetAddress bind, int warm) throws IOException {
    this(key, bind, bind.getHostAddress(), warm);
  }

  /**
   * Starts a fabric whose control port, and every process's listening port, is bound to {@code
   * bind} (maybe a wildcard), while processes dial the control port at, and their pids carry,
   * {@code advertise}: this machine's address as others reach it (an IP address or a host name,
   * looked up by each process at its start).
   *
   * @throws IOException when the port cannot be bound
   * @throws IllegalArgumentException when {@code advertise} is a wildcard
   */
  public Fabric(ClusterKey key, InetAddress bind, String advertise, int warm) throws IOException {
    this(key, bind, advertise, warm, ProcessFence.shared()::start);
  }

  /** Starts a launch's JVM: the {@link ProcessFence}, or a fake in tests. */
  interface Starter {
    /** Starts {@code builder}'s command; see {@link ProcessFence#start}. */
    Process start(ProcessBuilder builder) throws IOException;
  }

  /** As the public constructor, starting JVMs with {@code starter}; for tests. */
  Fabric(ClusterKey key, InetAddress bind, String advertise, int warm, Starter starter)
      throws IOException {
    this.starter = starter;
    if (HostPort.isWildcard(advertise)) {
      throw new IllegalArgumentException(
          "a fabric bound to "
              + bind.getHostAddress()
              + " cannot give its processes the wildcard "
              + advertise
              + " as their address; "
              + Advertised.HINT);
    }
    this.key = key;
    this.bind = bind;
    this.advertise = advertise;
    this.server = ServerSocketChannel.open().socket(); // a channel's, for the acceptor
    server.bind(new InetSocketAddress(bind, 0), 128);
    StartTrace.mark("fabric: bound");
    this.pool = new WarmPool(warm);
    timers.scheduleWithFixedDelay(this::shrinkIdle, 1, 1, TimeUnit.SECONDS);
    timers.execute(ShmFile::sweepStale); // what processes of fabrics gone before us left
    this.acceptor =
        HandshakeAcceptor.start(
            server.getChannel(),
            "the fabric's control port",
            "deploy-fabric-accept",
            socket -> ControlSession.handshake(this, key, socket),
            (socket, handshake) -> new ControlSession(this, socket, handshake).run(),
            DaemonThreads.numbered("deploy-control"));
    StartTrace.mark("fabric: accepting");
  }

  /** Starts the JVMs; the fence outside tests. */
  private final Starter starter;

  /** Per-process cgroups, once {@link #limitWithCgroups} found the machine lets us make them. */
  private volatile Optional<CgroupLimits> cgroups = Optional.empty();

  /**
   * Puts every process started from now on in a cgroup of its own with its memory as a hard limit
   * and its processor count as a cpu quota, where the machine lets this JVM make cgroups. Returns
   * empty when it does, else why not (the fabric then enforces with JVM flags only).
   */
  public Optional<String> limitWithCgroups() {
    return limitWithCgroups(true);
  }

  /**
   * As {@link #limitWithCgroups()}; {@code mayMoveThisJvm} false when this fabric lives in the JVM
   * the user started (a local run), which is never moved to another cgroup: where cgroup v2 would
   * require it, the answer is why not.
   */
  public Optional<String> limitWithCgroups(boolean mayMoveThisJvm) {
    Optional<CgroupLimits> found = CgroupLimits.detect(mayMoveThisJvm);
    if (found.isEmpty()) {
      return Optional.of(CgroupLimits.unavailableReason());
    }
    // Groups of fabrics gone before us: not in the way of the first launch (tens of ms).
    threads.execute(CgroupLimits::cleanStale);
    if (cgroups.isEmpty()) {
      timers.scheduleWithFixedDelay(
          this::killGroupsAfterOomKill, OOM_WATCH_MILLIS, OOM_WATCH_MILLIS, TimeUnit.MILLISECONDS);
    }
    cgroups = found;
    return Optional.empty();
  }

  /**
   * How often running processes' groups are checked for an OOM kill ({@link
   * #killGroupsAfterOomKill}).
   */
  static final long OOM_WATCH_MILLIS = 200;

  /**
   * Timer: kills, whole, every process whose group had a process killed by the kernel's OOM killer
   * (the group's {@code oom_kill} count), so a process whose subprocess went over their common
   * limit ends as killed by its memory limit, as cgroup v2's {@code memory.oom.group} does at once.
   * Needed on cgroup v1, where the OOM killer kills only the largest process of the group (often
   * that subprocess) and leaves the JVM running without it; harmless on v2. Kernels that count no
   * OOM kills (v1 before 4.13) are left alone: their reach of the limit is no proof of a kill.
   */
  private void killGroupsAfterOomKill() {
    for (Launch launch : launches.values()) {
      CgroupGroup group = launch.group();
      Process process = launch.process();
      if (group != null && process != null && process.isAlive() && group.oomKills() > 0) {
        log.info(
            "{}: the kernel killed a process of its cgroup for its memory limit; killing the rest",
            launch);
        launch.kill();
      }
    }
  }

  /** Sets the master that spawn requests go to. */
  public void setMaster(Scheduler master) {
    this.master = master;
  }

  /** Adds a program whose processes the master may now ask this fabric to start. */
  public void addProgram(Program program) {
    Optional<CdsArchive> cds =
        "0".equals(System.getenv("DEPLOY_CDS"))
            ? Optional.empty()
            : CdsArchive.forCommand(program.command(), JvmCommand.runtimeJar());
    programs.put(program.id(), new ProgramState(program, cds, new OutputGate(heldOutput)));
  }

  /**
   * Stops ({@code paused}) or restarts the reading of the output of every process of program {@code
   * id}: its bridge holds more than it can pass on. A process that keeps writing then waits on its
   * full pipe; one that exits has its pipes read into memory (bounded, see {@link OutputBudget}),
   * and its output, ends of output and exit are reported in order once reading restarts.
   */
  public void pauseOutput(long id, boolean paused) {
    ProgramState state = programs.get(id);
    if (state != null) {
      state.gate.set(!paused);
    }
  }

  /** Returns whether program {@code id} was added and not removed. */
  public boolean hasProgram(long id) {
    return programs.containsKey(id);
  }

  /**
   * Sends SIGTERM to every running process of program {@code id} ({@code deploy stop}); returns how
   * many it signalled. A launch still starting is left to the SIGKILL that may follow. The program
   * stays: its processes may handle the signal, and a {@link #removeProgram} kills what is left.
   */
  public int terminateProgram(long id) {
    int signalled = 0;
    for (Launch l : launches.values()) {
      // Running ones only: a warm JVM not handed out is no process of the program yet.
      Process p =
          l.order().program() == id && l.state() == Launch.State.RUNNING ? l.process() : null;
      if (p != null && p.isAlive()) {
        // The handle's SIGTERM: Process.destroy() would also close the pipes its pumps read, and
        // whatever the process says on its way out would be lost.
        p.toHandle().destroy();
        log.debug("SIGTERM to pid {} of program {}", p.pid(), id);
        signalled++;
      }
    }
    return signalled;
  }

  /**
   * Removes a program: kills every process of it, started or waiting in the pool, at once. Their
   * exits are still reported to its sink.
   */
  public void removeProgram(long id) {
    ProgramState state = programs.remove(id);
    if (state == null) {
      return;
    }
    state.gate.set(true); // killed processes' last output still drains
    state.cds.ifPresent(CdsArchive::cancel); // its training JVM goes with it
    List<Launch> stop = new ArrayList<>(pool.removeProgram(id));
    for (Launch l : stop) {
      releaseWarm(l);
    }
    for (Launch l : launches.values()) {
      if (l.order().program() == id && !stop.contains(l)) {
        stop.add(l);
      }
    }
    killAll(stop);
  }

  /**
   * Returns the address processes dial for their control connection: the advertised host (as given,
   * unresolved) and the control port.
   */
  public InetSocketAddress address() {
    return InetSocketAddress.createUnresolved(advertise, server.getLocalPort());
  }

  /**
   * Returns the {@code DEPLOY_*} variables that tell the process of launch {@code id} how to join:
   * its control address, where to bind its listening port and the host its pid carries.
   */
  Map<String, String> runtimeEnvironment(long id, long deployment) {
    return Map.of(
        Env.ROLE, "process",
        Env.FABRIC, Advertised.show(address()),
        Env.LAUNCH, Long.toHexString(id),
        Env.RUN_KEY, key.forDeployment(deployment).toHex(), // never the cluster key
        Env.DEPLOYMENT, Long.toHexString(deployment),
        Env.BIND, bind.getHostAddress(),
        Env.ADVERTISE, advertise);
  }

  /**
   * Returns the {@code DEPLOY_SILENCE_LIMIT} a process of a program whose environment is {@code
   * environment} gets, one for every process of a run: the program's (a cluster's master puts its
   * own there), else this JVM's (a local run's, from the user's environment).
   */
  static String silenceLimitFor(Map<String, String> environment) {
    return environment.getOrDefault(SilenceLimit.VARIABLE, SilenceLimit.current().setting());
  }

  Launch launchOf(long id) {
    return launches.get(id);
  }

  /**
   * Returns whether a Hello for launch {@code id} that is not waiting may just be late: the
   * launch's process ended lately, or this fabric is closing and kills everything.
   */
  boolean lateHello(long id) {
    return closed || endedLaunches.containsKey(id);
  }

  /** Spawns handed a warm JVM, and spawns (of tasks) that started a JVM of their own. */
  private final java.util.concurrent.atomic.LongAdder
      warmHits = new java.util.concurrent.atomic.LongAdder(),
      coldStarts = new java.util.concurrent.atomic.LongAdder();

  /** Returns how many spawns of a task this fabric gave a warm JVM (index 0) or a new one (1). */
  public long[] warmHitsAndMisses() {
    return new long[] {warmHits.sum(), coldStarts.sum()};
  }

  @Override
  public CompletableFuture<Launched> launch(LaunchOrder order) {
    if (!programs.containsKey(order.program())) {
      return CompletableFuture.failedFuture(
          new LaunchException("this machine does not run program " + order.program()));
    }
    StartTrace.mark("fabric: launch order");
    if (order.task() != null && pool.enabled()) {
      Launch warm;
      while ((warm = pool.take(order.program(), order.resources())) != null) {
        // The spawn's own reservation now covers this JVM: give back the pool's.
        releaseWarm(warm);
        if (warm.activate(order)) {
          if (StartTrace.on()) {
            StartTrace.mark("fabric: spawn takes pool " + warm.id);
          }
          warmHits.increment();
          refillAfterTake(order.program(), order.resources());
          return warm.launched;
        }
      }
      // None ready: one already starting is sooner than a new JVM, and does not slow the others
      // down as a new one would.
      Launch starting = pool.claimStarting(order);
      if (starting != null) {
        if (StartTrace.on()) {
          StartTrace.mark("fabric: spawn takes starting " + starting.id);
        }
        releaseWarm(starting);
        refill(order.program(), order.resources());
        return orColdStart(starting.launched, order);
      }
      // None starting either: the program spawns faster than the pool refills.
      pool.missed(order.program(), order.resources(), System.nanoTime());
    }
    CompletableFuture<Launched> cold = startLaunch(order, false);
    if (order.task() != null) {
      coldStarts.increment();
      // Refilled once this JVM has registered: pool JVMs started with it would share the cores
      // with it and make the spawn waiting for it slower. Not when it failed to start: pool JVMs
      // of the same command line would fail alike, and a program whose spawn failed often ends
      // at once (the e2e suite's ChildJvmCannotStart): their cgroups were then made while the
      // run's end removed their parent, a warning on the bridge's stderr (a race the timing of
      // 2026-12-08's start-up changes made frequent). The next spawn that registers refills.
      cold.whenComplete(
          (launched, error) -> {
            if (error == null) {
              refill(order.program(), order.resources());
            }
          });
    }
    return cold;
  }

  /**
   * Returns {@code claimed}'s outcome, or, when the pool JVM that was to run {@code order} ended
   * before registering, the outcome of a new JVM for it.
   */
  private CompletableFuture<Launched> orColdStart(
      CompletableFuture<Launched> claimed, LaunchOrder order) {
    CompletableFuture<Launched> result = new CompletableFuture<>();
    claimed.whenComplete(
        (launched, error) -> {
          if (error == null) {
            result.complete(launched);
            return;
          }
          startLaunch(order, false)
              .whenComplete(
                  (again, failed) -> {
                    if (failed == null) {
                      result.complete(again);
                    } else {
                      result.completeExceptionally(failed);
                    }
                  });
        });
    return result;
  }

  /**
   * How long after a spawn took a ready pool JVM its replacement starts, when another is still
   * ready for the next spawn: a JVM's start takes a core for 50-100 ms, and started at once it
   * shared the two cores with the taken JVM's first milliseconds (its task, its first connection).
   */
  static final long REFILL_DELAY_MILLIS = 40;

  /** Returns how long a refill waits when {@code stillReady} members of the shape are ready. */
  static long refillDelayMillis(int stillReady) {
    return stillReady == 0 ? 0 : REFILL_DELAY_MILLIS;
  }

  /**
   * Refills after a spawn took a ready member: at once when none of its shape is left ready (the
   * next spawn would wait), else after {@link #REFILL_DELAY_MILLIS}.
   */
  private void refillAfterTake(long program, Resources r) {
    long delay = refillDelayMillis(pool.waitingCount(program, r));
    if (delay == 0) {
      refill(program, r);
      return;
    }
    try {
      timers.schedule(() -> refill(program, r), delay, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Closed: nothing to refill.
    }
  }

  /**
   * Starts warm JVMs of {@code program} until the pool has its share for {@code r} or the machine
   * has no room. Runs on a pool thread: asking a remote master for room takes a round trip.
   */
  private void refill(long program, Resources r) {
    Scheduler m = master;
    if (m == null || closed || !pool.enabled()) {
      return;
    }
    threads.execute(
        () -> {
          if (coldStarting(program)) {
            return; // refilled when the last of them registers
          }
          for (int i = pool.missing(program, r);
              i > 0 && programs.containsKey(program) && m.reserveWarm(this, r);
              i--) {
            startLaunch(new LaunchOrder(program, null, r, null), true);
          }
        });
  }

  /**
   * Whether a JVM of {@code program} that is not the pool's is still starting. The pool starts
   * nothing then: a burst of spawns that found it empty (50 {@code spawnAsync} at once) started
   * their own JVMs, and pool JVMs started beside them (six in that run) only slowed them down and
   * were stopped unused at the run's end. Each such JVM refills as it registers, so the last one
   * does.
   */
  boolean coldStarting(long program) {
    for (Launch l : launches.values()) {
      if (!l.warm && l.state() == Launch.State.STARTING && l.order().program() == program) {
        return true;
      }
    }
    return false;
  }

  private void releaseWarm(Launch launch) {
    releaseWarmOf(launch.order().resources());
  }

  private void releaseWarmOf(Resources r) {
    Scheduler m = master;
    if (m != null) {
      m.releaseWarm(this, r);
    }
  }

  /** Stops every pool JVM; the master has taken their room back already. */
  @Override
  public void dropWarm() {
    killAll(pool.removeAll(0, false));
  }

  /**
   * Timer: stops pool JVMs over their shape's target (it shrinks while spawns find JVMs ready) and
   * those nobody took for {@link #WARM_IDLE_NANOS}.
   */
  private void shrinkIdle() {
    long now = System.nanoTime();
    List<Launch> stop = new ArrayList<>(pool.removeSurplus(now));
    stop.addAll(pool.removeAll(now - WARM_IDLE_NANOS, true));
    for (Launch l : stop) {
      releaseWarm(l);
    }
    killAll(stop);
  }

  /**
   * Kills {@code launches} at once: each is sent its SIGKILL before any kill waits for its process
   * group to empty, so stopping n JVMs takes about as long as stopping one.
   */
  private static void killAll(java.util.Collection<Launch> launches) {
    for (Launch l : launches) {
      Process p = l.process();
      if (p != null) {
        p.destroyForcibly();
      }
    }
    launches.forEach(Launch::kill);
  }

  private CompletableFuture<Launched> startLaunch(LaunchOrder order, boolean warm) {
    long id = Nonces.nextLong();
    ProgramState program = programs.get(order.program());
    if (program == null) {
      if (warm) {
        releaseWarmOf(order.resources());
      }
      return CompletableFuture.failedFuture(
          new LaunchException("this machine does not run program " + order.program()));
    }
    EventSink sink = program.program.sink();
    StartTrace.mark("fabric: new launch");
    Launch launch = new Launch(id, order, sink, warm);
    if (warm) {
      pool.added(launch);
    } else {
      sink.onLaunchPending();
    }
    if (closed) {
      launch.onStartFailed("the fabric is shutting down");
      return launch.launched;
    }
    launches.put(id, launch);
    StartTrace.mark("fabric: launch queued");
    threads.execute(
        () -> {
          try {
            start(launch, program);
          } catch (RuntimeException e) {
            // A bug of ours must fail the spawn, not leave it waiting forever.
            log.warn("launch failed", e);
            launch.kill();
            launch.onStartFailed("the fabric could not start the JVM: " + e);
          }
        });
    return launch.launched;
  }

  /** Warm JVMs per resources: {@code DEPLOY_WARM} (0 turns the pool off), else 2. */
  public static int warmSize(String setting) {
    if (setting == null || setting.isBlank()) {
      return 2;
    }
    try {
      int n = Integer.parseInt(setting.trim());
      if (n >= 0 && n <= 64) {
        return n;
      }
    } catch (NumberFormatException e) {
      // Falls through to the message.
    }
    throw new IllegalArgumentException(
        "DEPLOY_WARM must be a number of JVMs from 0 to 64, not \"" + setting + "\"");
  }

  /**
   * Every spawned JVM's own warnings (a perf-data file held by a process of another pid namespace,
   * a class-sharing archive that does not fit, ...) go to its stderr, not to the stdout its program
   * writes: by default the JVM prints them on stdout. They come before the program's options, so
   * the program's own {@code -Xlog} settings still apply.
   */
  static final List<String> JVM_LOGGING = List.of("-Xlog:disable", "-Xlog:all=warning:stderr");

  /**
   * Every spawned JVM makes its first, profiled compilation of a method (C1, tier 3) only once it
   * ran ten times as often as the JVM's own thresholds say. A spawned JVM's first few hundred
   * milliseconds (loading the runtime, joining the run, its first connection) call hundreds of JDK
   * methods a few hundred times each, and with the JVM's thresholds its JIT compiled ~280 of them
   * (the compiler threads: ~40 % of a short process's CPU) for code that never runs again. Measured
   * on the 50-task run of {@code StartupBench}: 25 % less CPU for the whole run. The optimising
   * compilation (C2, tier 4) keeps the JVM's thresholds, counted from the tier-3 code: a hot method
   * reaches it after 2,000 more calls than before, not 45,000 (an earlier {@code
   * -XX:CompileThresholdScaling=10}, which scaled both, left a channel's round trip in profiled
   * code for the whole benchmark, 2.6 µs against 0.9). The program's own settings of these three
   * come after and win (docs/cluster.md has the JVM's defaults).
   */
  static final List<String> JIT_THRESHOLDS =
      List.of(
          "-XX:Tier3InvocationThreshold=2000",
          "-XX:Tier3MinInvocationThreshold=1000",
          "-XX:Tier3CompileThreshold=20000");

  /** The options every spawned JVM gets before the program's own: logging and the JIT's. */
  static final List<String> RUNTIME_OPTIONS = runtimeOptions();

  private static List<String> runtimeOptions() {
    List<String> all = new ArrayList<>(JVM_LOGGING);
    all.addAll(JIT_THRESHOLDS);
    return List.copyOf(all);
  }

  /** Starts the JVM of a launch; runs on a pool thread (fork+exec takes milliseconds). */
  private void start(Launch launch, ProgramState program) {
    StartTrace.mark("fabric: start");
    JvmCommand command = program.program.command();
    List<String> runtimeOptions = RUNTIME_OPTIONS;
    if (program.cds.isPresent()) {
      CdsArchive archive = program.cds.get();
      if (archive.ready()) {
        runtimeOptions = new ArrayList<>(RUNTIME_OPTIONS);
        runtimeOptions.addAll(archive.options());
      } else if (launch.order().task() != null && program.training.compareAndSet(false, true)) {
        // The first spawn of a run makes the archive for the ones after it, once it has
        // registered (and at the lowest priority): the training must not slow that spawn down.
        launch.launched.whenComplete(
            (launched, error) ->
                threads.execute(() -> archive.train("dev.deploy.runtime.CdsTraining")));
      }
    }
    List<String> argv = command.forResources(launch.order().resources(), runtimeOptions);
    CgroupGroup group = null;
    if (cgroups.isPresent()) {
      Resources r = launch.order().resources();
      // The quota is the processor count the JVM is told, not the exact share the master
      // counts: below one core a JVM takes a second to start (measured at 0.05 cores).
      group =
          cgroups
              .get()
              .create(
                  "p-" + Long.toHexString(launch.id), r.memory(), JvmCommand.processorsFor(r.cpu()))
              .orElse(null);
      if (group == null) {
        // Never unconfined once cgroups are on: the reason is in the log (CgroupLimits.create).
        failStart(launch, "the process was not started: its cgroup could not be made");
        return;
      }
      argv = group.wrap(argv);
      StartTrace.mark("fabric: cgroup made");
    }
    if (StartTrace.on()) {
      StartTrace.mark("fabric: fork " + (launch.warm ? "pool" : "cold") + " " + launch.id);
    }
    ProcessBuilder builder = new ProcessBuilder(argv);
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(Env::isInternal);
    env.putAll(program.program.environment());
    env.putAll(runtimeEnvironment(launch.id, launch.order().program()));
    env.put(SilenceLimit.VARIABLE, silenceLimitFor(program.program.environment()));
    if (launch.warm) {
      env.put(Env.POOLED, "1"); // warms its channel path before it registers
    } else if (launch.order().task() != null
        && !dev.deploy.codec.LambdaCodec.needsCodec(launch.order().task())) {
      env.put(Env.SCALAR_TASK, "1"); // loads Kryo only if a value needs it
    }
    boolean main = launch.order().task() == null && launch.order().parent() == null;
    builder.redirectInput(
        main && program.program.stdinForMain()
            ? ProcessBuilder.Redirect.INHERIT
            : ProcessBuilder.Redirect.from(new File(nullDevice())));
    Process process;
    try {
      // Its own session and group, a parent-death signal, forked by the JVM's fork thread.
      process = starter.start(builder);
    } catch (IOException e) {
      if (group != null) {
        group.close();
      }
      failStart(launch, "cannot start " + argv.get(0) + ": " + e.getMessage());
      return;
    }
    launch.started(process, group);
    if (StartTrace.on()) {
      StartTrace.mark("fabric: forked " + launch.id + " os pid " + process.pid());
    }
    startPump(launch, 1, process, program.gate);
    startPump(launch, 2, process, program.gate);
    timers.schedule(
        () -> launch.onRegistrationTimeout(REGISTRATION_TIMEOUT_SECONDS),
        REGISTRATION_TIMEOUT_SECONDS,
        TimeUnit.SECONDS);
    process
        .onExit()
        .thenRunAsync(
            () -> {
              try {
                // A dialler killed between making its shared-memory offer and the acceptor's
                // unlink left the file; nobody else removes it (docs/channels.md).
                ShmFile.sweepEnded(process.pid());
                if (StartTrace.on()) {
                  StartTrace.mark("fabric: exited " + launch.id);
                }
                boolean registered = launch.pid() != null;
                launch.onProcessExit();
                fence.ended(process); // what it left in its process group
                if (launch.group() != null) {
                  launch.group().close(); // kills what the process left behind in it
                }
                if (launch.warm && pool.ended(launch, !registered)) {
                  releaseWarm(launch);
                }
              } finally {
                Pid pid = launch.pid();
                ExitStatus status = launch.exitFuture().getNow(null);
                if (pid != null && status != null) {
                  ended.put(pid, status);
                }
                if (pid != null) {
                  running.remove(pid);
                }
                endedLaunches.put(launch.id, Boolean.TRUE);
                launches.remove(launch.id);
              }
            },
            threads);
  }

  /** Fails a launch whose process did not start. */
  private void failStart(Launch launch, String reason) {
    endedLaunches.put(launch.id, Boolean.TRUE);
    launches.remove(launch.id);
    launch.onStartFailed(reason);
    if (launch.warm && pool.ended(launch, true)) {
      releaseWarm(launch);
    }
  }

  private void startPump(Launch launch, int fd, Process process, OutputGate gate) {
    OutputPump pump =
        new OutputPump(
            launch, fd, fd == 1 ? process.getInputStream() : process.getErrorStream(), gate);
    Thread t = new Thread(pump, "deploy-pump-" + process.pid() + "-" + fd);
    t.setDaemon(true);
    t.start();
  }

  private static String nullDevice() {
    return System.getProperty("os.name", "").startsWith("Windows") ? "NUL" : "/dev/null";
  }

  /** Control thread: process {@code parent} of {@code launch} asks for a spawn. */
  void onSpawnRequest(
      ControlSession session, Launch launch, Pid parent, Control.SpawnRequest request) {
    Scheduler m = master;
    if (m == null) {
      session.send(Control.SpawnReply.failed(request.requestId(), "this fabric has no master"));
      return;
    }
    long program = launch.order().program();
    m.spawn(new LaunchOrder(program, parent, request.resources(), request.task()), request.queue())
        .whenComplete((pid, error) -> session.send(reply(request.requestId(), pid, error)));
  }

  private static Control.SpawnReply reply(long id, Optional<Pid> pid, Throwable error) {
    if (error == null) {
      return pid.map(p -> Control.SpawnReply.started(id, p))
          .orElseGet(() -> Control.SpawnReply.noRoom(id));
    }
    Throwable cause = Futures.unwrap(error);
    if (cause instanceof CancellationException) {
      return Control.SpawnReply.failed(id, "the run is shutting down");
    }
    if (cause instanceof LaunchException) {
      return Control.SpawnReply.failed(id, cause.getMessage());
    }
    return Control.SpawnReply.failed(id, cause.toString());
  }

  /** Control thread: a process registered as {@code pid}. */
  void onRegistered(Pid pid, Launch launch) {
    if (StartTrace.on()) {
      StartTrace.mark("fabric: registered " + launch.id);
    }
    running.put(pid, launch);
    if (!launch.warm || launch.state() != Launch.State.WARM) {
      return; // a process, or a pool JVM a spawn claimed while it started: it runs its task
    }
    if (pool.ready(launch, System.nanoTime())) {
      // One fewer starting: the pool may start the next it lacks.
      refill(launch.order().program(), launch.order().resources());
    } else {
      launch.kill(); // dropped from the pool while it started
    }
  }

  /**
   * Control thread: a process asks how {@code pid} ended; answered now if it has, when it does if
   * it runs here, and as a death if this fabric never ran it.
   */
  void onFateQuery(ControlSession session, Pid asker, Control.FateQuery query) {
    CompletableFuture<ExitStatus> here = localFate(query.pid(), asker);
    Scheduler m = master;
    CompletableFuture<ExitStatus> fate =
        here != null || m == null ? here : m.fate(query.pid(), asker);
    if (fate == null) {
      fate = CompletableFuture.completedFuture(ExitStatus.lost());
    }
    fate.whenComplete(
        (status, error) -> session.send(fateReply(query, error == null ? status : null)));
  }

  /** Control thread: an exiting process named the remotes it leaves values unacknowledged. */
  void onUnfinished(Pid pid, List<Pid> remotes) {
    if (!remotes.isEmpty()) {
      unfinished.put(pid, Set.copyOf(remotes));
    }
  }

  /**
   * How a pid this fabric ran ends as {@code asker} is to be told (a clean exit that left it values
   * unacknowledged is a death to it), or null when this fabric never ran it (or forgot it).
   */
  private CompletableFuture<ExitStatus> localFate(Pid pid, Pid asker) {
    CompletableFuture<ExitStatus> fate = localFate(pid);
    if (fate == null || asker == null) {
      return fate;
    }
    return fate.thenApply(
        s ->
            s.kind() == ExitStatus.Kind.EXITED
                    && unfinished.getOrDefault(pid, Set.of()).contains(asker)
                ? ExitStatus.lost()
                : s);
  }

  /** How a pid this fabric ran ends, or null when it never ran it (or forgot it). */
  private CompletableFuture<ExitStatus> localFate(Pid pid) {
    ExitStatus status = ended.get(pid);
    Launch launch = running.get(pid);
    if (status == null && launch != null) {
      return launch.exitFuture();
    }
    if (status == null) {
      status = ended.get(pid); // it may have ended between the two looks
    }
    return status == null ? null : CompletableFuture.completedFuture(status);
  }

  @Override
  public CompletableFuture<ExitStatus> fate(Pid pid) {
    CompletableFuture<ExitStatus> here = localFate(pid);
    return here != null ? here : CompletableFuture.completedFuture(ExitStatus.lost());
  }

  @Override
  public CompletableFuture<ExitStatus> fate(Pid pid, Pid asker) {
    CompletableFuture<ExitStatus> here = localFate(pid, asker);
    return here != null ? here : CompletableFuture.completedFuture(ExitStatus.lost());
  }

  private static Control.FateReply fateReply(Control.FateQuery query, ExitStatus status) {
    return new Control.FateReply(
        query.requestId(), status != null && status.kind() == ExitStatus.Kind.EXITED);
  }

  /** Control thread: a registered process's control connection ended. */
  void onControlClosed(Pid pid) {
    Scheduler m = master;
    if (m != null) {
      m.cancelWaitingOf(pid);
    }
  }

  /** Kills every process this fabric started and stops accepting. */
  @Override
  public void close() {
    StartTrace.mark("fabric: close");
    closed = true;
    acceptor.close();
    try {
      server.close();
    } catch (IOException ignored) {
      // Closing to stop accepting.
    }
    killAll(new ArrayList<>(launches.values()));
    for (ProgramState p : programs.values()) {
      p.cds.ifPresent(CdsArchive::cancel);
    }
    StartTrace.mark("fabric: closed");
  }
}
