package dev.jdiffusion.cli;

/** A mistake in how a command was called; printed as one line, exit code 2. */
public final class UserException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UserException(String message) {
    super(message);
  }

  public UserException(String message, Throwable cause) {
    super(message, cause);
  }
}
