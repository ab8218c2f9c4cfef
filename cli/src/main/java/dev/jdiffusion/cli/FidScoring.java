package dev.jdiffusion.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.data.Batch;
import dev.jdiffusion.core.data.BatchLoader;
import dev.jdiffusion.sampling.fid.BuiltinExtractor;
import dev.jdiffusion.sampling.fid.FeatureExtractor;
import dev.jdiffusion.sampling.fid.FeatureStatistics;
import dev.jdiffusion.sampling.fid.MomentAccumulator;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;

/** What {@code run} and {@code compare} share to score samples: the cached extractor and feature moments. */
final class FidScoring {
  private FidScoring() {}

  /**
   * The built-in extractor for Fashion-MNIST ({@link BuiltinExtractor}); for other datasets the classifier
   * trained on the dataset's training split, cached by dataset so that later runs reuse it:
   * {@code $JDIFFUSION_CACHE/extractors} or {@code ~/.cache/jdiffusion/extractors}.
   */
  static Path cachedExtractor(Main main, ConfigReader reader, DatasetConfig dataset, boolean quick,
      PrintWriter log) throws IOException {
    ObjectNode node = reader.json().valueToTree(dataset);
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
    ExtractorCommand.Result r = ExtractorCommand.train(main, spec.toString(), quick ? 1 : 2, 128, 1e-3f, 0, name,
        file, log);
    log.printf(Locale.ROOT, "FID extractor test accuracy %.4f%n", r.accuracy());
    return file;
  }

  static FeatureStatistics statistics(FeatureExtractor fx, float[] images, int n, ImageShape shape) {
    MomentAccumulator acc = new MomentAccumulator(fx.dimension());
    int batch = 200;
    for (int start = 0; start < n; start += batch) {
      int m = Math.min(batch, n - start);
      float[] chunk = java.util.Arrays.copyOfRange(images, start * shape.size(), (start + m) * shape.size());
      acc.add(fx.extract(chunk, m, shape), m);
    }
    return acc.statistics();
  }

  static FeatureStatistics referenceStatistics(FeatureExtractor fx, DatasetSource test, int limit) {
    MomentAccumulator acc = new MomentAccumulator(fx.dimension());
    BatchLoader loader = BatchLoader.builder(test).setBatchSize(200).optShuffle(false).optDropLast(false).build();
    long seen = 0;
    for (Iterator<Batch> it = loader.epoch(0); it.hasNext() && seen < limit; ) {
      Batch b = it.next();
      int m = (int) Math.min(b.size(), limit - seen);
      float[] pixels = m == b.size() ? b.pixels() : java.util.Arrays.copyOf(b.pixels(), m * b.shape().size());
      acc.add(fx.extract(pixels, m, b.shape()), m);
      seen += m;
    }
    return acc.statistics();
  }

}
