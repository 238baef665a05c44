package dev.deploy.program;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * A problem with a program's class path or jars, for the user: its message is one sentence naming
 * the entry or jar at fault, and no stack trace is needed to act on it.
 */
public final class ProgramException extends Exception {
  private static final long serialVersionUID = 1L;

  /** A problem described by {@code message}, one sentence naming the entry or jar at fault. */
  public ProgramException(String message) {
    super(message);
  }

  /** A problem described by {@code message}, caused by {@code cause} (kept for debugging only). */
  public ProgramException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Returns what went wrong in words, since a bare {@link FileSystemException} message is a path,
   * for the end of a sentence that already names the file.
   */
  static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof FileAlreadyExistsException fae) {
      return fae.getFile() + " is in the way, and it is not a directory";
    }
    if (e instanceof NotDirectoryException nde) {
      return nde.getFile() + " is not a directory";
    }
    if (e instanceof FileSystemException fse && fse.getReason() != null) {
      return fse.getReason();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
