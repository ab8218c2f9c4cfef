package dev.jdiffusion.core.data;

import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Cuts a {@link DatasetSource} into batches of float32 NCHW pixels for training, shuffled every epoch.
 *
 * <p>Everything is a function of the seed: the order of epoch {@code e} and which images it mirrors
 * depend only on {@code (seed, e)}, so two loaders with the same settings give the same batches, and a
 * run resumed at step {@code k} with {@link #batches(long)} sees exactly the batches it would have seen.
 * Shuffling is a Fisher-Yates permutation driven by SplitMix64.
 *
 * <pre>{@code
 * try (DatasetSource data = plugins.openDataset(config)) {
 *   BatchLoader loader = BatchLoader.builder(data).setBatchSize(64).optSeed(42).build();
 *   for (Iterator<Batch> it = loader.epoch(0); it.hasNext(); ) {
 *     Batch b = it.next();   // b.pixels(): b.size() x C x H x W floats in [-1, 1]
 *   }
 * }
 * }</pre>
 *
 * <p>A loader holds no mutable state; each iterator it returns is for one thread. Batches are assembled
 * on the calling thread (reading the in-memory datasets of the built-in plugins costs microseconds per
 * image; see {@code docs/benchmarks.md}).
 */
public final class BatchLoader {
  private final DatasetSource source;
  private final int batchSize;
  private final long seed;
  private final boolean shuffle;
  private final boolean dropLast;
  private final boolean flip;

  private BatchLoader(Builder b) {
    this.source = b.source;
    this.batchSize = b.batchSize;
    this.seed = b.seed;
    this.shuffle = b.shuffle;
    this.dropLast = b.dropLast;
    this.flip = b.flip == null ? b.source.randomHorizontalFlip() : b.flip;
  }

  /** A builder over {@code source}; {@link Builder#setBatchSize} is required. */
  public static Builder builder(DatasetSource source) {
    return new Builder(source);
  }

  /** The shape of one image. */
  public ImageShape shape() {
    return source.shape();
  }

  /** The number of images in the dataset. */
  public int size() {
    return source.size();
  }

  public int batchSize() {
    return batchSize;
  }

  /** Whether images are mirrored left-right at random (probability 1/2, new draws every epoch). */
  public boolean flips() {
    return flip;
  }

  /**
   * The number of batches of one epoch: {@code size / batchSize}, rounded down when the last partial
   * batch is dropped (the default), up otherwise.
   */
  public int batchesPerEpoch() {
    int n = source.size();
    return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
  }

  /** The order in which epoch {@code epoch} visits the images: a permutation of {@code 0..size-1}. */
  public int[] order(long epoch) {
    return plan(epoch).order;
  }

  /** The batches of epoch {@code epoch}, from its first. */
  public Iterator<Batch> epoch(long epoch) {
    return epoch(epoch, 0);
  }

  /** The batches of epoch {@code epoch} from batch {@code firstBatch} on (to resume mid-epoch). */
  public Iterator<Batch> epoch(long epoch, int firstBatch) {
    if (firstBatch < 0 || firstBatch > batchesPerEpoch()) {
      throw new IllegalArgumentException(
          "firstBatch must be in [0, " + batchesPerEpoch() + "], got " + firstBatch);
    }
    Plan plan = plan(epoch);
    int count = batchesPerEpoch();
    return new Iterator<>() {
      private int next = firstBatch;

      @Override
      public boolean hasNext() {
        return next < count;
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException("epoch " + epoch + " has " + count + " batches");
        }
        return assemble(plan, next++);
      }
    };
  }

  /**
   * Batches without end, epoch after epoch, starting at global step {@code firstStep}: step {@code k}
   * is batch {@code k % batchesPerEpoch()} of epoch {@code k / batchesPerEpoch()}.
   *
   * @throws IllegalStateException when an epoch has no batch (fewer images than the batch size with
   *     the last partial batch dropped)
   */
  public Iterator<Batch> batches(long firstStep) {
    int perEpoch = batchesPerEpoch();
    if (perEpoch == 0) {
      throw new IllegalStateException(
          "the dataset has " + source.size() + " images, fewer than one batch of " + batchSize
              + "; lower the batch size or keep the last partial batch");
    }
    if (firstStep < 0) {
      throw new IllegalArgumentException("firstStep must be >= 0, got " + firstStep);
    }
    return new Iterator<>() {
      private long step = firstStep;
      private long planned = -1;
      private Plan plan;

      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public Batch next() {
        long epoch = step / perEpoch;
        if (epoch != planned) {
          plan = plan(epoch);
          planned = epoch;
        }
        Batch b = assemble(plan, (int) (step % perEpoch));
        step++;
        return b;
      }
    };
  }

  private record Plan(int[] order, boolean[] mirrored) {}

  private Plan plan(long epoch) {
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
    }
    int n = source.size();
    int[] order;
    if (shuffle) {
      order = new SplitMix64(SplitMix64.derive(seed, 2 * epoch)).permutation(n);
    } else {
      order = new int[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
    }
    boolean[] mirrored = null;
    if (flip) {
      SplitMix64 rng = new SplitMix64(SplitMix64.derive(seed, 2 * epoch + 1));
      mirrored = new boolean[n];
      for (int i = 0; i < n; i++) {
        mirrored[i] = rng.nextBoolean();
      }
    }
    return new Plan(order, mirrored);
  }

  private Batch assemble(Plan plan, int batch) {
    int start = batch * batchSize;
    int count = Math.min(batchSize, source.size() - start);
    ImageShape shape = source.shape();
    int stride = shape.size();
    float[] pixels = new float[count * stride];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      int index = plan.order[start + i];
      source.read(index, pixels, i * stride);
      labels[i] = source.label(index);
      if (plan.mirrored != null && plan.mirrored[start + i]) {
        mirror(pixels, i * stride, shape);
      }
    }
    return new Batch(pixels, labels, count, shape);
  }

  /** Reverses every row of one image in place. */
  static void mirror(float[] pixels, int offset, ImageShape shape) {
    int w = shape.width();
    int rows = shape.channels() * shape.height();
    for (int r = 0; r < rows; r++) {
      int lo = offset + r * w;
      int hi = lo + w - 1;
      while (lo < hi) {
        float t = pixels[lo];
        pixels[lo++] = pixels[hi];
        pixels[hi--] = t;
      }
    }
  }

  /** Settings of a {@link BatchLoader}. */
  public static final class Builder {
    private final DatasetSource source;
    private int batchSize;
    private long seed;
    private boolean shuffle = true;
    private boolean dropLast = true;
    private Boolean flip;

    private Builder(DatasetSource source) {
      if (source == null) {
        throw new IllegalArgumentException("source must not be null");
      }
      this.source = source;
    }

    /** Images per batch, {@code >= 1}. Required. */
    public Builder setBatchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /** The seed of every epoch's order and mirror draws (default 0). */
    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Whether to shuffle every epoch (default {@code true}); without, epochs visit images in index order. */
    public Builder optShuffle(boolean shuffle) {
      this.shuffle = shuffle;
      return this;
    }

    /**
     * Whether to drop the last batch of an epoch when it has fewer than {@code batchSize} images (default
     * {@code true}, so every training step sees a full batch). Evaluation passes usually want {@code false}.
     */
    public Builder optDropLast(boolean dropLast) {
      this.dropLast = dropLast;
      return this;
    }

    /** Random horizontal mirroring; by default what the dataset asks for ({@link DatasetSource#randomHorizontalFlip()}). */
    public Builder optHorizontalFlip(boolean flip) {
      this.flip = flip;
      return this;
    }

    /** @throws IllegalArgumentException when the batch size is missing or below 1 */
    public BatchLoader build() {
      if (batchSize < 1) {
        throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
      }
      return new BatchLoader(this);
    }
  }
}
