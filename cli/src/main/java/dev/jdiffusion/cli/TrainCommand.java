package dev.jdiffusion.cli;

import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.ConfigException;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.spi.InvalidParameterException;
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

/**
 * {@code ./diffusion train CONFIG.yaml [--steps N] [--out DIR] [--resume | --overwrite]}. A run directory
 * has one owner and one history: a directory holding another run is refused unless {@code --resume}
 * (same run, continued) or {@code --overwrite} (deleted first); see {@link TrainingRun}.
 */
@Command(
    name = "train",
    description = {
      "Train a denoiser as CONFIG (YAML or JSON) describes: schedule, parameterization, weighter, dataset,"
          + " model and training. Writes OUT/config.json, OUT/metrics.jsonl and OUT/checkpoints/step-N.ckpt.",
      "A directory that holds another run is refused unless --resume or --overwrite is given.",
      "Exit status 2 for bad input, 3 when a NaN or infinite loss, gradient or weight stopped the run (the"
          + " checkpoints are kept)."
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

  @Option(names = "--resume", description = {"Continue the run in DIR from its newest intact checkpoint. Only",
      "training.steps, checkpointEvery, keepCheckpoints, logEvery and device may differ from the run's."})
  boolean resume;

  @Option(names = "--overwrite", description = "Delete the run in DIR (its checkpoints, config.json and metrics.jsonl) first.")
  boolean overwrite;

  @Override
  public Integer call() throws IOException {
    if (resume && overwrite) {
      throw new UserException("--resume and --overwrite exclude each other: continue the run in DIR, or replace it");
    }
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
    TrainingRun.Mode mode = resume ? TrainingRun.Mode.RESUME : overwrite ? TrainingRun.Mode.OVERWRITE : TrainingRun.Mode.NEW;
    DatasetSource data;
    try {
      data = plugins.openDataset(cfg.dataset().get());
    } catch (InvalidParameterException e) {
      // a value that only the opened data shows to be too large (the heap, the padded image size)
      throw new ConfigException(config.toString(), "dataset." + e.parameter(),
          "value " + e.value() + " is not allowed: must be " + e.allowed(), e);
    }
    try (data) {
      TrainingRun.run(cfg, plugins, reader, data, TrainingRun.Options.auto(dir, mode, log));
      return 0;
    } catch (TrainingStoppedException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return 3;
    } catch (IllegalArgumentException e) {
      throw new UserException(config + ": " + e.getMessage(), e);
    }
  }

  private static String baseName(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 ? name.substring(0, dot) : name;
  }
}
