package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.sampling.OnnxDenoiser;
import java.util.Arrays;
import java.util.SplittableRandom;
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
    ModelMetadata m = model.metadata();
    int size = n * model.shape().size();
    SplittableRandom random = new SplittableRandom(seed);
    float[] x = new float[size];
    for (int i = 0; i < size; i++) {
      x[i] = (float) Gaussian.next(random);
    }
    int[] ts = SamplerMath.timesteps(m.timesteps(), steps(m.timesteps()));
    double[] x0 = new double[size];
    double[] eps = new double[size];
    long[] tIn = new long[n];
    for (int k = 0; k < ts.length; k++) {
      int t = ts[k];
      Arrays.fill(tIn, t);
      float[] out = model.predict(x, tIn);
      SamplerMath.estimates(m, t, x, out, clipX0, x0, eps);
      boolean last = k + 1 == ts.length;
      double ab = m.alphabar()[t];
      double abPrev = last ? 1.0 : m.alphabar()[ts[k + 1]];
      double alpha = ab / abPrev;
      double beta = 1 - alpha;
      double cX0 = Math.sqrt(abPrev) * beta / (1 - ab);
      double cXt = Math.sqrt(alpha) * (1 - abPrev) / (1 - ab);
      double std = last ? 0
          : Math.sqrt(variance == Variance.POSTERIOR ? beta * (1 - abPrev) / (1 - ab) : beta);
      for (int i = 0; i < size; i++) {
        double next = cX0 * x0[i] + cXt * x[i];
        if (std > 0) {
          next += std * Gaussian.next(random);
        }
        x[i] = (float) next;
      }
      onStep.accept(k + 1);
    }
    return x;
  }
}
