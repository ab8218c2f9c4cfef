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
   * Checks that the directory {@code dir} can be written: it is a directory that takes a new file, or it does
   * not exist yet and its nearest existing ancestor is such a directory. Creates nothing that stays (a probe
   * file is created and deleted), so a command that stops on a later mistake leaves no empty directory.
   *
   * @param option how the user named it, e.g. {@code --out}
   * @throws UserException naming the option and the path when it cannot be written
   */
  static void requireDirectory(String option, Path dir) {
    if (dir == null) {
      return;
    }
    Path existing = dir.toAbsolutePath().normalize();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    try {
      if (existing == null || !Files.isDirectory(existing)) {
        throw new java.nio.file.NotDirectoryException(existing == null ? dir.toString() : existing.toString());
      }
      Path probe = Files.createTempFile(existing, ".write-check", ".tmp");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new UserException(option + " " + dir + ": cannot write there (" + describe(e) + ")", e);
    }
  }

  /**
   * Checks that the file {@code file} can be written: its directory can ({@link #requireDirectory}), and the
   * file itself, if it exists, is not a directory.
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
    if (e instanceof java.nio.file.NotDirectoryException) {
      return "Not a directory: " + e.getMessage();
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
