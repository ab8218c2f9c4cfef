package dev.jdiffusion.exporter.quantize;

import dev.jdiffusion.spi.dataset.ImageShape;

/**
 * A batch of denoiser inputs: images {@code x_t} (float32, {@code [N, C, H, W]} flattened) and their
 * timestep indices {@code t} ({@code [N]}), as an exported model takes them.
 *
 * @param x {@code N * shape.size()} values
 * @param t {@code N} timesteps in {@code 0 .. T-1}
 * @param shape the image shape
 */
public record ModelInputs(float[] x, long[] t, ImageShape shape) {
  public ModelInputs {
    if (t.length == 0 || x.length != (long) t.length * shape.size()) {
      throw new IllegalArgumentException("inputs: " + x.length + " pixel values for " + t.length
          + " timesteps of images " + shape + " (expected at least one image, " + shape.size() + " values each)");
    }
  }

  /** The number of images N. */
  public int size() {
    return t.length;
  }
}
