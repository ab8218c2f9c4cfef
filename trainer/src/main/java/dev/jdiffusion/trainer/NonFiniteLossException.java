package dev.jdiffusion.trainer;

/** A training step produced a NaN or infinite loss or gradient; the run stopped before applying it. */
public final class NonFiniteLossException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long step;

  public NonFiniteLossException(long step, String message) {
    super(message);
    this.step = step;
  }

  /** The 1-based number of the step that failed. */
  public long step() {
    return step;
  }
}
