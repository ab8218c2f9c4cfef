package dev.jdiffusion.trainer;

/**
 * Dynamic loss scaling for float16 training (Micikevicius et al. 2018, section 3.2): the loss is multiplied by
 * a scale {@code S} before backward so that small gradients do not flush to zero in float16, and the float32
 * gradients are divided by {@code S} before clipping and the update. When a gradient overflows (is not
 * finite), the update is skipped and {@code S} halves; after {@code growthInterval} finite steps in a row
 * it doubles. The defaults (start {@code 2^16}, interval 2000, factors 2 and 1/2) are those PyTorch's
 * {@code GradScaler} documents.
 *
 * <p>With bfloat16 or float32 no scaling is needed: {@link #none()} keeps {@code S = 1} and never skips.
 */
public final class LossScaler {
  private final boolean dynamic;
  private final int growthInterval;
  private double scale;
  private int finiteSteps;

  private LossScaler(boolean dynamic, double scale, int growthInterval) {
    this.dynamic = dynamic;
    this.scale = scale;
    this.growthInterval = growthInterval;
  }

  /** No scaling: {@code S = 1} always, non-finite gradients are errors. */
  public static LossScaler none() {
    return new LossScaler(false, 1, Integer.MAX_VALUE);
  }

  /** Dynamic scaling with PyTorch {@code GradScaler}'s defaults. */
  public static LossScaler dynamic() {
    return dynamic(65536.0, 2000);
  }

  /** Dynamic scaling from {@code initialScale}, doubling after {@code growthInterval} finite steps in a row. */
  public static LossScaler dynamic(double initialScale, int growthInterval) {
    if (!(initialScale > 0) || growthInterval < 1) {
      throw new IllegalArgumentException("initialScale must be > 0 and growthInterval >= 1");
    }
    return new LossScaler(true, initialScale, growthInterval);
  }

  /**
   * Where a dynamic scaler stands, as a checkpoint keeps it: the scale and the finite steps in a row since it
   * last changed. A run resumed from it goes on as if it had not stopped.
   */
  public record State(double scale, int finiteSteps) {
    public State {
      if (!(scale > 0) || Double.isInfinite(scale) || finiteSteps < 0) {
        throw new IllegalArgumentException("loss scale must be finite and > 0 and finite steps >= 0, got scale "
            + scale + ", finite steps " + finiteSteps);
      }
    }
  }

  /** This scaler's state (only a dynamic scaler has one worth keeping). */
  public State state() {
    return new State(scale, finiteSteps);
  }

  /**
   * Continues from {@code state}: its scale and finite steps, with this scaler's growth interval.
   *
   * @throws IllegalStateException for a scaler that does not scale ({@link #none()})
   */
  public void restore(State state) {
    if (!dynamic) {
      throw new IllegalStateException("only a dynamic loss scaler has a scale to restore");
    }
    scale = state.scale();
    finiteSteps = state.finiteSteps();
  }

  /** Whether this scaler scales (and skips overflowing steps). */
  public boolean isDynamic() {
    return dynamic;
  }

  /** The current scale {@code S}. */
  public double scale() {
    return scale;
  }

  /**
   * Records the outcome of one backward pass taken at the current scale and adapts the scale.
   *
   * @param gradientsFinite whether every gradient (still scaled) was finite
   * @return whether the update may be applied: {@code true} for finite gradients; for non-finite ones
   *     {@code false} with dynamic scaling (the scale halved, the step to be skipped)
   */
  public boolean update(boolean gradientsFinite) {
    if (!dynamic) {
      return gradientsFinite;
    }
    if (!gradientsFinite) {
      scale /= 2;
      finiteSteps = 0;
      return false;
    }
    if (++finiteSteps >= growthInterval) {
      scale *= 2;
      finiteSteps = 0;
    }
    return true;
  }
}
