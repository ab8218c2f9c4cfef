package dev.jdiffusion.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.fid.FeatureExtractor;
import dev.jdiffusion.sampling.fid.FeatureMatrix;
import dev.jdiffusion.sampling.fid.FeatureStatistics;
import dev.jdiffusion.sampling.fid.FrechetDistance;
import dev.jdiffusion.sampling.fid.OnnxFeatureExtractor;
import dev.jdiffusion.sampling.sampler.Noise;
import dev.jdiffusion.sampling.sampler.Sampler;
import dev.jdiffusion.sampling.sampler.SamplerOptions;
import dev.jdiffusion.sampling.sampler.Samplers;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FID of many samples split across Spark tasks against one process drawing every image: the same number to
 * 1e-9 relative.
 */
class DistributedFidTest {
  static final int IMAGES = 1250;
  static final int BATCH = 100;
  static final long SEED = 5;

  /**
   * The one-process computation: every batch drawn in order, all features at once, statistics in one pass
   * over the full matrix, FID against the reference.
   */
  static double oneProcessFid(Path model, Path extractor, Sampler sampler, FeatureStatistics reference)
      throws Exception {
    try (OnnxDenoiser d = OnnxDenoiser.open(model, 1);
        FeatureExtractor fx = OnnxFeatureExtractor.open(extractor,
            OnnxFeatureExtractor.Options.defaults().withThreads(1))) {
      float[] all = Samplers.draw(d, sampler, Noise.seeded(SEED), IMAGES, BATCH, k -> {});
      FeatureStatistics generated = new FeatureMatrix(IMAGES, fx.dimension(), fx.extract(all, IMAGES, d.shape()))
          .statistics();
      return FrechetDistance.compute(generated, reference).fid();
    }
  }

  /** Features of Gaussian images with a larger spread than the model's, as the "real" set. */
  static FeatureStatistics reference(Path extractor) {
    try (FeatureExtractor fx = OnnxFeatureExtractor.open(extractor,
        OnnxFeatureExtractor.Options.defaults().withThreads(1))) {
      Random r = new Random(9);
      float[] images = new float[2000 * TestModels.SHAPE.size()];
      for (int i = 0; i < images.length; i++) {
        images[i] = (float) (0.8 * r.nextGaussian());
      }
      return new FeatureMatrix(2000, fx.dimension(), fx.extract(images, 2000, TestModels.SHAPE)).statistics();
    }
  }

  @Test
  void mergedFidOfSeedRangesEqualsOneProcess(@TempDir Path dir) throws Exception {
    Path model = TestModels.oracle(dir);
    Path extractor = TestModels.extractor(dir);
    SamplerOptions ddim = SamplerOptions.of(8).withEta(1.0); // stochastic: every image's noise matters
    Sampler sampler = Samplers.create("ddim", ddim);
    FeatureStatistics reference = reference(extractor);
    double once = oneProcessFid(model, extractor, sampler, reference);

    DistributedFid.Job job = new DistributedFid.Job(model.toString(), extractor.toString(),
        DistributedFid.ExtractorOptions.defaults(), "ddim", ddim, IMAGES, BATCH, SEED, 1);
    try (SparkRunner spark = SparkRunner.start(SparkOptions.parse("local[2]", List.of()), 2, "fid-test")) {
      FeatureStatistics merged = DistributedFid.statistics(spark.context(), job, 4);
      assertThat(merged.count()).hasValue(IMAGES);
      double distributed = FrechetDistance.compute(merged, reference).fid();
      assertThat(once).isGreaterThan(1e-3); // the two sets differ: a real distance, not 0 = 0
      assertThat(Math.abs(distributed - once) / once).as("FID %s (4 tasks) vs %s (one process)", distributed, once)
          .isLessThanOrEqualTo(1e-9);
    }
  }
}
