package dev.deploy;

import dev.deploy.runtime.ProcessRuntime;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The entry points of a deploy program. Import them statically:
 *
 * <pre>{@code
 * import static dev.deploy.Deploy.*;
 *
 * public static void main(String[] args) throws Exception {
 *   init(Resources.DEFAULT);
 *   Pid child = spawn(Hello::worker, "hi", Resources.DEFAULT).orElseThrow();
 * }
 * }</pre>
 */
public final class Deploy {
  private Deploy() {}

  /**
   * Must be the first statement of {@code main}. In the JVM the user started, this JVM becomes the
   * bridge: it prints every process's output and exits, with the run's exit code, once every
   * process has exited, and {@code main} runs again in a new JVM, the first process, where {@code
   * init} returns. In a spawned process it runs the spawned task and exits; code after {@code init}
   * never runs there.
   *
   * @param resources what the first process needs
   * @throws IllegalStateException when called twice, or from a thread other than main
   */
  public static void init(Resources resources) {
    ProcessRuntime.init(resources);
  }

  /**
   * Starts a new process that runs {@code task.run(pid(), arg)}. Returns once the new process
   * exists and channels to its pid work.
   *
   * @return the new pid, or empty when no machine has {@code resources} free now
   * @throws SpawnException when the argument cannot be serialised, the task's class cannot be
   *     found, or the new JVM fails to start; the message says which
   * @throws IllegalStateException before {@link #init}
   */
  public static <A> Optional<Pid> spawn(Task<A> task, A arg, Resources resources) {
    return ProcessRuntime.get().spawn(task, arg, resources);
  }

  /**
   * Like {@link #spawn}, but waits (first come, first served) until some machine has {@code
   * resources} free. The future fails with a {@link SpawnException} when the spawn fails or no
   * machine could ever hold the request.
   *
   * @throws IllegalStateException before {@link #init}
   */
  public static <A> CompletableFuture<Pid> spawnAsync(Task<A> task, A arg, Resources resources) {
    return ProcessRuntime.get().spawnAsync(task, arg, resources);
  }

  /**
   * Returns this process's pid.
   *
   * @throws IllegalStateException before {@link #init}
   */
  public static Pid pid() {
    return ProcessRuntime.get().pid();
  }

  /**
   * Returns the resources this process was started with: the argument of {@code init} for the first
   * process, of {@code spawn} for a spawned one.
   *
   * @throws IllegalStateException before {@link #init}
   */
  public static Resources resources() {
    return ProcessRuntime.get().resources();
  }
}
