package dev.jdiffusion.sampling.fid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.exporter.onnx.GaussianOracle;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.sampler.Noise;
import dev.jdiffusion.sampling.sampler.Sampler;
import dev.jdiffusion.sampling.sampler.SamplerOptions;
import dev.jdiffusion.sampling.sampler.Samplers;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampledStatisticsTest {

  @Property
  void partsCoverEveryBatchOnceInOrderWithTwoImagesOrMore(@ForAll @IntRange(min = 2, max = 500) int images,
      @ForAll @IntRange(min = 1, max = 64) int batch, @ForAll @IntRange(min = 1, max = 40) int parts) {
    SampledStatistics.Draw draw = new SampledStatistics.Draw(images, batch, 7);
    List<SampledStatistics.Part> split = draw.split(parts);
    assertThat(split).isNotEmpty().hasSizeLessThanOrEqualTo(parts);
    int next = 0;
    int total = 0;
    for (SampledStatistics.Part p : split) {
      assertThat(p.firstBatch()).isEqualTo(next);
      assertThat(p.images()).isGreaterThanOrEqualTo(2);
      next = p.endBatch();
      total += p.images();
    }
    assertThat(next).isEqualTo(draw.batches());
    assertThat(total).isEqualTo(images);
  }

  @Test
  void splitIsEvenInWholeBatchesAndKeepsALoneLastImageWithItsNeighbour() {
    // 1000 images in batches of 100 over 3 parts: 3 + 3 + 4 batches.
    assertThat(new SampledStatistics.Draw(1000, 100, 0).split(3)).extracting(SampledStatistics.Part::images)
        .containsExactly(300, 300, 400);
    // 201 images: the last batch holds one image, so it cannot be a part alone.
    assertThat(new SampledStatistics.Draw(201, 100, 0).split(3)).extracting(SampledStatistics.Part::images)
        .containsExactly(100, 101);
    assertThatThrownBy(() -> new SampledStatistics.Draw(1, 10, 0)).hasMessageContaining("at least 2 images");
  }

  @Test
  void pooledPartsEqualOneProcessDrawingEveryImage(@TempDir Path dir) throws Exception {
    ImageShape shape = new ImageShape(1, 8, 8);
    double[] betas = new double[1000];
    for (int i = 0; i < 1000; i++) {
      betas[i] = 1e-4 + (0.02 - 1e-4) * i / 999;
    }
    NoiseSchedule linear = NoiseSchedule.fromBetas(betas);
    Path model = dir.resolve("oracle.onnx");
    OnnxGraphBuilder.write(GaussianOracle.model(linear, 0.5, shape, GaussianOracle.metadata(linear, shape)), model);
    Path extractorFile = dir.resolve("extractor.onnx");
    OnnxGraphBuilder.write(OnnxFeatureExtractorTest.model(Map.of()), extractorFile);
    Sampler sampler = Samplers.create("ddim", SamplerOptions.of(5).withEta(1.0)); // stochastic: noise matters
    SampledStatistics.Draw draw = new SampledStatistics.Draw(250, 40, 11);

    try (OnnxDenoiser d = OnnxDenoiser.open(model, 1);
        FeatureExtractor fx = OnnxFeatureExtractor.open(extractorFile,
            OnnxFeatureExtractor.Options.defaults().withOutput("pool").withThreads(1))) {
      // One process: every batch drawn in turn, all features at once, one-shot statistics.
      float[] all = Samplers.draw(d, sampler, Noise.seeded(11), 250, 40, k -> {});
      FeatureStatistics once = new FeatureMatrix(250, 3, fx.extract(all, 250, shape)).statistics();

      MomentAccumulator pooled = new MomentAccumulator(3);
      for (SampledStatistics.Part p : draw.split(4)) {
        pooled.merge(SampledStatistics.compute(d, sampler, fx, p));
      }
      FeatureStatistics merged = pooled.statistics();
      assertThat(merged.count()).hasValue(250);
      double scale = Math.abs(once.sigma()[0]);
      assertThat(scale).isGreaterThan(1e-6); // the features vary, so the comparison means something
      assertThat(merged.mu()).containsExactly(once.mu(), within(1e-12));
      assertThat(merged.sigma()).containsExactly(once.sigma(), within(1e-12 * scale));
      FeatureStatistics whole = SampledStatistics.compute(d, sampler, fx, draw.whole());
      assertThat(whole.sigma()).containsExactly(once.sigma(), within(1e-12 * scale));
    }
  }
}
