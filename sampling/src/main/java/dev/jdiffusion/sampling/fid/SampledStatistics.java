package dev.jdiffusion.sampling.fid;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.sampling.sampler.Denoiser;
import dev.jdiffusion.sampling.sampler.Noise;
import dev.jdiffusion.sampling.sampler.Sampler;
import java.util.ArrayList;
import java.util.List;

/**
 * Feature statistics of images drawn from a denoiser, batch after batch, without keeping the images.
 *
 * <p>A {@link Draw} of N images in batches of B is the one that {@code ./diffusion sample}, {@code run} and
 * {@code compare} make: image i comes from the noise of {@link Noise#seeded(long) seed}'s stream for i alone,
 * and batch b holds images {@code b B} to {@code min((b + 1) B, N) - 1}. Any contiguous range of batches (a
 * {@link Part}, a disjoint range of the noise streams) can be computed on its own, by another thread, process
 * or machine; {@link MomentAccumulator#merge pooling} the parts' statistics gives the statistics of the whole
 * draw: the same images as one process drawing them all (batch for batch, so even ONNX Runtime's rounding is
 * the same), summarised exactly up to rounding. This is how FID over tens of thousands of samples is split
 * across Spark tasks.
 */
public final class SampledStatistics {
  private SampledStatistics() {}

  /**
   * N images in batches of B from the noise of one seed.
   *
   * @param images N, at least 2 (a covariance needs two)
   * @param batch B, images per sampler call
   * @param seed the noise seed ({@link Noise#seeded(long)})
   */
  public record Draw(int images, int batch, long seed) {
    public Draw {
      if (images < 2) {
        throw new IllegalArgumentException("a draw for FID needs at least 2 images, got " + images);
      }
      if (batch < 1) {
        throw new IllegalArgumentException("batch must be >= 1, got " + batch);
      }
    }

    /** The number of batches, the last one possibly partial. */
    public int batches() {
      return (images + batch - 1) / batch;
    }

    /** The whole draw as one part. */
    public Part whole() {
      return new Part(this, 0, batches());
    }

    /**
     * At most {@code parts} contiguous parts covering every batch once, as equal in size as whole batches
     * allow; fewer when there are fewer batches, or when a part would hold a single image (a part's statistics
     * need two).
     */
    public List<Part> split(int parts) {
      if (parts < 1) {
        throw new IllegalArgumentException("parts must be >= 1, got " + parts);
      }
      int total = batches();
      int k = Math.min(parts, total);
      List<Integer> cuts = new ArrayList<>();
      for (int i = 0; i <= k; i++) {
        cuts.add((int) ((long) i * total / k));
      }
      // Drop a cut while some part would hold fewer than two images (only a last batch of one image, or
      // batches of one image, can cause this).
      for (int i = 1; i < cuts.size(); ) {
        int imagesIn = new Part(this, cuts.get(i - 1), cuts.get(i)).images();
        if (imagesIn < 2 && cuts.size() > 2) {
          cuts.remove(i == cuts.size() - 1 ? i - 1 : i);
          i = 1;
        } else {
          i++;
        }
      }
      List<Part> out = new ArrayList<>();
      for (int i = 0; i + 1 < cuts.size(); i++) {
        out.add(new Part(this, cuts.get(i), cuts.get(i + 1)));
      }
      return out;
    }
  }

  /**
   * Batches {@code firstBatch} (inclusive) to {@code endBatch} (exclusive) of a draw.
   *
   * @param draw the whole draw
   * @param firstBatch the first batch of the part
   * @param endBatch one past the last batch of the part
   */
  public record Part(Draw draw, int firstBatch, int endBatch) {
    public Part {
      if (firstBatch < 0 || endBatch <= firstBatch || endBatch > draw.batches()) {
        throw new IllegalArgumentException("batches [" + firstBatch + ", " + endBatch + ") are not a non-empty range"
            + " of the draw's " + draw.batches() + " batches");
      }
    }

    /** The number of images in the part. */
    public int images() {
      return Math.min(draw.images(), endBatch * draw.batch()) - firstBatch * draw.batch();
    }
  }

  /**
   * Draws the part's images and returns the statistics of their features.
   *
   * @throws IllegalArgumentException when the part holds fewer than two images
   */
  public static FeatureStatistics compute(Denoiser model, Sampler sampler, FeatureExtractor extractor, Part part)
      throws OrtException {
    if (part.images() < 2) {
      throw new IllegalArgumentException("a part needs at least 2 images for a covariance, this one has "
          + part.images());
    }
    Draw draw = part.draw();
    Noise noise = Noise.seeded(draw.seed());
    MomentAccumulator acc = new MomentAccumulator(extractor.dimension());
    for (int b = part.firstBatch(); b < part.endBatch(); b++) {
      int first = b * draw.batch();
      int n = Math.min(draw.batch(), draw.images() - first);
      float[] images = sampler.sample(model, noise, first, n, k -> {});
      acc.add(extractor.extract(images, n, model.shape()), n);
    }
    return acc.statistics();
  }
}
