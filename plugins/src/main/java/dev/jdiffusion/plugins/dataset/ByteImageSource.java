package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;

/**
 * A {@link DatasetSource} over {@link ByteImages}: byte {@code b} becomes {@code b / 127.5 - 1}, so 0 is
 * -1 and 255 is 1; an optional border of {@code padding} pixels on every side is black (-1, i.e. byte
 * 0, the background of MNIST-style data); an optional subset picks images by index.
 */
final class ByteImageSource implements DatasetSource {
  private static final float[] SCALE = new float[256];

  static {
    for (int b = 0; b < 256; b++) {
      SCALE[b] = (float) (b / 127.5 - 1.0);
    }
  }

  private final ByteImages data;
  private final int[] indices;
  private final int padding;
  private final boolean flip;
  private final ImageShape shape;

  /**
   * @param indices the images to expose, in order, or {@code null} for all
   * @param padding border width in pixels, {@code >= 0}
   * @param flip what {@link #randomHorizontalFlip()} answers
   */
  ByteImageSource(ByteImages data, int[] indices, int padding, boolean flip) {
    this.data = data;
    this.indices = indices;
    this.padding = padding;
    this.flip = flip;
    ImageShape s = data.shape();
    this.shape = new ImageShape(s.channels(), s.height() + 2 * padding, s.width() + 2 * padding);
  }

  @Override
  public ImageShape shape() {
    return shape;
  }

  @Override
  public int size() {
    return indices == null ? data.count() : indices.length;
  }

  private int image(int index) {
    if (index < 0 || index >= size()) {
      throw new IndexOutOfBoundsException("image " + index + " of a dataset of " + size());
    }
    return indices == null ? index : indices[index];
  }

  @Override
  public void read(int index, float[] dest, int offset) {
    ImageShape raw = data.shape();
    int image = image(index);
    byte[] pixels = data.chunk(image);
    int src = data.offset(image);
    if (padding == 0) {
      for (int i = 0, n = raw.size(); i < n; i++) {
        dest[offset + i] = SCALE[pixels[src + i] & 0xff];
      }
      return;
    }
    int w = raw.width();
    int outW = shape.width();
    int d = offset;
    for (int c = 0; c < raw.channels(); c++) {
      for (int i = 0, n = padding * outW; i < n; i++) {
        dest[d++] = -1f;
      }
      for (int y = 0; y < raw.height(); y++) {
        for (int i = 0; i < padding; i++) {
          dest[d++] = -1f;
        }
        for (int x = 0; x < w; x++) {
          dest[d++] = SCALE[pixels[src++] & 0xff];
        }
        for (int i = 0; i < padding; i++) {
          dest[d++] = -1f;
        }
      }
      for (int i = 0, n = padding * outW; i < n; i++) {
        dest[d++] = -1f;
      }
    }
  }

  @Override
  public int label(int index) {
    int[] labels = data.labels();
    return labels == null ? -1 : labels[image(index)];
  }

  @Override
  public boolean randomHorizontalFlip() {
    return flip;
  }
}
