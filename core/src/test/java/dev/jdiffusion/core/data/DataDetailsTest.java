package dev.jdiffusion.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.core.image.ImageGrid;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pixel statistics, batches, the loader's accessors, mirroring and the grid layout, against hand computations. */
class DataDetailsTest {

  /** n images of shape; pixel j of image i is f(i, j). */
  static DatasetSource source(int n, ImageShape shape, java.util.function.IntBinaryOperator f, boolean flip) {
    return new DatasetSource() {
      @Override public ImageShape shape() { return shape; }
      @Override public int size() { return n; }
      @Override public void read(int index, float[] dest, int offset) {
        for (int j = 0; j < shape.size(); j++) {
          dest[offset + j] = f.applyAsInt(index, j);
        }
      }
      @Override public boolean randomHorizontalFlip() { return flip; }
    };
  }

  @Test
  void pixelStatisticsAreTheTwoPassMomentsOfEveryPixel() {
    DatasetSource s = source(3, new ImageShape(1, 2, 2), (i, j) -> (i * 7 + j * 3) % 5 - 2, false);
    List<Double> all = new ArrayList<>();
    float[] buf = new float[4];
    for (int i = 0; i < 3; i++) {
      s.read(i, buf, 0);
      for (float v : buf) {
        all.add((double) v);
      }
    }
    double mean = all.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    double var = all.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum() / all.size();
    PixelStatistics p = PixelStatistics.of(s);
    assertThat(p.count()).isEqualTo(12);
    assertThat(p.min()).isEqualTo(-2);
    assertThat(p.max()).isEqualTo(2);
    assertThat(p.mean()).isCloseTo(mean, within(1e-15));
    assertThat(p.std()).isCloseTo(Math.sqrt(var), within(1e-15));
    // a constant dataset: std exactly 0 even where rounding would make the variance slightly negative
    PixelStatistics c = PixelStatistics.of(source(5, new ImageShape(1, 3, 3), (i, j) -> 1, false));
    assertThat(c.std()).isZero();
    assertThat(c.mean()).isEqualTo(1);
    PixelStatistics empty = PixelStatistics.of(source(0, new ImageShape(1, 1, 1), (i, j) -> 0, false));
    assertThat(empty.count()).isZero();
    assertThat(empty.mean()).isNaN();
    assertThat(empty.std()).isNaN();
  }

  @Test
  void batchesCheckTheirSizes() {
    ImageShape shape = new ImageShape(1, 2, 3);
    Batch b = new Batch(new float[12], new int[2], 2, shape);
    assertThat(b.nchw()).containsExactly(2, 1, 2, 3);
    assertThat(new Batch(new float[0], new int[0], 0, shape).size()).isZero();
    assertThatThrownBy(() -> new Batch(new float[0], new int[0], -1, shape))
        .hasMessage("batch size must be >= 0, got -1");
    assertThatThrownBy(() -> new Batch(new float[11], new int[2], 2, shape))
        .hasMessage("a batch of 2 images of 1x2x3 needs 12 pixel values, got 11");
    assertThatThrownBy(() -> new Batch(new float[12], new int[3], 2, shape))
        .hasMessage("a batch of 2 images needs 2 labels, got 3");
    assertThat(shape.toString()).isEqualTo("1x2x3");
    assertThatThrownBy(() -> new ImageShape(1, 0, 3)).hasMessage("image shape must be positive, got 1x0x3");
    DatasetSource plain = source(1, shape, (i, j) -> 0, false);
    assertThat(new DatasetSource() {
      @Override public ImageShape shape() { return shape; }
      @Override public int size() { return 0; }
      @Override public void read(int index, float[] dest, int offset) {}
    }.label(3)).isEqualTo(-1);
    assertThat(new DatasetSource() {
      @Override public ImageShape shape() { return shape; }
      @Override public int size() { return 0; }
      @Override public void read(int index, float[] dest, int offset) {}
    }.randomHorizontalFlip()).isFalse();
    assertThat(plain.size()).isEqualTo(1);
  }

  @Test
  void loaderAccessorsAndEpochLengths() {
    DatasetSource s = source(10, new ImageShape(1, 1, 2), (i, j) -> i, true);
    BatchLoader keepLast = BatchLoader.builder(s).setBatchSize(4).optDropLast(false).build();
    assertThat(keepLast.batchesPerEpoch()).isEqualTo(3);
    assertThat(keepLast.batchSize()).isEqualTo(4);
    assertThat(keepLast.size()).isEqualTo(10);
    assertThat(keepLast.shape()).isEqualTo(new ImageShape(1, 1, 2));
    assertThat(keepLast.flips()).isTrue();
    assertThat(BatchLoader.builder(s).setBatchSize(5).optDropLast(false).build().batchesPerEpoch()).isEqualTo(2);
    assertThat(BatchLoader.builder(s).setBatchSize(4).build().batchesPerEpoch()).isEqualTo(2);
    assertThat(BatchLoader.builder(s).setBatchSize(1).build().batchesPerEpoch()).isEqualTo(10);
    assertThatThrownBy(() -> BatchLoader.builder(s).setBatchSize(0).build())
        .hasMessage("batch size must be >= 1, got 0");
  }

  @Test
  void mirrorReversesEveryRowOfEveryChannel() {
    ImageShape shape = new ImageShape(2, 2, 3);
    float[] px = new float[1 + 12];
    for (int i = 0; i < 12; i++) {
      px[1 + i] = i;
    }
    BatchLoader.mirror(px, 1, shape);
    assertThat(px).containsExactly(0, 2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9);
  }

  @Test
  void gridPlacesEachImageAndEachChannel() {
    // three 3-channel 2x2 images in 2 columns: positions (2, 2), (6, 2), (2, 6) with a gap of 2
    ImageShape shape = new ImageShape(3, 2, 2);
    float[] px = new float[3 * 12];
    for (int i = 0; i < 3; i++) {
      for (int c = 0; c < 3; c++) {
        for (int p = 0; p < 4; p++) {
          // channel c of image i: 0.1 * (i + 1) * (c + 1) + 0.01 * p, in [0, 1]
          px[i * 12 + c * 4 + p] = (float) (0.1 * (i + 1) * (c + 1) + 0.01 * p);
        }
      }
    }
    BufferedImage img = ImageGrid.render(px, shape, 3, 2, 0, 1);
    assertThat(img.getWidth()).isEqualTo(2 * 4 + 2);
    assertThat(img.getHeight()).isEqualTo(2 * 4 + 2);
    int[][] origins = {{2, 2}, {6, 2}, {2, 6}};
    for (int i = 0; i < 3; i++) {
      for (int p = 0; p < 4; p++) {
        int rgb = img.getRGB(origins[i][0] + p % 2, origins[i][1] + p / 2);
        for (int c = 0; c < 3; c++) {
          int level = (rgb >> (16 - 8 * c)) & 0xff;
          double v = px[i * 12 + c * 4 + p];
          assertThat(level).as("image %d pixel %d channel %d", i, p, c).isEqualTo((int) Math.round(255 * v));
        }
      }
    }
    // the gaps stay black, and the unused fourth cell too
    assertThat(img.getRGB(0, 0) & 0xffffff).isZero();
    assertThat(img.getRGB(6, 6) & 0xffffff).isZero();
    // count limits the images; more columns than images gives one row
    assertThat(ImageGrid.render(px, shape, 2, 5, 0, 1).getWidth()).isEqualTo(2 * 4 + 2);
    assertThat(ImageGrid.render(px, shape, 9, 1, 0, 1).getHeight()).isEqualTo(3 * 4 + 2);
    assertThatThrownBy(() -> ImageGrid.render(px, shape, 0, 1, 0, 1)).hasMessage("no images to lay out");
  }
}
