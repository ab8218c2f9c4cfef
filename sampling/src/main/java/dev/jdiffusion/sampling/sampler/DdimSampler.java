package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.sampling.OnnxDenoiser;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * DDIM (Song, Meng and Ermon 2021, "Denoising Diffusion Implicit Models", eq. 12) on a subsequence of
 * {@code steps} timesteps: {@code x_prev = sqrt(ab_prev) x0_hat + sqrt(1 - ab_prev - s^2) eps_hat + s z}
 * with {@code s = eta sqrt((1 - ab_prev) / (1 - ab_t)) sqrt(1 - ab_t / ab_prev)}; {@code eta = 0} is the
 * deterministic sampler, {@code eta = 1} has DDPM's posterior variance. After the last step the result
 * is {@code x0_hat} at t = 0.
 *
 * @param steps number of network evaluations
 * @param eta stochasticity, in [0, 1]
 * @param clipX0 clip the x0 estimate to the model's pixel range at every step
 */
public record DdimSampler(int steps, double eta, boolean clipX0) implements Sampler {
  public DdimSampler {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
    if (!(eta >= 0 && eta <= 1)) {
      throw new IllegalArgumentException("eta must be in [0, 1], got " + eta);
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
      double abPrev = k + 1 < ts.length ? m.alphabar()[ts[k + 1]] : 1.0;
      double ab = m.alphabar()[t];
      double s = k + 1 < ts.length
          ? eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev)
          : 0;
      double dirCoef = Math.sqrt(Math.max(0, 1 - abPrev - s * s));
      double rootPrev = Math.sqrt(abPrev);
      for (int i = 0; i < size; i++) {
        double next = rootPrev * x0[i] + dirCoef * eps[i];
        if (s > 0) {
          next += s * Gaussian.next(random);
        }
        x[i] = (float) next;
      }
      onStep.accept(k + 1);
    }
    return x;
  }
}
