package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import java.util.Locale;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * DDPM ancestral sampling (Ho et al. 2020, algorithm 2, written with the x0 estimate): from the
 * posterior {@code q(x_prev | x_t, x0_hat)}, mean
 * {@code sqrt(ab_prev) beta / (1 - ab_t) x0_hat + sqrt(alpha) (1 - ab_prev) / (1 - ab_t) x_t} with
 * {@code alpha = ab_t / ab_prev}, {@code beta = 1 - alpha}. On fewer steps than T the betas are those of
 * the respaced chain (Nichol and Dhariwal 2021, section 4). The variance is a documented choice:
 * {@link Variance#POSTERIOR} {@code beta (1 - ab_prev)/(1 - ab_t)} (the default; the lower bound of Ho et
 * al.) or {@link Variance#BETA} {@code beta} (the upper bound). No noise is added at the last step; the
 * noise of update {@code k} is {@link Noise} draw {@code k}.
 *
 * @param steps number of network evaluations (at most T)
 * @param spacing the timestep grid
 * @param variance the variance of each step
 * @param clipX0 clip the x0 estimate to the model's pixel range at every step
 */
public record DdpmSampler(int steps, Spacing spacing, Variance variance, boolean clipX0) implements Sampler {

  /** The variance of each ancestral step. */
  public enum Variance {
    /** {@code beta (1 - ab_prev) / (1 - ab_t)}: the true posterior's, Ho et al.'s lower bound. */
    POSTERIOR,
    /** {@code beta}: Ho et al.'s upper bound. */
    BETA;

    /** The lower-case name used on the command line. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** {@code posterior} or {@code beta}; any other value throws naming it. */
    public static Variance parse(String name) {
      return switch (name.toLowerCase(Locale.ROOT)) {
        case "posterior" -> POSTERIOR;
        case "beta" -> BETA;
        default -> throw new IllegalArgumentException("'" + name + "' is not one of posterior, beta");
      };
    }
  }

  public DdpmSampler {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
    Objects.requireNonNull(spacing, "spacing");
    Objects.requireNonNull(variance, "variance");
  }

  /** On {@link Spacing#TRAILING} timesteps. */
  public DdpmSampler(int steps, Variance variance, boolean clipX0) {
    this(steps, Spacing.TRAILING, variance, clipX0);
  }

  @Override
  public String name() {
    return "ddpm";
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
      double alpha = ab / abPrev;
      double beta = 1 - alpha;
      double cX0 = Math.sqrt(abPrev) * beta / (1 - ab);
      double cXt = Math.sqrt(alpha) * (1 - abPrev) / (1 - ab);
      double std = last ? 0 : Math.sqrt(variance == Variance.POSTERIOR ? beta * (1 - abPrev) / (1 - ab) : beta);
      c.evaluate(x, t, x0, eps);
      if (std > 0) {
        c.noise(k + 1, z);
      }
      for (int i = 0; i < c.length; i++) {
        x[i] = cX0 * x0[i] + cXt * x[i] + (std > 0 ? std * z[i] : 0);
      }
    }
    return Chain.toFloats(x);
  }
}
