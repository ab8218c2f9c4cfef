package dev.jdiffusion.trainer;

import java.nio.file.Path;

/**
 * A run directory cannot be used as asked: it holds another run, another process trains in it, or
 * {@code --resume} asked to continue it with a different objective, optimizer, data or network. Nothing in
 * the directory was changed. The message names the directory and the choices.
 */
public class RunDirectoryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Path directory;

  public RunDirectoryException(Path directory, String message) {
    super(message);
    this.directory = directory;
  }

  /** The run directory. */
  public Path directory() {
    return directory;
  }

  /** Another process holds the directory's lock. */
  public static final class Locked extends RunDirectoryException {
    private static final long serialVersionUID = 1L;

    public Locked(Path directory, String message) {
      super(directory, message);
    }
  }
}
