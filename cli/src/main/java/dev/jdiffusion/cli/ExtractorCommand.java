package dev.jdiffusion.cli;

import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.exporter.ClassifierExporter;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.trainer.classifier.ClassifierTraining;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion extractor}: trains the small FID feature classifier on a labelled dataset (default
 * Fashion-MNIST padded to 32x32, as the denoisers see it) and exports it to ONNX with its test accuracy,
 * so that FID works offline. FIDs are comparable only between numbers computed with the same extractor.
 */
@Command(name = "extractor", sortOptions = false,
    description = "Train the small FID feature classifier on a labelled dataset and export it to ONNX.")
final class ExtractorCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = "--dataset", paramLabel = "SPEC",
      description = "Labelled dataset, e.g. fashion-mnist or fashion-mnist:dir=/data (default: ${DEFAULT-VALUE}).")
  String dataset = "fashion-mnist:padding=2";

  @Option(names = "--epochs", description = "Passes over the training split (default: ${DEFAULT-VALUE}).")
  int epochs = 2;

  @Option(names = "--batch", description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batch = 128;

  @Option(names = "--lr", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
  float lr = 1e-3f;

  @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--name", description = "Extractor id written into the model (default: ${DEFAULT-VALUE}).")
  String name = "fashion-mnist-cnn32";

  @Option(names = "--out", paramLabel = "FILE", description = "Output model (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("out", "extractor", "fashion-mnist-cnn32.onnx");

  @Override
  public Integer call() throws IOException, OrtException {
    PrintWriter log = spec.commandLine().getOut();
    Writable.requireParent("--out", out);
    Result r = train(main, dataset, epochs, batch, lr, seed, name, out, log);
    log.printf(Locale.ROOT, "test accuracy %.4f after %d steps (%.0f s); wrote %s%n",
        r.accuracy(), r.steps(), r.seconds(), out);
    log.flush();
    return 0;
  }

  record Result(double accuracy, long steps, double seconds) {}

  static Result train(Main main, String dataset, int epochs, int batch, float lr, long seed, String name,
      Path out, PrintWriter log) throws IOException {
    Plugins plugins = main.injector().getInstance(Plugins.class);
    ConfigReader reader = main.injector().getInstance(ConfigReader.class);
    long start = System.nanoTime();
    try (DatasetSource train = plugins.openDataset(split(reader, dataset, "train"));
        DatasetSource test = plugins.openDataset(split(reader, dataset, "test"));
        NDManager manager = NDManager.newBaseManager()) {
      long total = (long) epochs * (train.size() / batch);
      ClassifierTraining.Result r;
      try (Progress p = Progress.start("training the FID classifier", total, log)) {
        r = ClassifierTraining.train(manager, train, test, classes(train, dataset), epochs, batch, lr, seed,
            k -> p.stepTo(k, null));
      }
      int padding = ConfigReader.parseOption(dataset).path("padding").asInt(0);
      var meta = ClassifierExporter.metadata(r.network(), name, dataset, r.testAccuracy(), padding);
      OnnxGraphBuilder.write(ClassifierExporter.export(r.network(), meta, Main.version()), out);
      return new Result(r.testAccuracy(), r.steps(), (System.nanoTime() - start) / 1e9);
    }
  }

  /** One more than the largest label; the dataset must be labelled. */
  private static int classes(DatasetSource data, String dataset) {
    int max = -1;
    for (int i = 0; i < data.size(); i++) {
      max = Math.max(max, data.label(i));
    }
    if (max < 1) {
      throw new UserException("--dataset " + dataset + ": the classifier needs a labelled dataset with at least"
          + " 2 classes, found " + (max < 0 ? "no labels" : "one class"));
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
}
