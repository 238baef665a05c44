package dev.deploy.cluster.link;

import static org.assertj.core.api.Assertions.assertThat;

import dev.deploy.master.LaunchException;
import dev.deploy.program.JarCache;
import dev.deploy.program.JarRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Daemons}: the cache trim that never throws, and a failure's reason. */
class DaemonsTest {
  @TempDir Path dir;

  @Test
  void givenTwoJarsOverTheLimit_whenTrimmed_thenTheOneInUseIsSpared() throws Exception {
    JarCache cache = new JarCache(dir.resolve("jars"));
    JarRef kept = put(cache, "kept.jar", new byte[1000]);
    JarRef gone = put(cache, "gone.jar", new byte[1001]);

    Daemons.trim(cache, 1000, () -> Set.of(kept.sha256()));

    assertThat(cache.get(kept.sha256())).isPresent();
    assertThat(cache.get(gone.sha256())).isEmpty();
  }

  @Test
  void givenInUseThatThrows_whenTrimmed_thenNothingThrownAndNothingRemoved() throws Exception {
    JarCache cache = new JarCache(dir.resolve("jars"));
    JarRef jar = put(cache, "a.jar", new byte[100]);

    Daemons.trim(
        cache,
        0,
        () -> {
          throw new IllegalStateException("the books are closed");
        });

    assertThat(cache.get(jar.sha256())).isPresent();
  }

  @Test
  void givenLaunchExceptionWrappedTwice_whenReason_thenItsMessage() {
    Throwable e =
        new CompletionException(new CompletionException(new LaunchException("no room on n1")));

    assertThat(Daemons.reason(e)).isEqualTo("no room on n1");
  }

  @Test
  void givenCancellation_whenReason_thenTheDeploymentEnded() {
    assertThat(Daemons.reason(new CompletionException(new CancellationException())))
        .isEqualTo("the deployment ended");
  }

  @Test
  void givenErrorWithoutMessage_whenReason_thenItsName() {
    assertThat(Daemons.reason(new IOException("link lost"))).isEqualTo("link lost");
    assertThat(Daemons.reason(new IllegalStateException()))
        .isEqualTo("java.lang.IllegalStateException");
    assertThat(Daemons.reason(new CompletionException(null)))
        .isEqualTo("java.util.concurrent.CompletionException");
  }

  private JarRef put(JarCache cache, String name, byte[] content)
      throws IOException, NoSuchAlgorithmException, dev.deploy.program.ProgramException {
    Path file = dir.resolve(name);
    Files.write(file, content);
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    JarRef ref = new JarRef(sha, name, content.length);
    cache.put(file, ref);
    return ref;
  }
}
