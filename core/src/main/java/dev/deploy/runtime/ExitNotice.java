package dev.deploy.runtime;

import dev.deploy.Pid;
import dev.deploy.logging.StartTrace;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import sun.misc.Signal;

/**
 * Tells the fabric how this process exits, so it can tell {@code System.exit(143)} from a SIGTERM:
 * handlers for SIGINT, SIGTERM and SIGHUP remember the signal and exit as the JVM would (128 + its
 * number); a shutdown hook flushes stdout/stderr and sends the notice. A SIGKILL or a crash sends
 * none, and the fabric reads the signal from the exit code.
 */
final class ExitNotice {
  private ExitNotice() {}

  /**
   * Installs the handlers; {@code beforeNotice} (the channels' drain) runs in the hook first and
   * returns the remotes it leaves values unacknowledged, which the notice names; {@code
   * afterNotice} (stopping the I/O thread) runs after the notice is sent.
   */
  static void install(FabricClient client, Supplier<List<Pid>> beforeNotice, Runnable afterNotice) {
    AtomicInteger signal = new AtomicInteger();
    // Classes, not lambdas: this runs on a spawned JVM's way to its task (see ProcessRuntime).
    sun.misc.SignalHandler handler =
        new sun.misc.SignalHandler() {
          @Override
          public void handle(Signal s) {
            signal.compareAndSet(0, s.getNumber());
            System.exit(128 + s.getNumber());
          }
        };
    for (String name : new String[] {"INT", "TERM", "HUP"}) {
      try {
        Signal.handle(new Signal(name), handler);
      } catch (IllegalArgumentException e) {
        // -Xrs, or the signal is not known here: the JVM's own handling stays.
      }
    }
    Thread hook =
        new Thread(
            new Runnable() {
              @Override
              public void run() {
                List<Pid> unfinished = List.of();
                try {
                  StartTrace.mark("process: exit hook");
                  unfinished = beforeNotice.get();
                } finally {
                  System.out.flush();
                  System.err.flush();
                  client.exiting(signal.get(), unfinished);
                  // Nothing more to read or carry: out of their blocking calls, the control
                  // reader and the I/O thread no longer hold up the JVM's exit (JDK 17 waits up
                  // to 300 ms for threads in native code before it exits).
                  client.stopReading();
                  afterNotice.run();
                  StartTrace.markThreads("process: exit notice sent");
                }
              }
            },
            "deploy-exit-notice");
    Runtime.getRuntime().addShutdownHook(hook);
  }
}
