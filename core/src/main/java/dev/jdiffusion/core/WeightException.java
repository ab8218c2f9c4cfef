package dev.jdiffusion.core;

/** A weighter gave a weight that cannot be used (NaN, infinite or negative); the message names the timestep. */
public final class WeightException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public WeightException(String message) {
    super(message);
  }
}
