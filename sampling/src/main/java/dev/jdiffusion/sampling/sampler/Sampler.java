package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import java.util.function.IntConsumer;

/**
 * Draws images from a denoiser, from pure noise down to t = 0. Implementations are immutable and safe to
 * share; {@link Samplers#create} makes one from its name.
 */
public interface Sampler {

  /**
   * Draws images {@code firstImage .. firstImage + n - 1} of a sample: image {@code i} starts from, and is
   * perturbed by, {@code noise}'s values for image {@code i} only, so a sample drawn in several batches equals
   * the same sample drawn at once.
   *
   * @param onStep called after each network evaluation with the number of evaluations done so far
   * @return {@code n} images, NCHW, in the model's pixel range (clipped only if the sampler clips x0)
   * @throws OrtException when ONNX Runtime fails
   */
  float[] sample(Denoiser model, Noise noise, long firstImage, int n, IntConsumer onStep) throws OrtException;

  /**
   * Draws images {@code 0 .. n-1} with {@link Noise#seeded(long) seeded noise}.
   *
   * @param seed the noise seed: the same seed, model and settings give the same images
   */
  default float[] sample(Denoiser model, int n, long seed, IntConsumer onStep) throws OrtException {
    return sample(model, Noise.seeded(seed), 0, n, onStep);
  }

  /**
   * The number of network evaluations per image on a model with {@code timesteps} timesteps and a finite
   * terminal sigma; {@link #evaluations} is exact for a given model.
   */
  int steps(int timesteps);

  /**
   * The number of network evaluations per image on {@code model} (Heun makes one fewer than {@link #steps} when
   * its grid starts at zero terminal SNR, where its first step is an Euler step).
   *
   * @throws IllegalArgumentException when the grid cannot be formed on this model
   */
  default int evaluations(ModelMetadata model) {
    timesteps(model);
    return steps(model.timesteps());
  }

  /**
   * The grid this sampler evaluates on {@code model}, noisiest first (Heun evaluates each point but the first
   * twice).
   *
   * @throws IllegalArgumentException when the grid cannot be formed on this model (see {@link Spacing#timesteps})
   */
  int[] timesteps(ModelMetadata model);

  /** The timestep grid. */
  Spacing spacing();

  /** The sampler's name as {@link Samplers#create} takes it, e.g. {@code dpmpp-2m}. */
  String name();
}
