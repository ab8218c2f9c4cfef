package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.sampling.OnnxDenoiser;
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
    return SamplerMath.run(model, n, seed, steps(model.metadata().timesteps()), clipX0, onStep,
        (ab, abPrev, last) -> {
          double s = last ? 0 : eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
          double direction = Math.sqrt(Math.max(0, 1 - abPrev - s * s));
          double rootPrev = Math.sqrt(abPrev);
          return (xt, x0, eps, random) ->
              rootPrev * x0 + direction * eps + (s > 0 ? s * Gaussian.next(random) : 0);
        });
  }
}
