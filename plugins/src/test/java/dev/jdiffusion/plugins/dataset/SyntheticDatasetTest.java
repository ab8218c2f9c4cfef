package dev.jdiffusion.plugins.dataset;

import static dev.jdiffusion.plugins.dataset.Datasets.open;
import static dev.jdiffusion.plugins.dataset.Datasets.pixels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.core.ConfigException;
import dev.jdiffusion.core.data.PixelStatistics;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.IOException;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SyntheticDatasetTest {

  @Test
  void makesTheSameImagesFromTheSameSeed() throws IOException {
    DatasetSource a = open("{name: synthetic, count: 50, seed: 4}");
    DatasetSource b = open("{name: synthetic, count: 50, seed: 4}");
    DatasetSource c = open("{name: synthetic, count: 50, seed: 5}");
    assertThat(a.shape()).isEqualTo(new ImageShape(1, 32, 32));
    assertThat(a.size()).isEqualTo(50);
    assertThat(pixels(a)).isEqualTo(pixels(b)).isNotEqualTo(pixels(c));
    assertThat(IntStream.range(0, 50).map(a::label).toArray())
        .isEqualTo(IntStream.range(0, 50).map(b::label).toArray());
  }

  @Test
  void aSmallerCountIsAPrefixAndTheTestSplitIsAnotherDraw() throws IOException {
    DatasetSource small = open("{name: synthetic, count: 10, size: 16, channels: 3}");
    DatasetSource large = open("{name: synthetic, count: 40, size: 16, channels: 3}");
    DatasetSource test = open("{name: synthetic, count: 10, size: 16, channels: 3, split: test}");
    float[] p = pixels(large);
    assertThat(pixels(small)).isEqualTo(Arrays.copyOf(p, 10 * 3 * 16 * 16));
    assertThat(pixels(test)).isNotEqualTo(pixels(small));
  }

  @Test
  void drawsEveryShapeWithPixelsInRange() throws IOException {
    DatasetSource s = open("{name: synthetic, count: 300, size: 24}");
    int[] perLabel = new int[3];
    for (int i = 0; i < s.size(); i++) {
      perLabel[s.label(i)]++;
    }
    assertThat(Arrays.stream(perLabel).boxed().toList()).allSatisfy(n -> assertThat(n).isBetween(70, 130));
    PixelStatistics stats = PixelStatistics.of(s);
    assertThat(stats.min()).isGreaterThanOrEqualTo(-1);
    assertThat(stats.max()).isLessThanOrEqualTo(1).isGreaterThan(0.1);
    // mostly dark background with one bright shape
    assertThat(stats.mean()).isBetween(-0.9, -0.3);
    assertThat(stats.std()).isGreaterThan(0.2);
  }

  @Test
  void aDiskIsRoundAndCentredWhereItWasDrawn() throws IOException {
    // the shape's area grows with its radius: a disk covers pi r^2, a triangle 1.3 r^2, a square 2.56 r^2;
    // every image must hold a blob of bright pixels much larger than its anti-aliased edge
    DatasetSource s = open("{name: synthetic, count: 30, size: 32}");
    float[] image = new float[s.shape().size()];
    for (int i = 0; i < s.size(); i++) {
      s.read(i, image, 0);
      long bright = IntStream.range(0, image.length).filter(k -> image[k] > 0).count();
      assertThat(bright).as("bright pixels of image %d", i).isBetween(20L, 600L);
    }
  }

  @Test
  void padsWithBlackAndAsksForFlips() throws IOException {
    DatasetSource s = open("{name: synthetic, count: 3, size: 28, padding: 2, flip: true}");
    DatasetSource plain = open("{name: synthetic, count: 3, size: 28}");
    assertThat(s.shape()).isEqualTo(new ImageShape(1, 32, 32));
    assertThat(s.randomHorizontalFlip()).isTrue();
    assertThat(plain.randomHorizontalFlip()).isFalse();
    float[] padded = new float[32 * 32];
    float[] inner = new float[28 * 28];
    s.read(1, padded, 0);
    plain.read(1, inner, 0);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        boolean border = y < 2 || y >= 30 || x < 2 || x >= 30;
        assertThat(padded[y * 32 + x]).isEqualTo(border ? -1f : inner[(y - 2) * 28 + (x - 2)]);
      }
    }
  }

  @Test
  void rejectsBadOptionsByName() {
    assertThatThrownBy(() -> open("{name: synthetic, channels: 2}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("channels")
        .hasMessageContaining("1 or 3");
    assertThatThrownBy(() -> open("{name: synthetic, split: validation}"))
        .hasMessageContaining("split")
        .hasMessageContaining("train or test");
    assertThatThrownBy(() -> open("{name: synthetic, count: 0}")).hasMessageContaining("count");
  }

  /**
   * Each image is one filled shape on a flat background, recognisable from its pixels alone: with the
   * background level b (a corner, which no shape reaches) and the shape's level f (the brightest pixel), a
   * pixel's coverage is {@code (v - b) / (f - b)}; the covered area A and the polar second moment I about the
   * centroid give the scale-free {@code I / A^2}, which is {@code 1 / (2 pi)} for a disk, {@code 1/6} for a
   * square and {@code sqrt(3) / 9} for an equilateral triangle (to 2%: the pixels blur the edges). The label must name that shape, and every
   * channel must hold the same coverage (one shape, one colour per channel).
   */
  @Test
  void eachImageIsTheShapeItsLabelNames() {
    double[] expected = {1 / (2 * Math.PI), 1.0 / 6, Math.sqrt(3) / 9};
    int size = 64;
    int[] checked = new int[3];
    double[] worst = new double[3];
    for (int channels : new int[] {1, 3}) {
      ImageShape shape = new ImageShape(channels, size, size);
      for (int i = 0; i < 60; i++) {
        byte[] out = new byte[shape.size()];
        int label = SyntheticDataset.draw(new dev.jdiffusion.core.data.SplitMix64(1000 + i), shape, out, 0);
        assertThat(label).isBetween(0, 2);
        double[] coverage = null;
        double firstRange = 0;
        for (int c = 0; c < channels; c++) {
          double b = out[c * size * size] & 0xff;
          double f = 0;
          for (int k = 0; k < size * size; k++) {
            f = Math.max(f, out[c * size * size + k] & 0xff);
          }
          assertThat(f - b).as("image %d channel %d: shape brighter than the background", i, c)
              .isGreaterThan(20);
          double[] cov = new double[size * size];
          double lowest = 0;
          for (int k = 0; k < cov.length; k++) {
            cov[k] = ((out[c * size * size + k] & 0xff) - b) / (f - b);
            lowest = Math.min(lowest, cov[k]);
          }
          assertThat(lowest).as("image %d channel %d: no pixel darker than the background", i, c).isZero();
          if (coverage == null) {
            coverage = cov;
            firstRange = f - b;
          } else {
            // levels are rounded to bytes: each coverage is off by at most 2 / (f - b)
            double bound = 2 / (f - b) + 2 / firstRange;
            double largest = 0;
            for (int k = 0; k < cov.length; k++) {
              largest = Math.max(largest, Math.abs(cov[k] - coverage[k]));
            }
            assertThat(largest).as("image %d channel %d: coverage against channel 0", i, c).isLessThanOrEqualTo(bound);
          }
        }
        boolean touchesBorder = false;
        double area = 0;
        double mx = 0;
        double my = 0;
        for (int y = 0; y < size; y++) {
          for (int x = 0; x < size; x++) {
            double w = coverage[y * size + x];
            touchesBorder |= w > 0 && (x == 0 || y == 0 || x == size - 1 || y == size - 1);
            area += w;
            mx += w * (x + 0.5);
            my += w * (y + 0.5);
          }
        }
        mx /= area;
        my /= area;
        double moment = 0;
        for (int y = 0; y < size; y++) {
          for (int x = 0; x < size; x++) {
            double dx = x + 0.5 - mx;
            double dy = y + 0.5 - my;
            moment += coverage[y * size + x] * (dx * dx + dy * dy + 1.0 / 6); // + the pixel's own moment
          }
        }
        // centred in the middle 40% of the image, and at least a few pixels across
        assertThat(mx / size).as("image %d centroid x", i).isBetween(0.3 - 0.05, 0.7 + 0.05);
        assertThat(my / size).as("image %d centroid y", i).isBetween(0.3 - 0.05, 0.7 + 0.05);
        assertThat(area).as("image %d area", i).isGreaterThan(0.8 * 1.3 * Math.pow(0.15 * size, 2));
        if (touchesBorder) {
          continue;
        }
        worst[label] = Math.max(worst[label], Math.abs(moment / (area * area) / expected[label] - 1));
        checked[label]++;
      }
    }
    for (int label = 0; label < 3; label++) {
      assertThat(checked[label]).as("images of label %d checked", label).isGreaterThan(10);
      // pixel discretisation moves I / A^2 by up to about 1.2% (the triangle's corners, at 64x64); the three
      // shapes are 4.7% (disk and square) and more apart
      assertThat(worst[label]).as("label %d: largest relative deviation of I / A^2 %s", label,
          java.util.Arrays.toString(worst)).isLessThan(0.02);
    }
  }
}
