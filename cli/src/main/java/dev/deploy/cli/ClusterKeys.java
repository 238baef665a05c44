package dev.deploy.cli;

import dev.deploy.security.ClusterKey;
import dev.deploy.security.KeyFile;
import dev.deploy.util.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the commands get the cluster key: {@code --key-file}, else {@code DEPLOY_KEY_FILE}, else,
 * when every address involved is this machine's loopback, the user's own key file (made on first
 * use, readable only by the user), so a cluster on one machine needs no set-up and other users of
 * that machine still cannot join it. Anything that listens on or dials another address needs the
 * key named explicitly.
 */
final class ClusterKeys {
  private ClusterKeys() {}

  /**
   * Returns the key.
   *
   * @param option the {@code --key-file} value, or null
   * @param loopbackOnly whether every address the command binds or dials is a loopback address
   * @param why what needs the key, for the message: "fabric bound to 10.0.0.2:7000"
   * @throws CommandException naming the file's problem, or saying that a key is needed
   */
  static ClusterKey resolve(Path option, boolean loopbackOnly, String why) throws CommandException {
    Optional<ClusterKey> named;
    try {
      named = KeyFile.fromEnvironment(System.getenv(), option);
    } catch (IOException e) {
      throw new CommandException(e.getMessage());
    }
    if (named.isPresent()) {
      return named.get();
    }
    if (!loopbackOnly) {
      throw new CommandException(
          "a "
              + why
              + " needs the cluster key: pass --key-file <file> or set "
              + KeyFile.ENV
              + " (make one with: java -jar deploy.jar keygen <file>)");
    }
    Path own = defaultFile();
    try {
      createPrivateDirectories(own.getParent());
      try {
        KeyFile.write(own, ClusterKey.generate(), false);
      } catch (FileAlreadyExistsException e) {
        // Made by an earlier command: use it.
      }
      return KeyFile.read(own);
    } catch (IOException e) {
      throw new CommandException(e.getMessage());
    }
  }

  /** Creates {@code dir} and its missing parents, the new ones readable only by the user. */
  private static void createPrivateDirectories(Path dir) throws IOException {
    if (dir == null || java.nio.file.Files.isDirectory(dir)) {
      return;
    }
    createPrivateDirectories(dir.getParent());
    try {
      OwnerOnlyFiles.createDirectory(dir);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      // Made meanwhile by another command: fine.
    } catch (IOException e) {
      throw new IOException("cannot create the directory " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The user's own key for clusters on loopback: $XDG_CONFIG_HOME/deploy/local.key. */
  static Path defaultFile() {
    String config = System.getenv("XDG_CONFIG_HOME");
    Path base =
        config != null && !config.isBlank()
            ? Path.of(config)
            : Path.of(System.getProperty("user.home"), ".config");
    return base.resolve("deploy").resolve("local.key");
  }
}
