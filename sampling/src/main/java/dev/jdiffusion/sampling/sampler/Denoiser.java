package dev.jdiffusion.sampling.sampler;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.spi.dataset.ImageShape;

/**
 * What a sampler needs of a trained network: one evaluation on a batch, and the model's metadata (the
 * alphabar table and the parameterization's estimate coefficients, {@link ModelMetadata}). Samplers read
 * nothing else, so they work for every parameterization and every schedule a model was trained with.
 * {@link dev.jdiffusion.sampling.OnnxDenoiser} is the implementation for exported models.
 */
public interface Denoiser {

  /** The model's metadata: T, alphabar, estimate coefficients, image shape, pixel range. */
  ModelMetadata metadata();

  /** The shape of one image. */
  default ImageShape shape() {
    return metadata().imageShape();
  }

  /**
   * One network evaluation.
   *
   * @param x {@code t.length} images, NCHW
   * @param t the timestep index (0 .. T-1) of each image
   * @return the network output, same layout as {@code x}
   * @throws OrtException when ONNX Runtime fails
   */
  float[] predict(float[] x, long[] t) throws OrtException;
}
