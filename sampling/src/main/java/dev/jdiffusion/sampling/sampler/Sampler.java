package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.sampling.OnnxDenoiser;
import java.util.function.IntConsumer;

/** Draws images from a denoiser, from pure noise at the last timestep down to t = 0. */
public interface Sampler {

  /**
   * Draws {@code n} images.
   *
   * @param seed the noise seed: the same seed, model and settings give the same images
   * @param onStep called after each network evaluation with the number of evaluations done so far
   * @return {@code n} images, NCHW, in the model's pixel range (clipped only if the sampler clips x0)
   */
  float[] sample(OnnxDenoiser model, int n, long seed, IntConsumer onStep) throws OrtException;

  /** The number of network evaluations per image. */
  int steps(int timesteps);
}
