package dev.jdiffusion.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before long work starts, that a command will be able to write its outputs: a mistyped or
 * read-only {@code --out} fails at once with one line, not after minutes of training or sampling.
 */
final class Writable {
  private Writable() {}

  /**
   * Makes sure the directory {@code dir} exists (creating it) and that a file can be created in it.
   *
   * @param option how the user named it, e.g. {@code --out}
   * @throws UserException naming the option and the path when it cannot be written
   */
  static void requireDirectory(String option, Path dir) {
    if (dir == null) {
      return;
    }
    try {
      Files.createDirectories(dir);
      Path probe = Files.createTempFile(dir, ".write-check", ".tmp");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new UserException(option + " " + dir + ": cannot write there (" + describe(e) + ")", e);
    }
  }

  /**
   * Makes sure the directory {@code dir} could be created and written, without creating anything: the
   * nearest existing ancestor must be a writable directory (or {@code dir} itself an existing writable one).
   * For commands that refuse bad configurations without leaving an empty output directory behind.
   *
   * @param option how the user named it, e.g. {@code --out}
   * @throws UserException naming the option and the path when it cannot be written
   */
  static void requireCreatable(String option, Path dir) {
    if (dir == null) {
      return;
    }
    Path existing = dir.toAbsolutePath().normalize();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return;
    }
    if (!Files.isDirectory(existing)) {
      throw new UserException(option + " " + dir + ": cannot write there (Not a directory: " + existing + ")");
    }
    if (!Files.isWritable(existing)) {
      throw new UserException(option + " " + dir + ": cannot write there (permission denied: " + existing + ")");
    }
  }

  /**
   * Makes sure the file {@code file} can be written: its directory exists (it is created) and takes new
   * files, and the file itself, if it exists, is a regular file.
   *
   * @param option how the user named it, e.g. {@code --out}
   * @throws UserException naming the option and the path when it cannot be written
   */
  static void requireParent(String option, Path file) {
    if (file == null) {
      return;
    }
    if (Files.isDirectory(file)) {
      throw new UserException(option + " " + file + ": is a directory, expected a file name");
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      try {
        requireDirectory(option, parent);
      } catch (UserException e) {
        throw new UserException(option + " " + file + ": cannot write its directory " + parent + " ("
            + describe(e.getCause()) + ")", e.getCause());
      }
    }
  }

  private static String describe(Throwable e) {
    if (e instanceof java.nio.file.FileAlreadyExistsException) {
      return "a file is in the way: " + e.getMessage();
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
