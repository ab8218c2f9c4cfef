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
}
