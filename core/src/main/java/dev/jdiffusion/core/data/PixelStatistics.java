package dev.jdiffusion.core.data;

import dev.jdiffusion.spi.dataset.DatasetSource;

/**
 * Minimum, maximum, mean and standard deviation (population, over every value of every image) of a
 * dataset's pixels as the pipeline delivers them, i.e. scaled to {@code [-1, 1]}. Sums run per image,
 * then across images, in double precision.
 *
 * @param count the number of pixel values summarised
 */
public record PixelStatistics(long count, double min, double max, double mean, double std) {

  /** Reads every image of {@code source} once. */
  public static PixelStatistics of(DatasetSource source) {
    int stride = source.shape().size();
    float[] buffer = new float[stride];
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    double sumSquares = 0;
    for (int i = 0; i < source.size(); i++) {
      source.read(i, buffer, 0);
      double s = 0;
      double ss = 0;
      for (float v : buffer) {
        min = Math.min(min, v);
        max = Math.max(max, v);
        s += v;
        ss += (double) v * v;
      }
      sum += s;
      sumSquares += ss;
    }
    long count = (long) stride * source.size();
    if (count == 0) {
      return new PixelStatistics(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    double mean = sum / count;
    double variance = Math.max(0, sumSquares / count - mean * mean);
    return new PixelStatistics(count, min, max, mean, Math.sqrt(variance));
  }
}
