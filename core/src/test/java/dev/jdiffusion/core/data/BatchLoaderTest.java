package dev.jdiffusion.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class BatchLoaderTest {

  /** Image i: channel c, row y, column x holds the value (i + c + y / 10 + x / 100) / size; label i % 10. */
  static final class IndexedSource implements DatasetSource {
    final int size;
    final ImageShape shape;
    final boolean flip;

    IndexedSource(int size, ImageShape shape, boolean flip) {
      this.size = size;
      this.shape = shape;
      this.flip = flip;
    }

    @Override
    public ImageShape shape() {
      return shape;
    }

    @Override
    public int size() {
      return size;
    }

    @Override
    public void read(int index, float[] dest, int offset) {
      int k = offset;
      for (int c = 0; c < shape.channels(); c++) {
        for (int y = 0; y < shape.height(); y++) {
          for (int x = 0; x < shape.width(); x++) {
            dest[k++] = value(index, c, y, x);
          }
        }
      }
    }

    float value(int index, int c, int y, int x) {
      return (float) ((index + c + y / 10.0 + x / 100.0) / size);
    }

    @Override
    public int label(int index) {
      return index % 10;
    }

    @Override
    public boolean randomHorizontalFlip() {
      return flip;
    }

    /** The index encoded in a batch's image i, recovered from its first pixel. */
    int indexOf(Batch b, int i, boolean mirrored) {
      int x = mirrored ? shape.width() - 1 : 0;
      return (int) Math.round(b.pixels()[i * shape.size()] * size - x / 100.0);
    }
  }

  private static final ImageShape SHAPE = new ImageShape(2, 3, 4);

  private static List<Batch> all(Iterator<Batch> it) {
    List<Batch> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  private static int[] indices(IndexedSource s, List<Batch> batches) {
    return batches.stream()
        .flatMapToInt(b -> java.util.stream.IntStream.range(0, b.size()).map(i -> s.indexOf(b, i, false)))
        .toArray();
  }

  @Test
  void everyEpochVisitsEveryImageOnceInItsOwnOrder() {
    IndexedSource s = new IndexedSource(103, SHAPE, false);
    BatchLoader loader = BatchLoader.builder(s).setBatchSize(10).optSeed(7).optDropLast(false).build();
    assertThat(loader.batchesPerEpoch()).isEqualTo(11);
    int[] e0 = indices(s, all(loader.epoch(0)));
    int[] e1 = indices(s, all(loader.epoch(1)));
    int[] sorted = java.util.stream.IntStream.range(0, 103).toArray();
    assertThat(e0).isEqualTo(loader.order(0)).isNotEqualTo(sorted).containsExactlyInAnyOrder(sorted);
    assertThat(e1).isEqualTo(loader.order(1)).isNotEqualTo(e0).containsExactlyInAnyOrder(sorted);
    List<Batch> batches = all(loader.epoch(0));
    assertThat(batches.get(10).size()).isEqualTo(3);
    assertThat(batches.get(0).nchw()).containsExactly(10, 2, 3, 4);
    assertThat(batches.get(0).labels()).containsExactly(
        Arrays.stream(e0, 0, 10).map(i -> i % 10).toArray());
  }

  @Test
  void pixelsArriveInNchwOrder() {
    IndexedSource s = new IndexedSource(5, SHAPE, false);
    Batch b = BatchLoader.builder(s).setBatchSize(5).optShuffle(false).build().epoch(0).next();
    for (int i = 0; i < 5; i++) {
      for (int c = 0; c < 2; c++) {
        for (int y = 0; y < 3; y++) {
          for (int x = 0; x < 4; x++) {
            assertThat(b.pixels()[((i * 2 + c) * 3 + y) * 4 + x]).isEqualTo(s.value(i, c, y, x));
          }
        }
      }
    }
  }

  @Test
  void theSameSeedGivesTheSameBatchesAndAnotherSeedOthers() {
    IndexedSource s = new IndexedSource(64, SHAPE, true);
    BatchLoader a = BatchLoader.builder(s).setBatchSize(8).optSeed(1).build();
    BatchLoader b = BatchLoader.builder(s).setBatchSize(8).optSeed(1).build();
    BatchLoader c = BatchLoader.builder(s).setBatchSize(8).optSeed(2).build();
    List<Batch> ba = all(a.epoch(3));
    List<Batch> bb = all(b.epoch(3));
    List<Batch> bc = all(c.epoch(3));
    for (int i = 0; i < ba.size(); i++) {
      assertThat(ba.get(i).pixels()).isEqualTo(bb.get(i).pixels());
      assertThat(ba.get(i).labels()).isEqualTo(bb.get(i).labels());
    }
    assertThat(a.order(3)).isNotEqualTo(c.order(3));
    assertThat(bc).hasSameSizeAs(ba);
  }

  @Test
  void dropLastKeepsOnlyFullBatches() {
    IndexedSource s = new IndexedSource(103, SHAPE, false);
    BatchLoader loader = BatchLoader.builder(s).setBatchSize(10).build();
    List<Batch> batches = all(loader.epoch(0));
    assertThat(loader.batchesPerEpoch()).isEqualTo(10);
    assertThat(batches).hasSize(10).allSatisfy(b -> assertThat(b.size()).isEqualTo(10));
  }

  @Test
  void stepsContinueAcrossEpochsAndResumeAnywhere() {
    IndexedSource s = new IndexedSource(30, SHAPE, true);
    BatchLoader loader = BatchLoader.builder(s).setBatchSize(7).optSeed(5).build();
    List<Batch> expected = new ArrayList<>();
    for (int e = 0; e < 3; e++) {
      expected.addAll(all(loader.epoch(e)));
    }
    Iterator<Batch> fromStart = loader.batches(0);
    Iterator<Batch> resumed = loader.batches(6);
    Iterator<Batch> midEpoch = loader.epoch(1, 2);
    for (int k = 0; k < expected.size(); k++) {
      assertThat(fromStart.next().pixels()).isEqualTo(expected.get(k).pixels());
      if (k >= 6) {
        assertThat(resumed.next().pixels()).isEqualTo(expected.get(k).pixels());
      }
    }
    assertThat(midEpoch.next().pixels()).isEqualTo(expected.get(4 + 2).pixels());
  }

  @Test
  void flippingMirrorsRowsOfAboutHalfTheImages() {
    IndexedSource s = new IndexedSource(2000, new ImageShape(1, 2, 5), true);
    BatchLoader loader = BatchLoader.builder(s).setBatchSize(100).optSeed(3).build();
    assertThat(loader.flips()).isTrue();
    int mirrored = 0;
    for (Iterator<Batch> it = loader.epoch(0); it.hasNext(); ) {
      Batch b = it.next();
      for (int i = 0; i < b.size(); i++) {
        float[] p = b.pixels();
        int o = i * 10;
        boolean flipped = p[o] > p[o + 4];
        int index = s.indexOf(b, i, flipped);
        for (int y = 0; y < 2; y++) {
          for (int x = 0; x < 5; x++) {
            assertThat(p[o + y * 5 + x]).isEqualTo(s.value(index, 0, y, flipped ? 4 - x : x));
          }
        }
        mirrored += flipped ? 1 : 0;
      }
    }
    assertThat(mirrored).isBetween(850, 1150);
    BatchLoader off = BatchLoader.builder(s).setBatchSize(100).optHorizontalFlip(false).build();
    assertThat(off.flips()).isFalse();
  }

  @Test
  void rejectsBadSettings() {
    IndexedSource s = new IndexedSource(5, SHAPE, false);
    assertThatThrownBy(() -> BatchLoader.builder(s).build()).hasMessageContaining("batch size must be >= 1, got 0");
    BatchLoader loader = BatchLoader.builder(s).setBatchSize(8).build();
    assertThat(loader.batchesPerEpoch()).isZero();
    assertThatThrownBy(() -> loader.batches(0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("5 images, fewer than one batch of 8");
    assertThatThrownBy(() -> loader.epoch(-1)).hasMessageContaining("epoch must be >= 0, got -1");
    assertThatThrownBy(() -> new Batch(new float[3], new int[1], 1, SHAPE))
        .hasMessageContaining("needs 24 pixel values, got 3");
  }

  @Property(tries = 200)
  void permutationsArePermutations(@ForAll @IntRange(min = 0, max = 500) int n, @ForAll long seed) {
    int[] p = new SplitMix64(seed).permutation(n);
    int[] sorted = p.clone();
    Arrays.sort(sorted);
    assertThat(sorted).isEqualTo(java.util.stream.IntStream.range(0, n).toArray());
  }

  @Property(tries = 100)
  void nextIntStaysInRange(@ForAll @IntRange(min = 1) int bound, @ForAll long seed) {
    SplitMix64 rng = new SplitMix64(seed);
    for (int i = 0; i < 20; i++) {
      assertThat(rng.nextInt(bound)).isBetween(0, bound - 1);
    }
  }
}
