package dev.jdiffusion.trainer;

/** A run stopped before its last step; the message says at which step, why, and what was kept. */
public final class TrainingStoppedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TrainingStoppedException(String message, Throwable cause) {
    super(message, cause);
  }
}
