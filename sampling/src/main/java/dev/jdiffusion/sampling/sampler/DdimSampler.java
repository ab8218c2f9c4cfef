package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * DDIM (Song, Meng and Ermon 2021, "Denoising Diffusion Implicit Models", eq. 12) on a subsequence of
 * {@code steps} timesteps: {@code x_prev = sqrt(ab_prev) x0_hat + sqrt(1 - ab_prev - s^2) eps_hat + s z}
 * with {@code s = eta sqrt((1 - ab_prev) / (1 - ab_t)) sqrt(1 - ab_t / ab_prev)} (eq. 16); {@code eta = 0}
 * is the deterministic sampler (the same as {@link EulerSampler} on the same grid), {@code eta = 1} has
 * DDPM's posterior variance. After the last step the result is {@code x0_hat}. The noise of update {@code k}
 * is {@link Noise} draw {@code k}.
 *
 * @param steps number of network evaluations (at most T)
 * @param spacing the timestep grid
 * @param eta stochasticity, in [0, 1]
 * @param clipX0 clip the x0 estimate to the model's pixel range at every step
 */
public record DdimSampler(int steps, Spacing spacing, double eta, boolean clipX0) implements Sampler {
  public DdimSampler {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
    if (!(eta >= 0 && eta <= 1)) {
      throw new IllegalArgumentException("eta must be in [0, 1], got " + eta);
    }
    Objects.requireNonNull(spacing, "spacing");
  }

  /** On {@link Spacing#TRAILING} timesteps. */
  public DdimSampler(int steps, double eta, boolean clipX0) {
    this(steps, Spacing.TRAILING, eta, clipX0);
  }

  @Override
  public String name() {
    return "ddim";
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
    Chain c = new Chain(model, noise, firstImage, n, clipX0, onStep);
    int[] ts = timesteps(c.metadata);
    double[] x = c.start();
    double[] x0 = new double[c.length];
    double[] eps = new double[c.length];
    double[] z = new double[c.length];
    for (int k = 0; k < ts.length; k++) {
      int t = ts[k];
      boolean last = k + 1 == ts.length;
      double ab = c.alphabar[t];
      double abPrev = last ? 1 : c.alphabar[ts[k + 1]];
      double s = last ? 0 : eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
      double direction = Math.sqrt(Math.max(0, 1 - abPrev - s * s));
      double rootPrev = Math.sqrt(abPrev);
      c.evaluate(x, t, x0, eps);
      if (s > 0) {
        c.noise(k + 1, z);
      }
      for (int i = 0; i < c.length; i++) {
        x[i] = rootPrev * x0[i] + direction * eps[i] + (s > 0 ? s * z[i] : 0);
      }
    }
    return Chain.toFloats(x);
  }
}
