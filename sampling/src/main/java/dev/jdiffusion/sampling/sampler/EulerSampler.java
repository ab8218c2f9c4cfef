package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * Euler's method on the probability-flow ODE in sigma (Karras et al. 2022, "Elucidating the Design Space of
 * Diffusion-Based Generative Models", algorithm 1 without the second-order correction): in the variable
 * {@code x~ = x_t / sqrt(ab_t) = x0 + sigma eps} with {@code sigma = sqrt((1 - ab) / ab)}, the ODE is
 * {@code dx~/dsigma = (x~ - D(x~; sigma)) / sigma = eps_hat}, and each step is
 * {@code x~_(i+1) = x~_i + (sigma_(i+1) - sigma_i) eps_hat_i}, down to sigma = 0 after the last evaluation.
 * Algebraically this is deterministic DDIM on the same grid (Karras et al., section 4); a step from
 * sigma = infinity (zero terminal SNR) is taken in its limit form {@code x~_(i+1) = D_i + sigma_(i+1) eps_hat_i}.
 * First order: halving the step size about halves the error.
 *
 * @param steps network evaluations (at most T)
 * @param spacing the grid (default {@link Spacing#KARRAS})
 * @param clipX0 clip the x0 estimate D to the model's pixel range at every step
 */
public record EulerSampler(int steps, Spacing spacing, boolean clipX0) implements Sampler {
  public EulerSampler {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
    Objects.requireNonNull(spacing, "spacing");
  }

  @Override
  public String name() {
    return "euler";
  }

  @Override
  public int steps(int timesteps) {
    return Math.min(steps, timesteps);
  }

  @Override
  public int[] timesteps(ModelMetadata model) {
    return spacing.timesteps(model.alphabar(), Math.min(steps, model.timesteps()));
  }

  @Override
  public float[] sample(Denoiser model, Noise noise, long firstImage, int n, IntConsumer onStep) throws OrtException {
    return KarrasOde.solve(model, noise, firstImage, n, onStep, timesteps(model.metadata()), clipX0, false);
  }
}
