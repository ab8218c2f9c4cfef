package dev.jdiffusion.cli;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.pipeline.Environment;
import dev.jdiffusion.pipeline.FidScoring;
import dev.jdiffusion.pipeline.Progress;
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
    FidScoring.ExtractorTraining r = FidScoring.trainExtractor(Environment.of(main.injector(), Main.version()),
        dataset, epochs, batch, lr, seed, name, out, log, Progress.interactive());
    log.printf(Locale.ROOT, "test accuracy %.4f after %d steps (%.0f s); wrote %s%n",
        r.accuracy(), r.steps(), r.seconds(), out);
    log.flush();
    return 0;
  }
}
