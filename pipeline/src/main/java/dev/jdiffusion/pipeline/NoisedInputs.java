package dev.jdiffusion.pipeline;

import dev.jdiffusion.exporter.quantize.ModelInputs;
import dev.jdiffusion.spi.dataset.DatasetSource;
import java.util.Random;

/**
 * Denoiser inputs as sampling presents them: dataset images {@code x0} noised to
 * {@code x_t = sqrt(alphabar[t]) x0 + sqrt(1 - alphabar[t]) eps}, {@code eps ~ N(0, I)}, at timesteps spread
 * evenly over {@code 0 .. T-1}. Used to calibrate and check an int8 export.
 */
public final class NoisedInputs {
  private NoisedInputs() {}

  /**
   * {@code count} noised images. Image {@code i} of the set is dataset image
   * {@code floor((i + offset) * size / count)} (the images spread over the dataset; {@code offset} in
   * {@code [0, 1)} shifts them, so that a second set can use other images); the timesteps are
   * {@code round(j (T - 1) / (count - 1))}, {@code j = 0 .. count-1} (for one image, {@code T / 2}), dealt
   * to the images in an order shuffled with {@code seed}, which also draws the noise.
   *
   * @param alphabar the schedule's table, {@code T} values
   */
  public static ModelInputs fromDataset(DatasetSource data, double[] alphabar, int count, double offset, long seed) {
    if (count < 1) {
      throw new IllegalArgumentException("count = " + count + " is not allowed: must be >= 1");
    }
    if (data.size() < 1) {
      throw new IllegalArgumentException("the dataset has no images");
    }
    int timesteps = alphabar.length;
    long[] t = new long[count];
    for (int j = 0; j < count; j++) {
      t[j] = count == 1 ? timesteps / 2 : Math.round((double) j * (timesteps - 1) / (count - 1));
    }
    Random random = new Random(seed);
    for (int j = count - 1; j > 0; j--) { // Fisher-Yates
      int k = random.nextInt(j + 1);
      long s = t[j];
      t[j] = t[k];
      t[k] = s;
    }
    int per = data.shape().size();
    float[] x = new float[count * per];
    float[] image = new float[per];
    for (int i = 0; i < count; i++) {
      int index = (int) Math.min(data.size() - 1, Math.floor((i + offset) * data.size() / count));
      data.read(index, image, 0);
      double a = Math.sqrt(alphabar[(int) t[i]]);
      double s = Math.sqrt(1 - alphabar[(int) t[i]]);
      for (int p = 0; p < per; p++) {
        x[i * per + p] = (float) (a * image[p] + s * random.nextGaussian());
      }
    }
    return new ModelInputs(x, t, data.shape());
  }
}
