package dev.jdiffusion.cli;

import dev.jdiffusion.sampling.fid.BuiltinExtractor;
import dev.jdiffusion.sampling.fid.FidInputs;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion stats INPUT --out ref.npz}: the FID statistics ({@code mu}, {@code sigma}, pytorch-fid's
 * {@code .npz} layout, like its {@code --save-stats}) of a dataset, a folder of images or an {@code .npy} of
 * images or features, for later {@code ./diffusion fid GEN ref.npz}. The statistics are always computed
 * from the input (never taken from the shipped file), so this command also reproduces the shipped
 * statistics of the Fashion-MNIST test split.
 */
@Command(name = "stats", sortOptions = false, mixinStandardHelpOptions = true,
    description = {"Write the FID statistics (mu, sigma; pytorch-fid's .npz layout) of a set of images or features.",
        "INPUT: a dataset (name[:key=value,...], e.g. fashion-mnist:split=test), a folder of images, or an .npy of"
            + " images [N, C, H, W] in [-1, 1] or features [N, D]. Grayscale 28x28 and 32x32 images are scored"
            + " with the built-in extractor " + BuiltinExtractor.NAME + " unless --extractor names another."})
final class StatsCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "INPUT", description = "Dataset specification, folder or .npy.")
  String input;

  @Option(names = "--out", required = true, paramLabel = "FILE.npz", description = "Where to write the statistics.")
  Path out;

  @Mixin FeatureInputs.ExtractorOptions extractorOptions = new FeatureInputs.ExtractorOptions();

  @Override
  public Integer call() throws IOException {
    PrintWriter log = spec.commandLine().getOut();
    Writable.requireParent("--out", out);
    try (FeatureInputs inputs = new FeatureInputs(main, extractorOptions)) {
      FidInputs.Loaded loaded = inputs.load("INPUT", input, false, false, spec.commandLine().getErr());
      Path parent = out.toAbsolutePath().getParent();
      if (parent != null) {
        java.nio.file.Files.createDirectories(parent);
      }
      loaded.statistics().save(out);
      FidCommand.describe(log, "INPUT", loaded);
      loaded.statistics().singularityWarning().ifPresent(w -> spec.commandLine().getErr().println("warning: " + w));
      log.println("wrote " + out);
      log.flush();
      return 0;
    }
  }
}
