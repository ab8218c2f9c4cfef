package dev.jdiffusion.spark;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.fid.FeatureExtractor;
import dev.jdiffusion.sampling.fid.FeatureStatistics;
import dev.jdiffusion.sampling.fid.MomentAccumulator;
import dev.jdiffusion.sampling.fid.OnnxFeatureExtractor;
import dev.jdiffusion.sampling.fid.SampledStatistics;
import dev.jdiffusion.sampling.sampler.SamplerOptions;
import dev.jdiffusion.sampling.sampler.Samplers;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * FID at scale: the feature statistics of many samples of one model (the literature's 50,000), drawn by
 * several Spark tasks, each over its own disjoint range of noise seeds ({@link SampledStatistics.Part}),
 * each returning only its feature moments (count, mean, covariance: D + D^2 numbers), which the driver pools
 * exactly ({@link MomentAccumulator#merge}). The pooled statistics are those of the same images drawn by one
 * process, so the FID does not depend on the number of tasks.
 *
 * <p>The model and the extractor are read by every task from the paths given, so on a cluster they must be
 * on a file system that every executor sees.
 */
public final class DistributedFid {
  private DistributedFid() {}

  /**
   * What to draw and how to featurise it.
   *
   * @param model the exported denoiser ({@code .onnx}), visible to every executor
   * @param extractor the feature extractor ({@code .onnx}), visible to every executor
   * @param extractorOptions how to call the extractor (its thread count is replaced by {@code threads})
   * @param sampler the sampler's name, as {@link Samplers#create} takes it
   * @param samplerOptions the sampler's settings
   * @param images N, the number of samples
   * @param batch images per sampler call (the parts are whole batches, so each image is drawn in the same
   *     batch as by one process)
   * @param seed the noise seed: image i's noise is the seed's stream for i
   * @param threads ONNX Runtime threads of each task
   */
  public record Job(String model, String extractor, ExtractorOptions extractorOptions, String sampler,
      SamplerOptions samplerOptions, int images, int batch, long seed, int threads) implements Serializable {
    private static final long serialVersionUID = 1L;

    public Job {
      Samplers.create(sampler, samplerOptions); // checks the name and settings before anything is shipped
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be >= 1, got " + threads);
      }
      new SampledStatistics.Draw(images, batch, seed); // checks images and batch
    }

    SampledStatistics.Draw draw() {
      return new SampledStatistics.Draw(images, batch, seed);
    }
  }

  /**
   * The extractor settings that {@link OnnxFeatureExtractor.Options} holds, in a serializable form: output
   * name (null: from the model) and images per network call.
   *
   * @param output the feature output's name, or null to take it from the model
   * @param batch images per extractor call
   */
  public record ExtractorOptions(String output, int batch) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Everything from the model, batches of 50. */
    public static ExtractorOptions defaults() {
      return new ExtractorOptions(null, 50);
    }

    OnnxFeatureExtractor.Options toOptions(int threads) {
      OnnxFeatureExtractor.Options o = OnnxFeatureExtractor.Options.defaults().withBatch(batch).withThreads(threads);
      return output == null ? o : o.withOutput(output);
    }
  }

  /** One part's statistics as they travel from a task to the driver. */
  record Moments(long count, double[] mu, double[] sigma) implements Serializable {
    private static final long serialVersionUID = 1L;

    static Moments of(FeatureStatistics s) {
      return new Moments(s.count().orElseThrow(), s.mu(), s.sigma());
    }

    FeatureStatistics statistics() {
      return FeatureStatistics.of(count, mu, sigma);
    }
  }

  /** A part as shipped to a task: batches {@code [first, end)}. */
  record Range(int first, int end) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /**
   * Draws the job's images in at most {@code tasks} Spark tasks and pools their feature statistics.
   *
   * @param tasks the number of parts (fewer when there are fewer batches)
   */
  public static FeatureStatistics statistics(JavaSparkContext spark, Job job, int tasks) {
    List<Range> ranges = job.draw().split(tasks).stream()
        .map(p -> new Range(p.firstBatch(), p.endBatch())).toList();
    List<Moments> parts = spark.parallelize(ranges, ranges.size()).map(r -> part(job, r)).collect();
    MomentAccumulator pooled = new MomentAccumulator(parts.get(0).mu().length);
    for (Moments m : parts) {
      pooled.merge(m.statistics());
    }
    return pooled.statistics();
  }

  /** The work of one task: its batches drawn, featurised and summarised. */
  static Moments part(Job job, Range range) throws OrtException {
    SampledStatistics.Part part = new SampledStatistics.Part(job.draw(), range.first(), range.end());
    try (OnnxDenoiser model = OnnxDenoiser.open(Path.of(job.model()), job.threads());
        FeatureExtractor extractor = OnnxFeatureExtractor.open(Path.of(job.extractor()),
            job.extractorOptions().toOptions(job.threads()))) {
      return Moments.of(SampledStatistics.compute(model, Samplers.create(job.sampler(), job.samplerOptions()),
          extractor, part));
    }
  }
}
