package dev.jdiffusion.pipeline;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.data.Batch;
import dev.jdiffusion.core.data.BatchLoader;
import dev.jdiffusion.exporter.ClassifierExporter;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.sampling.fid.BuiltinExtractor;
import dev.jdiffusion.sampling.fid.FeatureExtractor;
import dev.jdiffusion.sampling.fid.FeatureStatistics;
import dev.jdiffusion.sampling.fid.MomentAccumulator;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.trainer.classifier.ClassifierTraining;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;

/**
 * What the main job and the comparison share to score samples: the FID feature extractor (trained once
 * per dataset and cached), feature moments of generated images and of a dataset's test split.
 */
public final class FidScoring {
  private FidScoring() {}

  /**
   * What training the extractor gave.
   *
   * @param accuracy accuracy on the dataset's test split
   * @param steps optimizer steps
   * @param seconds wall time
   */
  public record ExtractorTraining(double accuracy, long steps, double seconds) {}

  /**
   * The built-in extractor for Fashion-MNIST ({@link BuiltinExtractor}); for other datasets the classifier
   * trained on the dataset's training split, cached by dataset so that later runs reuse it: {@code $JDIFFUSION_CACHE/extractors} or {@code ~/.cache/jdiffusion/extractors}. Trains it (and
   * says so on {@code log}) when it is not cached yet.
   *
   * @param quick train on 2000 images for one epoch (a smoke test) instead of 20000 for two
   */
  public static Path cachedExtractor(Environment env, DatasetConfig dataset, boolean quick, PrintWriter log,
      boolean progressBar) throws IOException {
    ObjectNode node = env.reader().json().valueToTree(dataset);
    String datasetName = node.path("name").asText();
    if (BuiltinExtractor.coversDataset(datasetName, node.path("padding").asInt(0))) {
      log.printf("FID extractor: %s (built in)%n", BuiltinExtractor.NAME);
      return BuiltinExtractor.file();
    }
    // The extractor sees a fixed draw of the training split, whatever subset the run trains on.
    StringBuilder spec = new StringBuilder(datasetName).append(":split=train,subset=").append(quick ? 2000 : 20000);
    for (String key : new String[] {"dir", "padding", "size", "channels"}) {
      JsonNode v = node.get(key);
      if (v != null && !v.isNull()) {
        spec.append(',').append(key).append('=').append(v.asText());
      }
    }
    String name = datasetName + "-cnn-" + Integer.toHexString(spec.toString().hashCode());
    String cacheRoot = System.getenv("JDIFFUSION_CACHE");
    Path cache = (cacheRoot != null ? Path.of(cacheRoot) : Path.of(System.getProperty("user.home"), ".cache", "jdiffusion"))
        .resolve("extractors");
    Path file = cache.resolve(name + ".onnx");
    if (Files.isRegularFile(file)) {
      log.printf("FID extractor: %s (cached)%n", file);
      return file;
    }
    log.printf("training the FID extractor on %s (once; cached in %s)%n", spec, file);
    ExtractorTraining r = trainExtractor(env, spec.toString(), quick ? 1 : 2, 128, 1e-3f, 0, name, file, log,
        progressBar);
    log.printf(Locale.ROOT, "FID extractor test accuracy %.4f%n", r.accuracy());
    return file;
  }

  /**
   * Trains the small FID feature classifier on a labelled dataset and exports it to ONNX with its test
   * accuracy.
   *
   * @param dataset a dataset option, e.g. {@code fashion-mnist:padding=2}; its train and test splits are used
   * @param name the extractor id written into the model
   * @param out the ONNX file
   * @throws PipelineException when the dataset has fewer than two classes
   */
  public static ExtractorTraining trainExtractor(Environment env, String dataset, int epochs, int batch, float lr,
      long seed, String name, Path out, PrintWriter log, boolean progressBar) throws IOException {
    long start = System.nanoTime();
    try (DatasetSource train = env.plugins().openDataset(split(env.reader(), dataset, "train"));
        DatasetSource test = env.plugins().openDataset(split(env.reader(), dataset, "test"));
        NDManager manager = NDManager.newBaseManager()) {
      long total = (long) epochs * (train.size() / batch);
      ClassifierTraining.Result r;
      try (Progress p = Progress.start("training the FID classifier", total, log, progressBar)) {
        r = ClassifierTraining.train(manager, train, test, classes(train, dataset), epochs, batch, lr, seed,
            k -> p.stepTo(k, null));
      }
      int padding = ConfigReader.parseOption(dataset).path("padding").asInt(0);
      var meta = ClassifierExporter.metadata(r.network(), name, dataset, r.testAccuracy(), padding);
      OnnxGraphBuilder.write(ClassifierExporter.export(r.network(), meta, env.version()), out);
      return new ExtractorTraining(r.testAccuracy(), r.steps(), (System.nanoTime() - start) / 1e9);
    }
  }

  /** One more than the largest label; the dataset must be labelled. */
  private static int classes(DatasetSource data, String dataset) {
    int max = -1;
    for (int i = 0; i < data.size(); i++) {
      max = Math.max(max, data.label(i));
    }
    if (max < 1) {
      throw new PipelineException("--dataset " + dataset + ": the classifier needs a labelled dataset with at"
          + " least 2 classes, found " + (max < 0 ? "no labels" : "one class"));
    }
    return max + 1;
  }

  private static DatasetConfig split(ConfigReader reader, String spec, String split) {
    ObjectNode node = ConfigReader.parseOption(spec);
    node.put("split", split);
    if (split.equals("test")) {
      node.remove("subset"); // score on the whole test split
    }
    return reader.convert("--dataset " + spec, node, DatasetConfig.class);
  }

  /**
   * The whole test split of a dataset configuration (no subset, no flips), to score samples against.
   *
   * @throws PipelineException when the dataset has no {@code split} option
   */
  public static DatasetConfig testSplit(ConfigReader reader, DatasetConfig dataset) {
    ObjectNode node = reader.json().valueToTree(dataset);
    if (!node.has("split")) {
      throw new PipelineException("dataset '" + node.path("name").asText() + "' has no 'split' option: FID needs"
          + " a held-out test split; pass --extractor and score with ./diffusion fid instead");
    }
    node.put("split", "test");
    node.remove("subset");
    node.remove("flip");
    return reader.convert("dataset (test split)", node, DatasetConfig.class);
  }

  /** Feature moments of the first {@code n} images of {@code images} ({@code [n, C, H, W]} flattened). */
  public static FeatureStatistics statistics(FeatureExtractor fx, float[] images, int n, ImageShape shape) {
    MomentAccumulator acc = new MomentAccumulator(fx.dimension());
    int batch = 200;
    for (int start = 0; start < n; start += batch) {
      int m = Math.min(batch, n - start);
      float[] chunk = Arrays.copyOfRange(images, start * shape.size(), (start + m) * shape.size());
      acc.add(fx.extract(chunk, m, shape), m);
    }
    return acc.statistics();
  }

  /** Feature moments of the first {@code limit} images of {@code test}, in order. */
  public static FeatureStatistics referenceStatistics(FeatureExtractor fx, DatasetSource test, int limit) {
    MomentAccumulator acc = new MomentAccumulator(fx.dimension());
    BatchLoader loader = BatchLoader.builder(test).setBatchSize(200).optShuffle(false).optDropLast(false).build();
    long seen = 0;
    for (Iterator<Batch> it = loader.epoch(0); it.hasNext() && seen < limit; ) {
      Batch b = it.next();
      int m = (int) Math.min(b.size(), limit - seen);
      float[] pixels = m == b.size() ? b.pixels() : Arrays.copyOf(b.pixels(), m * b.shape().size());
      acc.add(fx.extract(pixels, m, b.shape()), m);
      seen += m;
    }
    return acc.statistics();
  }
}
