package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.spi.dataset.ImageShape;

/**
 * Decoded images held in memory as unsigned bytes, channels first ({@code count * C * H * W} values),
 * with optional labels: the compact form every built-in dataset reads its files into.
 *
 * @param shape the shape of one image
 * @param pixels {@code count * shape.size()} bytes, 0 = black, 255 = white
 * @param labels one label per image, or {@code null} when the data has none
 * @param count the number of images
 */
record ByteImages(ImageShape shape, byte[] pixels, int[] labels, int count) {

  ByteImages {
    if ((long) count * shape.size() != pixels.length) {
      throw new IllegalArgumentException(
          count + " images of " + shape + " need " + (long) count * shape.size() + " bytes, got "
              + pixels.length);
    }
    if (labels != null && labels.length != count) {
      throw new IllegalArgumentException(count + " images need " + count + " labels, got " + labels.length);
    }
  }
}
