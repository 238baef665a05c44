package dev.deploy.runtime;

import dev.deploy.ChannelException.Reason;
import dev.deploy.Pid;
import dev.deploy.Resources;
import dev.deploy.SpawnException;
import dev.deploy.Task;
import dev.deploy.channel.ChannelTable;
import dev.deploy.codec.Codec;
import dev.deploy.codec.LambdaCodec;
import dev.deploy.io.IoLoop;
import dev.deploy.io.ShmFile;
import dev.deploy.logging.StartTrace;
import dev.deploy.process.Env;
import dev.deploy.security.ClusterKey;
import dev.deploy.security.Credential;
import dev.deploy.security.Nonces;
import dev.deploy.util.Futures;
import dev.deploy.util.HostPort;
import dev.deploy.wire.Control;
import dev.deploy.wire.FrameReader;
import dev.deploy.wire.SpawnOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The runtime of one process: what {@code init} does, this process's pid and resources, and {@code
 * spawn}. In the JVM the user started, {@code init} hands over to {@link LocalRun} and never
 * returns; in a JVM a fabric started, it registers with the fabric and either returns into {@code
 * main} (the first process) or runs the spawned task and exits.
 *
 * <p>Thread safe: {@code init} runs once on the main thread; the rest from any thread after.
 */
public final class ProcessRuntime {
  /** The role of a JVM started only to learn the resources its main passes to init. */
  public static final String PROBE_ROLE = "probe";

  /** What a probed JVM prints before the resources: {@code deploy-init <bytes> <cores>}. */
  public static final String PROBE_PREFIX = "deploy-init ";

  static final String NOT_INITIALISED = "You must call init() first in your application's main()";

  private static final AtomicBoolean initCalled = new AtomicBoolean();
  private static volatile ProcessRuntime current;

  /** This process's pid; its address is {@link #listener}'s. */
  private final Pid pid;

  private final Resources resources;
  private final FabricClient fabric;

  /** This process's channels, over the pid's listening port. */
  private final ChannelTable channels;

  ProcessRuntime(Pid pid, Resources resources, FabricClient fabric, ChannelTable channels) {
    this.pid = pid;
    this.resources = resources;
    this.fabric = fabric;
    this.channels = channels;
  }

  /**
   * Does what {@code Deploy.init} promises.
   *
   * <p>In the JVM the user started, a launcher whose JVM cannot be repeated for the program's
   * processes ({@link ForeignLauncher}: {@code exec:java}, {@code java Main.java}, a Spring Boot
   * fat jar, a thread other than main) prints what to do instead and exits with 2.
   *
   * @throws IllegalStateException when called twice or not from the main thread
   */
  public static void init(Resources resources) {
    if (resources == null) {
      throw new NullPointerException("init(resources): resources is null");
    }
    String role = System.getenv(Env.ROLE);
    if (role == null) {
      // The JVM the user started: its command line must start the processes too.
      ForeignLauncher.problemOfThisJvm()
          .ifPresent(
              problem -> {
                System.err.println("deploy: " + problem);
                System.exit(2);
              });
    }
    Thread thread = Thread.currentThread();
    if (!thread.getName().equals("main")
        || thread.getThreadGroup() == null
        || !thread.getThreadGroup().getName().equals("main")) {
      throw new IllegalStateException(
          "init() must be called first in main(), on the main thread, not on thread \""
              + thread.getName()
              + "\"");
    }
    if (!initCalled.compareAndSet(false, true)) {
      throw new IllegalStateException("init() was already called in this process");
    }
    if ("1".equals(System.getenv("DEPLOY_VERSION"))) {
      System.out.println("deploy-lib " + version());
      System.exit(0);
    }
    dev.deploy.logging.Loggers.initialize(); // before the threads below log at once
    if (role == null) {
      LocalRun.run(resources);
    } else if (role.equals("process")) {
      startProcess();
    } else if (role.equals(PROBE_ROLE)) {
      // A cluster's bridge asks what the program's first process needs before placing it.
      System.out.println(PROBE_PREFIX + resources.memory() + " " + resources.cpu());
      System.out.flush();
      Runtime.getRuntime().halt(0);
    } else {
      System.err.println("deploy: " + Env.ROLE + "=" + role + " is not a role this runtime knows");
      System.exit(1);
    }
  }

  /** Returns this process's runtime. */
  public static ProcessRuntime get() {
    ProcessRuntime r = current;
    if (r == null) {
      throw new IllegalStateException(NOT_INITIALISED);
    }
    return r;
  }

  /** Returns the library's version, from the build. */
  public static String version() {
    Properties p = new Properties();
    try (InputStream in = ProcessRuntime.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version", "unknown");
  }

  private static void startProcess() {
    StartTrace.mark("process: init");
    String fabricAddress = System.getenv(Env.FABRIC);
    // Loading the codec (Kryo) takes longer than joining the run: do it on the other core.
    // No lambdas on this thread's way to the task: the first one a JVM links costs it ~20 ms
    // (the warm-up thread pays that instead, in parallel).
    // A JVM of the warm pool also runs the channel path once, while it waits for a spawn: one that
    // takes it then pays a connection for its first message, not class loading and the
    // interpreter. It registers without waiting for that: a spawn that claimed it while it
    // started is waiting (until 2026-12-07 it waited, 200-400 ms under load, for the warm-up).
    boolean pooled = "1".equals(System.getenv(Env.POOLED));
    onNewThread(
        "deploy-warmup",
        new Runnable() {
          @Override
          public void run() {
            warmUp(pooled);
          }
        });
    Control.Start start;
    ProcessRuntime runtime;
    try {
      Credential key =
          new Credential(
              ClusterKey.fromHex(requireEnv(Env.RUN_KEY)),
              Long.parseUnsignedLong(requireEnv(Env.DEPLOYMENT), 16));
      long launch = Long.parseUnsignedLong(requireEnv(Env.LAUNCH), 16);
      String bind = requireEnv(Env.BIND);
      String advertise = requireEnv(Env.ADVERTISE);
      CompletableFuture<FabricClient> fabricReady = new CompletableFuture<>();
      // The pid's port and the channel table start on another thread while this one dials the
      // fabric; others may dial the pid as soon as it registers, and wait in the listener's
      // backlog until the loop accepts.
      CompletableFuture<Channels> channelsReady = new CompletableFuture<>();
      onNewThread(
          "deploy-channels",
          new Runnable() {
            @Override
            public void run() {
              try {
                channelsReady.complete(startChannels(bind, advertise, key, fabricReady));
              } catch (IOException e) {
                channelsReady.completeExceptionally(
                    new IOException(
                        "cannot open the pid's port on " + bind + " as " + advertise + ": " + e,
                        e));
              } catch (RuntimeException | Error e) {
                channelsReady.completeExceptionally(e);
              }
            }
          });
      FabricClient fabric =
          FabricClient.connect(HostPort.parse(requireEnv(Env.FABRIC)).toSocketAddress(), key);
      fabricReady.complete(fabric);
      Channels io = channelsReady.join();
      ChannelTable channels = io.table();
      Pid pid = channels.self();
      ExitNotice.install(
          fabric,
          new Supplier<List<Pid>>() {
            @Override
            public List<Pid> get() {
              return channels.drain();
            }
          },
          new Runnable() {
            @Override
            public void run() {
              io.loop().close();
              ShmFile.dropSpare();
            }
          });
      // Before registering: a pool JVM then starts the reporting thread while it waits, not
      // between its task's arrival and its start (it reports nothing before a task: no channel).
      fabric.reportChannels(channels.counters());
      StartTrace.markCpu("process: register");
      start = fabric.register(launch, pid);
      StartTrace.markCpu("process: registered");
      runtime = new ProcessRuntime(pid, start.resources(), fabric, channels);
    } catch (IOException | RuntimeException e) {
      Throwable cause = Futures.unwrap(e);
      System.err.println(
          "deploy: this process cannot join its run (fabric "
              + fabricAddress
              + "): "
              + cause.getMessage());
      Runtime.getRuntime().halt(1);
      return;
    }
    current = runtime;
    if (start.task() == null) {
      return;
    }
    taskArrived = true;
    runTask(start);
  }

  /**
   * Loads and links, on a spare thread, what a task's way to running and its first message go
   * through: the codec, a task rebuilt and called like a spawned one, the handshake's HMAC. A JVM
   * of the warm pool has all of it done before a spawn takes it.
   */
  private static void warmUp(boolean pooled) {
    StartTrace.markCpu("process: warm-up");
    try {
      warmUp0(pooled);
    } finally {
      StartTrace.markCpu("process: warm-up done");
    }
  }

  @SuppressWarnings("unchecked")
  private static void warmUp0(boolean pooled) {
    resolveMethods(mainClassOf(System.getProperty("sun.java.command", "")));
    Codec codec = Codec.standard();
    if (!pooled && "1".equals(System.getenv(Env.SCALAR_TASK))) {
      warmUpForScalarTask(codec);
      return;
    }
    codec.warmUp();
    try {
      Warm sample = new Warm(1, "warm", java.util.List.of(1L));
      LambdaCodec.DecodedTask task =
          LambdaCodec.decodeTask(
              LambdaCodec.encodeTask((Task<Warm>) ProcessRuntime::warmTask, sample, codec), codec);
      ((Task<Object>) task.task()).run(null, task.arg());
      if (!pooled) {
        dev.deploy.security.Sha256.hmac(new byte[32], new byte[64]);
        return;
      }
      // A channel between two throwaway tables: handshake, frames, credit, the codec for the
      // values a first message most often carries.
      Credential throwaway = new Credential(ClusterKey.generate().forDeployment(1), 1);
      CdsTraining.channelRoundTrip(
          TASK_ARRIVED,
          throwaway,
          codec,
          InetAddress.getByName(requireEnv(Env.BIND)).isAnyLocalAddress()
              ? InetAddress.getLoopbackAddress()
              : InetAddress.getByName(requireEnv(Env.BIND)),
          sample,
          "warm",
          new byte[] {1},
          java.util.List.of(1, 2));
    } catch (Exception e) {
      // Only a warm-up: the real path reports its own errors.
    }
  }

  /**
   * The warm-up of a JVM started for a task that decodes without Kryo ({@link Env#SCALAR_TASK}):
   * the task's way to running and the handshake's HMAC, not Kryo (25-35 ms of CPU to load and set
   * up). Kryo is loaded when a value needs it, on the thread that encodes or decodes it, as it
   * always could be: a task of numbers that sends numbers (a burst of small tasks, a computation
   * sending its result) never loads it; one that sends another value pays that once, at its first
   * such value. A warm-up that loaded it after the task had run 100 ms loaded it in most of the
   * 50-task run's processes anyway, whose tasks wait in {@code close} for their parent to take the
   * value.
   */
  private static void warmUpForScalarTask(Codec codec) {
    try {
      LambdaCodec.DecodedTask task =
          LambdaCodec.decodeTask(
              LambdaCodec.encodeTask((Task<Integer>) ProcessRuntime::warmScalarTask, 1, codec),
              codec);
      @SuppressWarnings("unchecked")
      Task<Object> run = (Task<Object>) task.task();
      run.run(null, task.arg());
      dev.deploy.security.Sha256.hmac(new byte[32], new byte[64]);
    } catch (Exception e) {
      // Only a warm-up: the real path reports its own errors.
    }
  }

  private static void warmScalarTask(Pid parent, Integer arg) {
    // The warm-up's task does nothing.
  }

  /**
   * Returns the main class a JVM's {@code sun.java.command} names (its first word), or null for a
   * jar ({@code -jar}: the class is in its manifest) or none.
   */
  static String mainClassOf(String javaCommand) {
    int space = javaCommand.indexOf(' ');
    String first = space < 0 ? javaCommand : javaCommand.substring(0, space);
    return first.isEmpty() || first.endsWith(".jar") ? null : first;
  }

  /**
   * Looks up, without initialising it, the declared methods of {@code className} (the program's
   * main class, where most tasks are): a task's decoding finds its method by reflection, and the
   * class's first reflective look-up resolves every method's signature (loading the classes they
   * name) and builds the class's reflection data, 1-3 ms on a spawned JVM's main thread between the
   * task's arrival and its start. Done here, the look-up is a cache hit. Returns whether it was.
   */
  static boolean resolveMethods(String className) {
    if (className == null) {
      return false;
    }
    try {
      Class.forName(className, false, ClassLoader.getSystemClassLoader()).getDeclaredMethods();
      return true;
    } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
      return false; // only a warm-up: the task's decoding reports what is wrong
    }
  }

  /**
   * Set when this JVM's task arrived: a pool JVM's warm-up stops its channel round trip then
   * (between steps), since the task's own first message does that work now and the round trip would
   * only take a core from it. Spawns that claim a pool JVM still starting, or one just registered,
   * are common when spawns come back to back (the README's {@code Hello}: four in ten).
   */
  private static volatile boolean taskArrived;

  private static final java.util.function.BooleanSupplier TASK_ARRIVED =
      new java.util.function.BooleanSupplier() {
        @Override
        public boolean getAsBoolean() {
          return taskArrived;
        }
      };

  /** What the warm-up ships: a record like a typical argument. */
  record Warm(int index, String text, java.util.List<Long> values) {}

  private static void warmTask(Pid parent, Warm arg) {
    // The warm-up's task does nothing.
  }

  /** A process's listening port and the pid that names it. */
  record PidPort(ServerSocketChannel listener, Pid pid) {}

  /**
   * Opens the pid's listening port on {@code bindAddress} (its fabric's, maybe a wildcard) and
   * makes the pid that names it by {@code advertisedHost}, looked up now: the address others dial.
   *
   * @throws IOException when the port cannot be bound or the advertised host is unknown
   * @throws IllegalArgumentException when the advertised host is a wildcard
   */
  static PidPort openPidPort(String bindAddress, String advertisedHost) throws IOException {
    InetAddress bind = InetAddress.getByName(bindAddress);
    InetAddress advertised = InetAddress.getByName(advertisedHost);
    ServerSocketChannel listener =
        ServerSocketChannel.open().bind(new InetSocketAddress(bind, 0), 128);
    try {
      InetSocketAddress local = (InetSocketAddress) listener.getLocalAddress();
      return new PidPort(
          listener, Pid.of(advertised.getAddress(), local.getPort(), Nonces.nextLong()));
    } catch (IOException | RuntimeException e) {
      listener.close();
      throw e;
    }
  }

  /** A process's channel table and the I/O loop that drives it. */
  record Channels(ChannelTable table, IoLoop loop) {}

  private static Channels startChannels(
      String bindAddress,
      String advertisedHost,
      Credential key,
      CompletableFuture<FabricClient> fabric)
      throws IOException {
    PidPort port = openPidPort(bindAddress, advertisedHost);
    ServerSocketChannel listener = port.listener();
    Pid pid = port.pid();
    IoLoop loop = new IoLoop(System::nanoTime);
    ChannelTable channels =
        new ChannelTable(
            pid,
            key,
            loop,
            Codec.standard(),
            listener,
            remote ->
                fabric
                    .thenCompose(f -> f.fate(remote))
                    .thenApply(exited -> exited ? Reason.EXITED : Reason.LOST));
    loop.start("deploy-io", new IoThreadDeath()); // never alive but deaf
    channels.start();
    return new Channels(channels, loop);
  }

  private static void onNewThread(String name, Runnable task) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    t.start();
  }

  @SuppressWarnings("unchecked")
  private static void runTask(Control.Start start) {
    LambdaCodec.DecodedTask decoded;
    StartTrace.mark("process: decode");
    try {
      decoded = LambdaCodec.decodeTask(start.task(), Codec.standard());
    } catch (RuntimeException e) {
      System.err.println("deploy: cannot rebuild the spawned task: " + e.getMessage());
      System.exit(1);
      return;
    }
    StartTrace.mark("process: task");
    try {
      ((Task<Object>) decoded.task()).run(start.parent(), decoded.arg());
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1);
    }
    StartTrace.markCpu("process: task done");
    System.exit(0);
  }

  private static String requireEnv(String name) {
    String value = System.getenv(name);
    if (value == null) {
      throw new IllegalStateException(name + " is not set");
    }
    return value;
  }

  /** Returns this process's pid. */
  public Pid pid() {
    return pid;
  }

  /** Returns the resources this process was started with. */
  public Resources resources() {
    return resources;
  }

  /** Returns this process's channels. */
  public ChannelTable channels() {
    return channels;
  }

  /**
   * Spawns {@code task(arg)} with {@code resources}; empty when no machine has room now.
   *
   * @throws SpawnException when the task cannot be shipped or the new process failed to start
   */
  public Optional<Pid> spawn(Task<?> task, Object arg, Resources resources) {
    StartTrace.mark("process: spawn");
    byte[] blob = encode(task, arg, resources);
    Control.SpawnReply reply;
    try {
      reply = fabric.spawn(resources, blob, false).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SpawnException("interrupted while waiting for the spawn to start", e);
    } catch (ExecutionException e) {
      throw new SpawnException("lost the fabric during the spawn: " + e.getCause().getMessage());
    }
    StartTrace.mark("process: spawned");
    return switch (reply.outcome()) {
      case STARTED -> Optional.of(reply.pid());
      case NO_ROOM -> Optional.empty();
      default -> throw new SpawnException(reply.error());
    };
  }

  /** Like {@link #spawn}, but waits for room in the first-come-first-served queue. */
  public CompletableFuture<Pid> spawnAsync(Task<?> task, Object arg, Resources resources) {
    byte[] blob;
    try {
      blob = encode(task, arg, resources);
    } catch (SpawnException e) {
      return CompletableFuture.failedFuture(e);
    }
    return fabric
        .spawn(resources, blob, true)
        .handle(
            (reply, error) -> {
              if (error != null) {
                throw new CompletionException(
                    new SpawnException("lost the fabric during the spawn: " + error.getMessage()));
              }
              if (reply.outcome() == SpawnOutcome.STARTED) {
                return reply.pid();
              }
              throw new CompletionException(
                  new SpawnException(
                      reply.outcome() == SpawnOutcome.NO_ROOM
                          ? "no machine has " + resources + " free"
                          : reply.error()));
            });
  }

  private static byte[] encode(Task<?> task, Object arg, Resources resources) {
    if (task == null) {
      throw new NullPointerException("spawn: task is null");
    }
    if (resources == null) {
      throw new NullPointerException("spawn: resources is null");
    }
    byte[] blob;
    try {
      blob = LambdaCodec.encodeTask(task, arg, Codec.standard());
    } catch (IllegalArgumentException e) {
      throw new SpawnException(e.getMessage(), e);
    }
    if (blob.length > FrameReader.MAX_FRAME - 1024) {
      throw new SpawnException(
          "the task and its argument take "
              + Resources.formatMemory(blob.length)
              + "; a spawn carries at most 16 MiB: send large data over a channel");
    }
    return blob;
  }
}
