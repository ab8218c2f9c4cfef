package dev.jdiffusion.plugins.dataset;

import java.util.Locale;

/**
 * Separable image resampling with a choice of filter, in the manner of Pillow's {@code Image.resize}
 * (src/libImaging/Resample.c): each output pixel is a normalised weighted sum of the input pixels whose
 * centres lie within the filter's support around the output pixel's centre mapped into the input, and
 * when shrinking the support is widened by the scale factor, so that downscaling averages (antialiases)
 * instead of skipping pixels. Pixel centres sit at half-integers; the mapping is
 * {@code x_in = (x_out + 0.5) * in / out}.
 */
final class Resampler {

  /** The resampling filters, named as in Pillow. */
  enum Filter {
    /** The input pixel whose area holds the output pixel's centre. */
    NEAREST(0.5),
    /** Area average: a box of width 1 (times the scale factor when shrinking). */
    BOX(0.5),
    /** Triangle (tent), support 1: linear interpolation, antialiased when shrinking. */
    BILINEAR(1.0),
    /** Keys' cubic convolution with a = -0.5, support 2. */
    BICUBIC(2.0),
    /** Lanczos windowed sinc, support 3. */
    LANCZOS(3.0);

    final double support;

    Filter(double support) {
      this.support = support;
    }

    double weight(double x) {
      double a = Math.abs(x);
      return switch (this) {
        // Pillow's box_filter: a sample exactly half a pixel right of the centre counts, one left does not
        case NEAREST, BOX -> (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;
        case BILINEAR -> a < 1 ? 1 - a : 0;
        case BICUBIC -> {
          double c = -0.5;
          if (a < 1) {
            yield ((c + 2) * a - (c + 3)) * a * a + 1;
          }
          yield a < 2 ? (((a - 5) * a + 8) * a - 4) * c : 0;
        }
        case LANCZOS -> a < 3 ? sinc(x) * sinc(x / 3) : 0;
      };
    }

    /** The lower-case name used in configurations. */
    String id() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Filter parse(String id) {
      for (Filter f : values()) {
        if (f.id().equals(id)) {
          return f;
        }
      }
      return null;
    }

    private static double sinc(double x) {
      if (x == 0) {
        return 1;
      }
      double px = Math.PI * x;
      return Math.sin(px) / px;
    }
  }

  /** The contributions of input pixels to each output pixel along one axis. */
  private record Axis(int[] first, int[] count, double[][] weights) {}

  private Resampler() {}

  private static Axis axis(int in, int out, Filter filter) {
    double scale = (double) in / out;
    int[] first = new int[out];
    int[] count = new int[out];
    double[][] weights = new double[out][];
    if (filter == Filter.NEAREST) {
      for (int o = 0; o < out; o++) {
        first[o] = Math.min(in - 1, (int) Math.floor((o + 0.5) * scale));
        count[o] = 1;
        weights[o] = new double[] {1.0};
      }
      return new Axis(first, count, weights);
    }
    double stretch = Math.max(scale, 1.0);
    double support = filter.support * stretch;
    for (int o = 0; o < out; o++) {
      double centre = (o + 0.5) * scale;
      int lo = Math.max(0, (int) Math.floor(centre - support));
      int hi = Math.min(in, (int) Math.ceil(centre + support));
      double[] w = new double[hi - lo];
      double sum = 0;
      for (int i = lo; i < hi; i++) {
        w[i - lo] = filter.weight((i + 0.5 - centre) / stretch);
        sum += w[i - lo];
      }
      if (sum != 0) {
        for (int k = 0; k < w.length; k++) {
          w[k] /= sum;
        }
      }
      first[o] = lo;
      count[o] = w.length;
      weights[o] = w;
    }
    return new Axis(first, count, weights);
  }

  /**
   * Resamples planes of {@code width x height} values (one per channel, channel after channel) to
   * {@code outWidth x outHeight}, rounding to bytes.
   */
  static byte[] resize(double[] planes, int channels, int width, int height, int outWidth, int outHeight,
      Filter filter) {
    Axis xs = axis(width, outWidth, filter);
    Axis ys = axis(height, outHeight, filter);
    byte[] out = new byte[channels * outWidth * outHeight];
    double[] rows = new double[height * outWidth];
    for (int c = 0; c < channels; c++) {
      int plane = c * width * height;
      for (int y = 0; y < height; y++) {
        for (int o = 0; o < outWidth; o++) {
          double s = 0;
          double[] w = xs.weights[o];
          int base = plane + y * width + xs.first[o];
          for (int k = 0; k < xs.count[o]; k++) {
            s += w[k] * planes[base + k];
          }
          rows[y * outWidth + o] = s;
        }
      }
      int outPlane = c * outWidth * outHeight;
      for (int o = 0; o < outHeight; o++) {
        double[] w = ys.weights[o];
        for (int x = 0; x < outWidth; x++) {
          double s = 0;
          for (int k = 0; k < ys.count[o]; k++) {
            s += w[k] * rows[(ys.first[o] + k) * outWidth + x];
          }
          out[outPlane + o * outWidth + x] = (byte) Math.max(0, Math.min(255, Math.round(s)));
        }
      }
    }
    return out;
  }
}
