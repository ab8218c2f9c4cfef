package dev.jdiffusion.trainer;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A training run in a directory:
 * <pre>
 *   OUT/config.json          the resolved configuration (every default filled in)
 *   OUT/metrics.jsonl        one JSON object per step: step, loss, mean_weight, lr, grad_norm, images_per_s
 *   OUT/checkpoints/step-NNNNNNNN.ckpt   see {@link Checkpoint}; the newest {@code keepCheckpoints} are kept
 * </pre>
 * With {@code resume}, the run continues from the newest checkpoint in {@code OUT/checkpoints} and, since
 * every random draw is a function of the seed and the step, reproduces the losses of an uninterrupted run.
 * A NaN or infinite loss or gradient stops the run with {@link TrainingStoppedException} naming the step;
 * the checkpoints already written are left as they are.
 */
public final class TrainingRun {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TrainingRun() {}

  /**
   * How to run.
   *
   * @param out the run directory
   * @param resume continue from the newest checkpoint in {@code out/checkpoints}
   * @param log where progress lines and messages go
   * @param progressBar draw a progress bar instead of plain lines
   */
  public record Options(Path out, boolean resume, PrintWriter log, boolean progressBar) {
    /** Plain lines on {@code log}, or a bar when there is an interactive console and CI is not set. */
    public static Options auto(Path out, boolean resume, PrintWriter log) {
      return new Options(out, resume, log, Progress.interactiveConsole());
    }
  }

  /**
   * What the run did.
   *
   * @param firstStep the step the run started from (0, or the resumed checkpoint's)
   * @param steps updates completed in total
   * @param losses the loss of each step this run made, in order
   * @param lastCheckpoint the newest checkpoint written
   */
  public record Summary(long firstStep, long steps, List<Double> losses, Path lastCheckpoint) {}

  /** Builds the objective of {@code config} from the plugins, without knowing any plugin by name. */
  public static WeightedDenoisingLoss objective(TrainConfig config, Plugins plugins) {
    NoiseSchedule table = plugins.schedule(config.schedule());
    LossWeights weights = plugins.lossWeights(
        plugins.idOf(config.weighter().config()), table, config.weighter(), config.parameterization());
    return WeightedDenoisingLoss.of(table, plugins.parameterization(config.parameterization()), weights);
  }

  /**
   * Trains.
   *
   * @throws TrainingStoppedException on a non-finite loss or gradient
   * @throws IllegalArgumentException when a resumed checkpoint does not belong to this configuration
   */
  public static Summary run(TrainConfig config, Plugins plugins, ConfigReader reader, DatasetSource data,
      Options options) throws IOException {
    TrainConfig.Training t = config.training();
    UNetConfig network = config.model().resolve(data.shape());
    WeightedDenoisingLoss objective = objective(config, plugins);
    Device device = Engines.device(t.device());
    JsonNode resolved = reader.json().valueToTree(config);
    Path out = options.out();
    Path checkpoints = out.resolve("checkpoints");
    Files.createDirectories(checkpoints);
    Files.writeString(out.resolve("config.json"),
        reader.json().writerWithDefaultPrettyPrinter().writeValueAsString(config));
    PrintWriter log = options.log();

    try (DiffusionTrainer trainer = new DiffusionTrainer(network, t, objective, data, device)) {
      Path lastCheckpoint = null;
      if (options.resume()) {
        Optional<Path> latest = Checkpoint.latest(checkpoints);
        if (latest.isEmpty()) {
          throw new IllegalArgumentException("--resume: no checkpoint in " + checkpoints);
        }
        lastCheckpoint = latest.get();
        restore(trainer, lastCheckpoint, network, t);
        log.printf(Locale.ROOT, "resumed from %s (step %d)%n", lastCheckpoint, trainer.completedSteps());
        log.flush();
      }
      long start = trainer.completedSteps();
      Path metrics = out.resolve("metrics.jsonl");
      truncateMetrics(metrics, start);
      log.printf(Locale.ROOT, "training %s on %s (%d images of %s), %,d parameters, %d thread(s), device %s%n",
          describe(network), config.dataset().map(plugins::idOf).orElse("a dataset"),
          data.size(), data.shape(), trainer.network().parameterCount(), Engines.threads(), device);
      log.flush();
      List<Double> losses = new ArrayList<>();
      try (BufferedWriter metricsOut = Files.newBufferedWriter(metrics, StandardCharsets.UTF_8,
              StandardOpenOption.CREATE, StandardOpenOption.APPEND);
          Progress progress = Progress.create(log, start, t.steps(), t.logEvery(), options.progressBar())) {
        double smoothed = 0;
        while (trainer.completedSteps() < t.steps()) {
          long began = System.nanoTime();
          DiffusionTrainer.StepResult r;
          try {
            r = trainer.trainStep();
          } catch (NonFiniteLossException e) {
            String kept = lastCheckpoint == null
                ? "no checkpoint had been written yet"
                : "the last good checkpoint is " + lastCheckpoint + " (step " + Checkpoint.stepOf(lastCheckpoint) + ")";
            progress.message("stopped: " + e.getMessage() + "; " + kept);
            throw new TrainingStoppedException(e.getMessage() + "; " + kept, e);
          }
          double seconds = (System.nanoTime() - began) / 1e9;
          double imagesPerSecond = t.batchSize() / seconds;
          smoothed = r.step() == start + 1 ? imagesPerSecond : 0.9 * smoothed + 0.1 * imagesPerSecond;
          losses.add(r.loss());
          ObjectNode line = JSON.createObjectNode();
          line.put("step", r.step());
          line.put("loss", r.loss());
          line.put("mean_weight", r.meanWeight());
          line.put("lr", r.lr());
          line.put("grad_norm", r.gradNorm());
          line.put("images_per_s", imagesPerSecond);
          metricsOut.write(JSON.writeValueAsString(line));
          metricsOut.write('\n');
          progress.update(r, smoothed);
          if (r.step() % t.checkpointEvery() == 0 || r.step() == t.steps()) {
            metricsOut.flush();
            lastCheckpoint = Checkpoint.write(checkpoints, trainer, resolved);
            Checkpoint.prune(checkpoints, t.keepCheckpoints());
          }
        }
      }
      if (lastCheckpoint != null) {
        log.printf(Locale.ROOT, "done: %d steps; checkpoint %s%n", trainer.completedSteps(), lastCheckpoint);
        log.flush();
      }
      return new Summary(start, trainer.completedSteps(), List.copyOf(losses), lastCheckpoint);
    }
  }

  private static String describe(UNetConfig n) {
    return String.format(Locale.ROOT, "UNet(base %d, mult %s, %d res, attn %s)", n.baseChannels(),
        n.channelMultipliers(), n.resBlocks(), n.attentionResolutions());
  }

  private static void restore(DiffusionTrainer trainer, Path file, UNetConfig network, TrainConfig.Training t)
      throws IOException {
    try (NDManager manager = NDManager.newBaseManager()) {
      Checkpoint.Contents c = Checkpoint.read(file, manager);
      if (!c.network().equals(network)) {
        throw new IllegalArgumentException(file + " holds a different network: " + c.network()
            + "; this configuration builds " + network);
      }
      if (c.seed() != t.seed()) {
        throw new IllegalArgumentException(file + " was trained with seed " + c.seed()
            + " but the configuration says training.seed = " + t.seed()
            + "; a resumed run must keep its seed to continue the same trajectory");
      }
      if (!c.parameterNames().equals(trainer.parameterNames())) {
        throw new IllegalArgumentException(file + ": its parameter names differ from this network's");
      }
      if (c.step() > t.steps()) {
        throw new IllegalArgumentException(file + " is at step " + c.step()
            + ", beyond training.steps = " + t.steps());
      }
      trainer.restore(c.step(), c.weights(), c.ema(), c.emaUpdates(), c.optimizer(), c.optimizerUpdates());
    }
  }

  /** Drops metric lines after {@code step} (left by a run that went on past its last checkpoint). */
  private static void truncateMetrics(Path metrics, long step) {
    if (!Files.exists(metrics)) {
      return;
    }
    try {
      List<String> keep = new ArrayList<>();
      for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        try {
          if (JSON.readTree(line).path("step").asLong() <= step) {
            keep.add(line);
          }
        } catch (IOException e) {
          // a line cut by a crash: drop it
        }
      }
      Files.write(metrics, keep, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
