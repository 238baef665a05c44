package dev.deploy.fabric;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.Resources;
import dev.deploy.bridge.Event;
import dev.deploy.bridge.EventSink;
import dev.deploy.master.LaunchException;
import dev.deploy.master.LaunchOrder;
import dev.deploy.process.CgroupGroup;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Launch} with a fake process: how a launch that never ran is reported. */
@Timeout(10)
class LaunchTest {
  @Test
  void givenWrapperCouldNotPutItInItsCgroup_whenItExits_thenFailedLaunchSaysSoNotAnExit() {
    Launch launch =
        new Launch(1, new LaunchOrder(null, new Resources(128L << 20, 1), null), new Sink(), false);
    String said =
        CgroupGroup.NOT_CONFINED
            + " 4242 in its cgroup: writing /sys/fs/cgroup/x/p-1/cgroup.procs failed\n";
    launch.started(new Exited(CgroupGroup.NOT_CONFINED_EXIT), null);
    launch.onOutput(2, said.getBytes(StandardCharsets.UTF_8));
    launch.onEof(1);
    launch.onEof(2);

    launch.onProcessExit();

    assertThat(launch.launched)
        .failsWithin(1, TimeUnit.SECONDS)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(LaunchException.class)
        .withMessageContaining(
            "the process was not started: "
                + CgroupGroup.NOT_CONFINED
                + " 4242 in its cgroup: writing /sys/fs/cgroup/x/p-1/cgroup.procs failed");
  }

  /** A sink that drops everything. */
  private static final class Sink implements EventSink {
    @Override
    public void onEvent(Event event) {}

    @Override
    public void onLaunchPending() {}

    @Override
    public void onLaunchSettled() {}
  }

  /** A process that has exited with {@code code}; its pipes are empty. */
  private static final class Exited extends Process {
    private final int code;

    Exited(int code) {
      this.code = code;
    }

    @Override
    public OutputStream getOutputStream() {
      return OutputStream.nullOutputStream();
    }

    @Override
    public InputStream getInputStream() {
      return new ByteArrayInputStream(new byte[0]);
    }

    @Override
    public InputStream getErrorStream() {
      return new ByteArrayInputStream(new byte[0]);
    }

    @Override
    public int waitFor() {
      return code;
    }

    @Override
    public int exitValue() {
      return code;
    }

    @Override
    public void destroy() {}

    @Override
    public CompletableFuture<Process> onExit() {
      return CompletableFuture.completedFuture(this);
    }
  }
}
