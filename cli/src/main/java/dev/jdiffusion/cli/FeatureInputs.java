package dev.jdiffusion.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.pipeline.Progress;
import dev.jdiffusion.core.PluginKind;
import dev.jdiffusion.sampling.fid.BuiltinExtractor;
import dev.jdiffusion.sampling.fid.FeatureExtractionException;
import dev.jdiffusion.sampling.fid.FeatureExtractor;
import dev.jdiffusion.sampling.fid.FidInputs;
import dev.jdiffusion.sampling.fid.OnnxFeatureExtractor;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * What {@code fid} and {@code stats} share: the extractor options, and turning one input (an {@code .npz},
 * an {@code .npy}, a folder, or a dataset specification such as {@code fashion-mnist:split=test}) into
 * feature statistics. Without {@code --extractor}, grayscale 28x28 and 32x32 images are scored with the
 * built-in extractor ({@link BuiltinExtractor}); other images need one.
 */
final class FeatureInputs implements AutoCloseable {

  /** The extractor options, a picocli mixin. */
  static final class ExtractorOptions {
    @Option(names = "--extractor", paramLabel = "MODEL.onnx",
        description = "ONNX feature extractor: images [N, C, H, W] in, pooled features out (default: the built-in "
            + BuiltinExtractor.NAME + " for grayscale 28x28 and 32x32 images).")
    Path extractor;

    @Option(names = "--extractor-input", paramLabel = "NAME", description = "Its image input (default: from the model).")
    String extractorInput;

    @Option(names = "--extractor-output", paramLabel = "NAME", description = "Its feature output (default: from the model).")
    String extractorOutput;

    @Option(names = "--extractor-size", paramLabel = "HxW",
        description = "Input size the extractor takes, e.g. 299x299 (default: from the model).")
    String extractorSize;

    @Option(names = "--extractor-range", paramLabel = "MIN,MAX",
        description = "Pixel range the extractor takes, e.g. 0,1 (default: from the model's metadata, else -1,1).")
    String extractorRange;

    @Option(names = "--batch", description = "Images per extractor call (default: ${DEFAULT-VALUE}).")
    int batch = 50;

    @Option(names = "--threads", description = "ONNX Runtime threads (default: the cores, ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    OnnxFeatureExtractor.Options resolve() {
      OnnxFeatureExtractor.Options o;
      try {
        o = OnnxFeatureExtractor.Options.defaults().withBatch(batch).withThreads(threads)
            .withInput(extractorInput).withOutput(extractorOutput);
      } catch (IllegalArgumentException e) {
        throw new UserException("--batch/--threads: " + e.getMessage(), e);
      }
      if (extractorSize != null) {
        String[] hw = extractorSize.toLowerCase(Locale.ROOT).split("x");
        try {
          int h = Integer.parseInt(hw[0].trim());
          int w = hw.length > 1 ? Integer.parseInt(hw[1].trim()) : h;
          if (hw.length > 2 || h < 1 || w < 1) {
            throw new NumberFormatException();
          }
          o = o.withSize(h, w);
        } catch (NumberFormatException e) {
          throw new UserException("--extractor-size: '" + extractorSize + "' is not HxW (e.g. 299x299) or one size", e);
        }
      }
      if (extractorRange != null) {
        String[] r = extractorRange.split(",");
        try {
          if (r.length != 2) {
            throw new NumberFormatException();
          }
          o = o.withPixelRange(Double.parseDouble(r[0].trim()), Double.parseDouble(r[1].trim()));
        } catch (NumberFormatException e) {
          throw new UserException("--extractor-range: '" + extractorRange + "' is not MIN,MAX (e.g. 0,1)", e);
        }
      }
      return o;
    }
  }

  private final Main main;
  private final Path explicit;
  private final OnnxFeatureExtractor.Options options;
  private FeatureExtractor opened;

  FeatureInputs(Main main, ExtractorOptions extractorOptions) {
    this.main = main;
    this.explicit = extractorOptions.extractor;
    this.options = extractorOptions.resolve();
  }

  /**
   * Loads one input: an existing file or folder, else a dataset specification.
   *
   * @param label how messages name it (A, B, INPUT)
   * @param kid keep the feature vectors
   * @param allowShipped use the shipped statistics of the Fashion-MNIST test split where they apply
   */
  FidInputs.Loaded load(String label, String input, boolean kid, boolean allowShipped, PrintWriter log) {
    try {
      Path path = Path.of(input);
      if (Files.exists(path)) {
        return loadPath(label, path, kid, log);
      }
    } catch (java.nio.file.InvalidPathException e) {
      // not a path: a dataset specification, or nothing
    }
    return loadDataset(label, input, kid, allowShipped, log);
  }

  private FidInputs.Loaded loadPath(String label, Path input, boolean kid, PrintWriter log) {
    try {
      FidInputs.Kind kind = FidInputs.kind(input);
      FeatureExtractor x = null;
      if (kind.needsExtractor()) {
        x = extractorFor(label + " (" + input + ")", FidInputs.imageShape(input, explicitChannels()).orElseThrow());
      }
      try (Bar bar = new Bar("features of " + label + " (" + input.getFileName() + ")", log)) {
        return FidInputs.load(input, x, kid, kind.needsExtractor() ? bar : null);
      }
    } catch (IOException e) {
      throw new UserException(e.getMessage(), e);
    } catch (FeatureExtractionException e) {
      throw new UserException(e.getMessage(), e);
    }
  }

  private FidInputs.Loaded loadDataset(String label, String spec, boolean kid, boolean allowShipped, PrintWriter log) {
    ObjectNode node;
    try {
      node = ConfigReader.parseOption(spec);
    } catch (RuntimeException e) {
      throw notFound(label, spec);
    }
    Plugins plugins = main.injector().getInstance(Plugins.class);
    if (!plugins.registry().entries(PluginKind.DATASET).containsKey(node.path("name").asText())) {
      throw notFound(label, spec);
    }
    ConfigReader reader = main.injector().getInstance(ConfigReader.class);
    DatasetConfig config = reader.convert(label + " " + spec, node, DatasetConfig.class);
    JsonNode resolved = reader.json().valueToTree(config);
    if (allowShipped && !kid && explicit == null && isShippedTestSplit(resolved)) {
      FeatureExtractor x = extractorFor(label, new ImageShape(1, 32, 32));
      return new FidInputs.Loaded(spec + " [" + BuiltinExtractor.testStatisticsDescription() + "]",
          FidInputs.Kind.DATASET, BuiltinExtractor.testStatistics(), Optional.empty(), x.description());
    }
    try (DatasetSource data = plugins.openDataset(config);
        Bar bar = new Bar("features of " + label + " (" + spec + ")", log)) {
      FeatureExtractor x = extractorFor(label + " (" + spec + ")", data.shape());
      return FidInputs.fromDataset(spec, data, x, 0, kid, bar);
    } catch (IOException e) {
      throw new UserException(label + " " + spec + ": " + e.getMessage(), e);
    } catch (FeatureExtractionException e) {
      throw new UserException(e.getMessage(), e);
    }
  }

  /** The whole Fashion-MNIST test split, 28x28 or padded to 32x32, from the default location. */
  static boolean isShippedTestSplit(JsonNode d) {
    int padding = d.path("padding").asInt(0);
    return d.path("name").asText().equals("fashion-mnist") && d.path("split").asText().equals("test")
        && d.path("subset").asInt(0) == 0 && (padding == 0 || padding == 2) && !d.path("flip").asBoolean(false)
        && (d.path("dir").isNull() || d.path("dir").isMissingNode());
  }

  private static UserException notFound(String label, String input) {
    return new UserException(label + ": '" + input + "' is neither a file or folder nor a dataset (name[:key=value,...]"
        + " with a dataset's name; ./diffusion plugins lists them)");
  }

  private int explicitChannels() {
    if (explicit == null) {
      return 1;
    }
    return extractor().inputShape().channels();
  }

  /** The extractor for images of {@code shape}: the one given, else the built-in one where it applies. */
  FeatureExtractor extractorFor(String what, ImageShape shape) {
    if (explicit == null && !BuiltinExtractor.accepts(shape)) {
      throw new UserException(what + ": images of " + shape.channels() + "x" + shape.height() + "x" + shape.width()
          + " need --extractor MODEL.onnx (the built-in extractor " + BuiltinExtractor.NAME
          + " takes grayscale 28x28 and 32x32 images)");
    }
    return extractor();
  }

  private FeatureExtractor extractor() {
    if (opened == null) {
      try {
        opened = explicit != null ? OnnxFeatureExtractor.open(explicit, options) : BuiltinExtractor.open(options);
      } catch (FeatureExtractionException e) {
        throw new UserException(e.getMessage(), e);
      }
    }
    return opened;
  }

  @Override
  public void close() {
    if (opened != null) {
      opened.close();
    }
  }

  /** A progress bar started on the first update. */
  private static final class Bar implements FidInputs.ProgressListener, AutoCloseable {
    private final String task;
    private final PrintWriter log;
    private Progress progress;

    Bar(String task, PrintWriter log) {
      this.task = task;
      this.log = log;
    }

    @Override
    public void update(long done, long total) {
      if (progress == null) {
        progress = Progress.start(task, total, log, Progress.interactive());
      }
      progress.stepTo(done, null);
    }

    @Override
    public void close() {
      if (progress != null) {
        progress.close();
      }
    }
  }
}
