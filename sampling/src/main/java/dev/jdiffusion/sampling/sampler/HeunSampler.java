package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * Heun's second-order method on the probability-flow ODE in sigma (Karras et al. 2022, algorithm 1; their
 * algorithm 2 with S_churn = 0): an Euler predictor {@code x~' = x~_i + (sigma_(i+1) - sigma_i) d_i}, then
 * {@code x~_(i+1) = x~_i + (sigma_(i+1) - sigma_i) (d_i + d'(x~'; sigma_(i+1))) / 2}, with
 * {@code d = eps_hat = (x~ - D) / sigma}; the step to sigma = 0 is an Euler step (the correction would
 * divide by sigma = 0). {@code steps} grid points therefore cost {@code 2 steps - 1} network evaluations.
 * A step from sigma = infinity (zero terminal SNR) is an Euler step too (the correction has no finite limit
 * there). Second order: halving the step size cuts the error about 4x.
 *
 * <p>Not included: algorithm 2's "churn" (noise added to raise sigma before each step), which evaluates the
 * network between the table's timesteps.
 *
 * @param steps grid points (at most T); network evaluations are {@code 2 steps - 1}
 * @param spacing the grid (default {@link Spacing#KARRAS})
 * @param clipX0 clip the x0 estimate D to the model's pixel range at every evaluation
 */
public record HeunSampler(int steps, Spacing spacing, boolean clipX0) implements Sampler {
  public HeunSampler {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
    Objects.requireNonNull(spacing, "spacing");
  }

  @Override
  public String name() {
    return "heun";
  }

  @Override
  public int steps(int timesteps) {
    return 2 * Math.min(steps, timesteps) - 1;
  }

  @Override
  public int evaluations(ModelMetadata model) {
    int[] ts = timesteps(model);
    return 2 * ts.length - 1 - (model.alphabar()[ts[0]] == 0 ? 1 : 0);
  }

  @Override
  public int[] timesteps(ModelMetadata model) {
    return spacing.timesteps(model.alphabar(), Math.min(steps, model.timesteps()));
  }

  @Override
  public float[] sample(Denoiser model, Noise noise, long firstImage, int n, IntConsumer onStep) throws OrtException {
    return KarrasOde.solve(model, noise, firstImage, n, onStep, timesteps(model.metadata()), clipX0, true);
  }
}
