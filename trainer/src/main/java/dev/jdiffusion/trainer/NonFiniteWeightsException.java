package dev.jdiffusion.trainer;

/**
 * The weights to be checkpointed hold a NaN or an infinity (an update with finite loss and gradient can
 * still overflow them); the checkpoint was not written.
 */
public final class NonFiniteWeightsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long step;

  public NonFiniteWeightsException(long step, String message) {
    super(message);
    this.step = step;
  }

  /** The number of updates done when the weights were found non-finite. */
  public long step() {
    return step;
  }
}
