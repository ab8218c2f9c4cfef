package dev.jdiffusion.core.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a file so that readers see either the old file or the complete new one, never a partial
 * file: the bytes go to a temporary file in the same directory, are forced to disk, the temporary file
 * is renamed over the target (an atomic rename on POSIX file systems), and the directory is forced to
 * disk so that the rename itself survives a power loss.
 *
 * <p>Temporary files are named {@code .<target>.<pid>.<random>.<suffix>}: hidden, next to their target,
 * and tagged with the process that writes them, so that what a killed process left behind can be found
 * and removed later ({@link #removeTemporaryFiles}) without touching a live writer's file. They are
 * created with the default permissions, so the process's umask applies (unlike
 * {@link Files#createTempFile}, which always creates {@code 0600}).
 *
 * <p>Every {@link IOException} thrown names the file: a full disk reports
 * {@code <file>: No space left on device}, not just the second half.
 */
public final class AtomicFiles {
  /** {@code .<target>.<pid>.<random>.<suffix>}. */
  private static final Pattern TEMPORARY = Pattern.compile("\\.(.+)\\.(\\d+)\\.([0-9a-z]+)\\.(tmp|candidate|part)");
  private static final SecureRandom RANDOM = new SecureRandom();

  private AtomicFiles() {}

  /** What to write into the stream. */
  @FunctionalInterface
  public interface Body {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code file} atomically; the parent directory is created when missing. The body may close the
   * stream it is given (that flushes it; the file is then synced and renamed into place).
   */
  public static void write(Path file, Body body) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw naming(dir, e);
    }
    Path tmp = createTemporary(file, "tmp");
    try {
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        try (OutputStream out = new java.io.BufferedOutputStream(
            java.nio.channels.Channels.newOutputStream(channel), 1 << 16)) {
          // a body may close what it was given (a ZipOutputStream closes its target): that only flushes here,
          // so that the channel stays open to be forced to disk
          body.writeTo(new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
              out.flush();
            }
          });
          out.flush();
          channel.force(true);
        }
      } catch (IOException e) {
        throw naming(file, e);
      }
      commit(tmp, file);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Creates an empty temporary file beside {@code target} (see the class comment for its name), with the
   * default permissions.
   *
   * @param suffix {@code tmp}, {@code candidate} or {@code part}
   */
  public static Path createTemporary(Path target, String suffix) throws IOException {
    if (!suffix.matches("tmp|candidate|part")) {
      throw new IllegalArgumentException("suffix must be tmp, candidate or part: " + suffix);
    }
    Path dir = target.toAbsolutePath().getParent();
    String prefix = "." + target.getFileName() + "." + ProcessHandle.current().pid() + ".";
    for (int attempt = 0; ; attempt++) {
      Path tmp = dir.resolve(prefix + Long.toString(RANDOM.nextLong() >>> 1, 36) + "." + suffix);
      try {
        Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        return tmp;
      } catch (FileAlreadyExistsException e) {
        if (attempt > 100) {
          throw e;
        }
      } catch (IOException e) {
        throw naming(tmp, e);
      }
    }
  }

  /**
   * Renames the complete temporary file {@code tmp} over {@code target} atomically and forces the
   * directory to disk. The caller has forced {@code tmp}'s bytes to disk.
   */
  public static void commit(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException(target + ": the file system cannot rename atomically (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw naming(target, e);
    }
    forceDirectory(target.toAbsolutePath().getParent());
  }

  /**
   * Forces a directory's entries (a rename, a new or deleted file) to disk. Where the platform cannot open
   * a directory for this (not Linux or macOS), nothing happens: the rename is still atomic, only its
   * durability after a power loss is left to the file system.
   */
  public static void forceDirectory(Path dir) {
    try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
      c.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // not every platform lets a directory be opened
    }
  }

  /**
   * The temporary files in {@code dir} (of any target, see the class comment) that {@code removable}
   * accepts, removed; returns them. {@link #leftBehind} accepts those whose writer has exited.
   */
  public static List<Path> removeTemporaryFiles(Path dir, java.util.function.Predicate<Path> removable)
      throws IOException {
    List<Path> removed = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return removed;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path p : files) {
        if (TEMPORARY.matcher(p.getFileName().toString()).matches() && removable.test(p)
            && Files.deleteIfExists(p)) {
          removed.add(p);
        }
      }
    } catch (IOException e) {
      throw naming(dir, e);
    }
    if (!removed.isEmpty()) {
      forceDirectory(dir);
    }
    return removed;
  }

  /** Whether {@code p} is a temporary file of this class's naming. */
  public static boolean isTemporary(Path p) {
    return TEMPORARY.matcher(p.getFileName().toString()).matches();
  }

  /** The target a temporary file was written for, if {@code p} is one. */
  public static Optional<String> targetOf(Path p) {
    Matcher m = TEMPORARY.matcher(p.getFileName().toString());
    return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /**
   * Whether the process that wrote temporary file {@code p} has exited on this machine (so the file is
   * garbage). A file whose writer is still alive, or this process's own, is not.
   */
  public static boolean leftBehind(Path p) {
    Matcher m = TEMPORARY.matcher(p.getFileName().toString());
    if (!m.matches()) {
      return false;
    }
    long pid;
    try {
      pid = Long.parseLong(m.group(2));
    } catch (NumberFormatException e) {
      return false;
    }
    return pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
  }

  /**
   * {@code e} with {@code file} in its message: unchanged when it already names a file (a
   * {@link FileSystemException} does), else an {@link IOException} {@code <file>: <message>} caused by it.
   */
  public static IOException naming(Path file, IOException e) {
    if (e instanceof FileSystemException fse && fse.getFile() != null) {
      return e;
    }
    String message = e.getMessage();
    if (message != null && message.contains(file.toString())) {
      return e;
    }
    return new IOException(file + ": " + (message == null ? e.getClass().getSimpleName() : message), e);
  }
}
