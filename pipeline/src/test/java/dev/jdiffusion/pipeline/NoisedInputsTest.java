package dev.jdiffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.exporter.quantize.ModelInputs;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Calibration inputs: timesteps spread evenly over the schedule, images spread over the dataset, x_t as defined. */
class NoisedInputsTest {
  /** Five constant 1x32x32 images: image k is k - 2 everywhere. */
  static final DatasetSource DATA = new DatasetSource() {
    @Override
    public ImageShape shape() {
      return new ImageShape(1, 32, 32);
    }

    @Override
    public int size() {
      return 5;
    }

    @Override
    public void read(int index, float[] dest, int offset) {
      Arrays.fill(dest, offset, offset + 1024, index - 2);
    }
  };
  /** alphabar falling from 0.99 to 0.01 over T = 11 steps. */
  static final double[] ALPHABAR = {0.99, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.01};

  @Test
  void timestepsSpreadOverTheScheduleAndNoiseIsStandardNormal() {
    ModelInputs in = NoisedInputs.fromDataset(DATA, ALPHABAR, 6, 0, 0);
    assertThat(in.shape()).isEqualTo(DATA.shape());
    long[] sorted = in.t().clone();
    Arrays.sort(sorted);
    assertThat(sorted).containsExactly(0, 2, 4, 6, 8, 10);
    assertThat(in.t()).as("dealt in a shuffled order").isNotEqualTo(sorted);
    int[] image = {0, 0, 1, 2, 3, 4}; // floor(i * 5 / 6)
    for (int i = 0; i < 6; i++) {
      assertStandardNoise(in, i, image[i] - 2);
    }
    ModelInputs other = NoisedInputs.fromDataset(DATA, ALPHABAR, 6, 0.5, 1);
    int[] shifted = {0, 1, 2, 2, 3, 4}; // floor((i + 0.5) * 5 / 6)
    for (int i = 0; i < 6; i++) {
      assertStandardNoise(other, i, shifted[i] - 2);
    }
  }

  @Test
  void theSameSeedGivesTheSameInputsAndOneImageSitsMidSchedule() {
    ModelInputs a = NoisedInputs.fromDataset(DATA, ALPHABAR, 4, 0, 3);
    ModelInputs b = NoisedInputs.fromDataset(DATA, ALPHABAR, 4, 0, 3);
    assertThat(a.x()).containsExactly(b.x());
    assertThat(a.t()).containsExactly(b.t());
    assertThat(NoisedInputs.fromDataset(DATA, ALPHABAR, 4, 0, 4).x()).isNotEqualTo(a.x());
    assertThat(NoisedInputs.fromDataset(DATA, ALPHABAR, 1, 0, 0).t()).containsExactly(5);
  }

  /** (x_t - sqrt(ab) x0) / sqrt(1 - ab) over the image's 1024 pixels: mean 0 and variance 1 (4 standard errors). */
  private static void assertStandardNoise(ModelInputs in, int i, double x0) {
    double ab = ALPHABAR[(int) in.t()[i]];
    double sum = 0;
    double sq = 0;
    for (int p = 0; p < 1024; p++) {
      double e = (in.x()[i * 1024 + p] - Math.sqrt(ab) * x0) / Math.sqrt(1 - ab);
      sum += e;
      sq += e * e;
    }
    double mean = sum / 1024;
    assertThat(mean).as("image %d: mean of the noise", i).isCloseTo(0, within(4 / 32.0));
    assertThat(sq / 1024 - mean * mean).as("image %d: variance of the noise", i).isCloseTo(1, within(4 * Math.sqrt(2.0 / 1024)));
  }
}
