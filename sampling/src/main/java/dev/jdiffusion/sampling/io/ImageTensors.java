package dev.jdiffusion.sampling.io;

import dev.jdiffusion.spi.dataset.ImageShape;

/** Conversions of NCHW float images between channel counts, sizes and pixel ranges. */
public final class ImageTensors {
  /** ITU-R BT.601 luma weights, as PIL's {@code convert('L')} uses. */
  private static final double[] LUMA = {0.299, 0.587, 0.114};

  private ImageTensors() {}

  /**
   * Converts {@code n} images between 1 and 3 channels: gray to RGB by replicating the channel, RGB to gray by
   * BT.601 luma ({@code 0.299 R + 0.587 G + 0.114 B}). Returns the input when the counts agree.
   */
  public static float[] channels(float[] images, int n, ImageShape from, int channels) {
    int c = from.channels();
    if (c == channels) {
      return images;
    }
    int plane = from.height() * from.width();
    float[] out = new float[n * channels * plane];
    if (c == 1 && channels == 3) {
      for (int i = 0; i < n; i++) {
        for (int k = 0; k < 3; k++) {
          System.arraycopy(images, i * plane, out, (i * 3 + k) * plane, plane);
        }
      }
    } else if (c == 3 && channels == 1) {
      for (int i = 0; i < n; i++) {
        for (int p = 0; p < plane; p++) {
          double v = 0;
          for (int k = 0; k < 3; k++) {
            v += LUMA[k] * images[(i * 3 + k) * plane + p];
          }
          out[i * plane + p] = (float) v;
        }
      }
    } else {
      throw new IllegalArgumentException("cannot convert images with " + c + " channels to " + channels
          + " (only 1 <-> 3)");
    }
    return out;
  }

  /**
   * Bilinear resize of {@code n} images with half-pixel centres and edge clamping, the convention of
   * PyTorch's {@code F.interpolate(mode='bilinear', align_corners=False)} (no antialiasing), which
   * pytorch-fid uses to bring images to 299x299. Returns the input when the size is unchanged.
   */
  public static float[] resize(float[] images, int n, ImageShape from, int height, int width) {
    int h = from.height();
    int w = from.width();
    if (h == height && w == width) {
      return images;
    }
    int c = from.channels();
    float[] out = new float[n * c * height * width];
    double sy = (double) h / height;
    double sx = (double) w / width;
    int[] x0 = new int[width];
    int[] x1 = new int[width];
    double[] fx = new double[width];
    for (int x = 0; x < width; x++) {
      double src = Math.max(0, (x + 0.5) * sx - 0.5);
      x0[x] = Math.min((int) src, w - 1);
      x1[x] = Math.min(x0[x] + 1, w - 1);
      fx[x] = src - x0[x];
    }
    for (int plane = 0; plane < n * c; plane++) {
      int in = plane * h * w;
      int o = plane * height * width;
      for (int y = 0; y < height; y++) {
        double src = Math.max(0, (y + 0.5) * sy - 0.5);
        int y0 = Math.min((int) src, h - 1);
        int y1 = Math.min(y0 + 1, h - 1);
        double fy = src - y0;
        for (int x = 0; x < width; x++) {
          double top = images[in + y0 * w + x0[x]] * (1 - fx[x]) + images[in + y0 * w + x1[x]] * fx[x];
          double bottom = images[in + y1 * w + x0[x]] * (1 - fx[x]) + images[in + y1 * w + x1[x]] * fx[x];
          out[o + y * width + x] = (float) (top * (1 - fy) + bottom * fy);
        }
      }
    }
    return out;
  }

  /**
   * Pads {@code n} images by {@code border} pixels of {@code value} on every side (e.g. 28x28 Fashion-MNIST
   * to 32x32 with border 2 and value -1, black). Returns the input when the border is 0.
   */
  public static float[] pad(float[] images, int n, ImageShape from, int border, float value) {
    if (border < 0) {
      throw new IllegalArgumentException("border must be >= 0, got " + border);
    }
    if (border == 0) {
      return images;
    }
    int h = from.height();
    int w = from.width();
    int ph = h + 2 * border;
    int pw = w + 2 * border;
    float[] out = new float[n * from.channels() * ph * pw];
    java.util.Arrays.fill(out, value);
    for (int plane = 0; plane < n * from.channels(); plane++) {
      for (int y = 0; y < h; y++) {
        System.arraycopy(images, (plane * h + y) * w, out, (plane * ph + y + border) * pw + border, w);
      }
    }
    return out;
  }

  /** Maps values linearly from [-1, 1] to [min, max] (identity when min = -1 and max = 1). */
  public static float[] pixelRange(float[] images, double min, double max) {
    if (min == -1 && max == 1) {
      return images;
    }
    float[] out = new float[images.length];
    double half = (max - min) / 2;
    for (int i = 0; i < images.length; i++) {
      out[i] = (float) (min + (images[i] + 1) * half);
    }
    return out;
  }
}
