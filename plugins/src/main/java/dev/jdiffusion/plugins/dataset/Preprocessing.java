package dev.jdiffusion.plugins.dataset;

import dev.jdiffusion.core.Limits;
import dev.jdiffusion.core.data.SplitMix64;
import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.util.Arrays;

/**
 * The options every built-in dataset shares, applied to decoded images.
 *
 * @param subset keep this many images (0 = all): the first {@code subset} of a permutation drawn from
 *     {@code seed}, in ascending index order; more than the dataset holds is an error
 * @param padding black border added on every side (e.g. 2 turns 28x28 into 32x32)
 * @param flip ask the batch pipeline for random horizontal mirroring
 * @param seed the seed of the subset draw
 */
record Preprocessing(int subset, int padding, boolean flip, long seed) {

  /** Turns decoded images into a source; {@code what} names the data in errors. */
  DatasetSource apply(ByteImages data, String what) {
    ImageShape s = data.shape();
    if (Math.max(s.height(), s.width()) + 2L * padding > Limits.MAX_IMAGE_SIDE) {
      throw new InvalidParameterException("padding", padding, "at most " + (Limits.MAX_IMAGE_SIDE
          - Math.max(s.height(), s.width())) / 2 + " for images of " + s + " (padded images are at most "
          + Limits.MAX_IMAGE_SIDE + " pixels a side)");
    }
    return new ByteImageSource(data, subsetIndices(data.count(), what), padding, flip);
  }

  /**
   * The indices the subset keeps out of {@code count}, ascending, or {@code null} for all of them.
   *
   * @throws InvalidParameterException when the subset is larger than the data
   */
  int[] subsetIndices(int count, String what) {
    if (subset > count) {
      throw new InvalidParameterException(
          "subset", subset, "at most the " + count + " images of " + what + " (0 = all)");
    }
    if (subset == 0 || subset == count) {
      return null;
    }
    int[] indices = Arrays.copyOf(new SplitMix64(SplitMix64.derive(seed, 0x5b5e7L)).permutation(count), subset);
    Arrays.sort(indices);
    return indices;
  }
}
