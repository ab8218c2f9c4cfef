package dev.jdiffusion.cli;

import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.trainer.TrainConfig;
import dev.jdiffusion.trainer.TrainingRun;
import dev.jdiffusion.trainer.TrainingStoppedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code ./diffusion train CONFIG.yaml [--steps N] [--out DIR] [--resume]}. */
@Command(
    name = "train",
    description = {
      "Train a denoiser as CONFIG (YAML or JSON) describes: schedule, parameterization, weighter, dataset,"
          + " model and training. Writes OUT/config.json, OUT/metrics.jsonl and OUT/checkpoints/step-N.ckpt.",
      "Exit status 3 when a NaN or infinite loss or gradient stopped the run (the checkpoints are kept)."
    },
    sortOptions = false)
final class TrainCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "CONFIG", description = "The run configuration.")
  Path config;

  @Option(names = "--steps", paramLabel = "N", description = "Train to N steps in total (overrides training.steps).")
  Integer steps;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Run directory (default: out/<CONFIG's name without extension>).")
  Path out;

  @Option(names = "--resume", description = "Continue from the newest checkpoint in DIR/checkpoints.")
  boolean resume;

  @Override
  public Integer call() throws IOException {
    ConfigReader reader = main.injector().getInstance(ConfigReader.class);
    Plugins plugins = main.injector().getInstance(Plugins.class);
    TrainConfig cfg = reader.read(config, TrainConfig.class);
    if (steps != null) {
      if (steps < 1) {
        throw new UserException("--steps " + steps + " is not allowed: must be >= 1");
      }
      cfg = cfg.withSteps(steps);
    }
    if (cfg.dataset().isEmpty()) {
      throw new UserException(config + ": dataset: missing required value (the data to train on), e.g."
          + " dataset: {name: fashion-mnist, padding: 2}; ./diffusion plugins lists the datasets");
    }
    Path dir = out != null ? out : Path.of("out", baseName(config));
    Writable.requireDirectory(out != null ? "--out" : "the run directory", dir);
    PrintWriter log = spec.commandLine().getOut();
    try (DatasetSource data = plugins.openDataset(cfg.dataset().get())) {
      TrainingRun.run(cfg, plugins, reader, data, TrainingRun.Options.auto(dir, resume, log));
      return 0;
    } catch (TrainingStoppedException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return 3;
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage());
    }
  }

  private static String baseName(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 ? name.substring(0, dot) : name;
  }
}
