package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic
 * Models", algorithm 2): a multistep second-order solver of the probability-flow ODE in data-prediction form.
 * With {@code alpha_t = sqrt(ab_t)}, {@code sigma_t = sqrt(1 - ab_t)}, {@code lambda_t = log(alpha_t / sigma_t)}
 * and {@code h_i = lambda_(i+1) - lambda_i}, each step is
 * {@code x_(i+1) = (sigma_(i+1) / sigma_i) x_i - alpha_(i+1) (e^(-h_i) - 1) D_i}, where D_i is the x0 estimate
 * at the first step and, after it, the extrapolation
 * {@code (1 + 1/(2 r)) x0_hat_i - 1/(2 r) x0_hat_(i-1)} with {@code r = h_(i-1) / h_i}. The step to the clean
 * image (lambda = infinity) is first order, so the result is the last x0 estimate; a step from zero terminal SNR
 * (lambda = -infinity) is finite in this form and first order. One network evaluation per step.
 *
 * @param steps network evaluations (at most T)
 * @param spacing the grid (default {@link Spacing#LOGSNR}, the paper's choice for pixel-space models)
 * @param clipX0 clip the x0 estimate to the model's pixel range at every step (the paper's "thresholding" in its
 *     simplest, static form)
 */
public record Dpmpp2mSampler(int steps, Spacing spacing, boolean clipX0) implements Sampler {
  public Dpmpp2mSampler {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
    Objects.requireNonNull(spacing, "spacing");
  }

  @Override
  public String name() {
    return "dpmpp-2m";
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
    double[] previous = new double[c.length];
    double[] eps = new double[c.length];
    double hPrevious = Double.NaN;
    for (int k = 0; k < ts.length; k++) {
      int t = ts[k];
      c.evaluate(x, t, x0, eps);
      if (k + 1 == ts.length) {
        System.arraycopy(x0, 0, x, 0, c.length);
        break;
      }
      double ab = c.alphabar[t];
      double abNext = c.alphabar[ts[k + 1]];
      double h = lambda(abNext) - lambda(ab);             // +infinity from zero terminal SNR
      double ratio = Math.sqrt((1 - abNext) / (1 - ab));
      double coefficient = -Math.sqrt(abNext) * Math.expm1(-h);
      boolean secondOrder = k > 0 && Double.isFinite(hPrevious) && Double.isFinite(h);
      double r = hPrevious / h;
      double w = secondOrder ? 1 / (2 * r) : 0;
      for (int i = 0; i < c.length; i++) {
        double d = (1 + w) * x0[i] - w * previous[i];
        x[i] = ratio * x[i] + coefficient * d;
      }
      System.arraycopy(x0, 0, previous, 0, c.length);
      hPrevious = h;
    }
    return Chain.toFloats(x);
  }

  /** {@code lambda = log(alpha / sigma) = (log ab - log(1 - ab)) / 2}. */
  private static double lambda(double ab) {
    return 0.5 * (Math.log(ab) - Math.log1p(-ab));
  }
}
