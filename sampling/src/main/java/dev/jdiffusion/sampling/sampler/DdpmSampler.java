package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.sampling.OnnxDenoiser;
import java.util.function.IntConsumer;

/**
 * DDPM ancestral sampling (Ho et al. 2020, algorithm 2, written with the x0 estimate): from the
 * posterior {@code q(x_prev | x_t, x0_hat)}, mean
 * {@code sqrt(ab_prev) beta / (1 - ab_t) x0_hat + sqrt(alpha) (1 - ab_prev) / (1 - ab_t) x_t} with
 * {@code alpha = ab_t / ab_prev}, {@code beta = 1 - alpha}. On fewer steps than T the betas are those of
 * the respaced chain (Nichol and Dhariwal 2021, section 4). The variance is a documented choice:
 * {@link Variance#POSTERIOR} {@code beta (1 - ab_prev)/(1 - ab_t)} (the default; the lower bound of Ho et
 * al.) or {@link Variance#BETA} {@code beta} (the upper bound). No noise is added at the last step.
 */
public record DdpmSampler(int steps, Variance variance, boolean clipX0) implements Sampler {

  /** The variance of each ancestral step. */
  public enum Variance { POSTERIOR, BETA }

  public DdpmSampler {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
  }

  @Override
  public int steps(int timesteps) {
    return Math.min(steps, timesteps);
  }

  @Override
  public float[] sample(OnnxDenoiser model, int n, long seed, IntConsumer onStep) throws OrtException {
    return SamplerMath.run(model, n, seed, steps(model.metadata().timesteps()), clipX0, onStep,
        (ab, abPrev, last) -> {
          double alpha = ab / abPrev;
          double beta = 1 - alpha;
          double cX0 = Math.sqrt(abPrev) * beta / (1 - ab);
          double cXt = Math.sqrt(alpha) * (1 - abPrev) / (1 - ab);
          double std = last ? 0
              : Math.sqrt(variance == Variance.POSTERIOR ? beta * (1 - abPrev) / (1 - ab) : beta);
          return (xt, x0, eps, random) -> cX0 * x0 + cXt * xt + (std > 0 ? std * Gaussian.next(random) : 0);
        });
  }
}
