package dev.jdiffusion.core.data;

import dev.jdiffusion.spi.dataset.ImageShape;

/**
 * One batch of images, float32 NCHW: image {@code i}, channel {@code c}, row {@code y}, column {@code x}
 * is {@code pixels[((i * C + c) * H + y) * W + x]}, scaled to {@code [-1, 1]}.
 *
 * <p>The arrays belong to the batch (the loader never reuses them), so a consumer may keep or modify
 * them.
 *
 * @param pixels {@code size * shape.size()} values
 * @param labels one class label per image, {@code -1} when the dataset has none
 * @param size the number of images
 * @param shape the shape of one image
 */
public record Batch(float[] pixels, int[] labels, int size, ImageShape shape) {

  public Batch {
    if (size < 0) {
      throw new IllegalArgumentException("batch size must be >= 0, got " + size);
    }
    if ((long) size * shape.size() != pixels.length) {
      throw new IllegalArgumentException(
          "a batch of " + size + " images of " + shape + " needs " + (long) size * shape.size()
              + " pixel values, got " + pixels.length);
    }
    if (labels.length != size) {
      throw new IllegalArgumentException(
          "a batch of " + size + " images needs " + size + " labels, got " + labels.length);
    }
  }

  /** The tensor shape {@code {N, C, H, W}}, e.g. for {@code ai.djl.ndarray.types.Shape}. */
  public long[] nchw() {
    return new long[] {size, shape.channels(), shape.height(), shape.width()};
  }
}
