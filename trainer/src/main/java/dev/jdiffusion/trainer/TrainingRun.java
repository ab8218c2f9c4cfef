package dev.jdiffusion.trainer;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.Limits;
import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.core.io.AtomicFiles;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.trainer.unet.Autocast;
import dev.jdiffusion.trainer.unet.UNetConfig;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A training run in a directory ({@link RunDirectory}):
 * <pre>
 *   OUT/config.json          the resolved configuration (every default filled in)
 *   OUT/metrics.jsonl        one JSON object per step: step, loss, mean_weight, lr, grad_norm, images_per_s
 *   OUT/checkpoints/step-NNNNNNNN.ckpt   see {@link Checkpoint}; the newest {@code keepCheckpoints} are kept
 *   OUT/lock                 held while a process trains here
 * </pre>
 *
 * <p>A directory has one owner and one history. Everything that can be checked without the directory
 * (the network, the objective, the device, the data against the batch) is checked before anything in it
 * is written; then the directory's lock is taken (another process training there is refused), and what it
 * holds is compared with the configuration, as {@link Mode} says:
 * <ul>
 *   <li>{@link Mode#NEW}: refused when the directory holds a checkpoint, or a {@code config.json} of a
 *       different run; a {@code config.json} of this same run without any checkpoint (a run killed before
 *       its first checkpoint) is simply started again;
 *   <li>{@link Mode#RESUME}: continues from the newest checkpoint that reads (newer corrupt ones are named
 *       in one line each and renamed to {@code *.corrupt}); refused, listing the fields, when the
 *       configuration differs from the checkpoint's in anything but {@link RunDirectory#EXTENDABLE};
 *   <li>{@link Mode#OVERWRITE}: deletes the run kept there first.
 * </ul>
 * Temporary files that killed writes left are removed at the start; {@code metrics.jsonl} is rewritten
 * atomically to the lines up to the starting step. Since every random draw is a function of the seed and
 * the step, a resumed run reproduces the losses of an uninterrupted one.
 *
 * <p>A NaN or infinite loss or gradient, or non-finite weights at a checkpoint, stops the run with
 * {@link TrainingStoppedException} naming the step and the newest checkpoint whose weights are good; the
 * checkpoints already written are left as they are.
 */
public final class TrainingRun {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TrainingRun() {}

  /** What to do with a directory that already holds a run. */
  public enum Mode {
    /** Start a run; refuse a directory that holds another one. */
    NEW,
    /** Continue the run in the directory from its newest intact checkpoint. */
    RESUME,
    /** Delete the run in the directory, then start one. */
    OVERWRITE
  }

  /**
   * How to run.
   *
   * @param out the run directory
   * @param mode what to do with a run already there
   * @param log where progress lines and messages go
   * @param progressBar draw a progress bar instead of plain lines
   */
  public record Options(Path out, Mode mode, PrintWriter log, boolean progressBar) {
    /** {@code resume} true is {@link Mode#RESUME}, false {@link Mode#NEW}. */
    public Options(Path out, boolean resume, PrintWriter log, boolean progressBar) {
      this(out, resume ? Mode.RESUME : Mode.NEW, log, progressBar);
    }

    /** Plain lines on {@code log}, or a bar when there is an interactive console and CI is not set. */
    public static Options auto(Path out, boolean resume, PrintWriter log) {
      return auto(out, resume ? Mode.RESUME : Mode.NEW, log);
    }

    /** Plain lines on {@code log}, or a bar when there is an interactive console and CI is not set. */
    public static Options auto(Path out, Mode mode, PrintWriter log) {
      return new Options(out, mode, log, Progress.interactiveConsole());
    }

    /** Whether the run continues from a checkpoint. */
    public boolean resume() {
      return mode == Mode.RESUME;
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
   * @throws TrainingStoppedException on a non-finite loss, gradient or weight
   * @throws RunDirectoryException when the directory holds another run, is in use, or the configuration
   *     differs from the resumed run's; nothing in the directory was changed
   * @throws IllegalArgumentException when the configuration does not fit the data; nothing was written
   */
  public static Summary run(TrainConfig config, Plugins plugins, ConfigReader reader, DatasetSource data,
      Options options) throws IOException {
    // 1. everything that can be checked without the directory
    TrainConfig.Training t = config.training();
    UNetConfig network = config.model().resolve(data.shape());
    checkData(t, data);
    WeightedDenoisingLoss objective = objective(config, plugins);
    Device device = Engines.device(t.device());
    JsonNode resolved = reader.json().valueToTree(config);
    PrintWriter log = options.log();

    if (options.mode() == Mode.RESUME && Checkpoint.list(options.out().resolve(RunDirectory.CHECKPOINTS)).isEmpty()) {
      // nothing to continue: say so without creating the directory or its lock file
      throw new RunDirectoryException(options.out(), "--resume: no checkpoint in "
          + options.out().resolve(RunDirectory.CHECKPOINTS));
    }

    // 2. the directory
    try (RunDirectory dir = RunDirectory.lock(options.out());
        NDManager resumed = NDManager.newBaseManager()) {
      Optional<Checkpoint.Intact> from = claim(dir, options.mode(), resolved, network, t, resumed, log);
      for (Path p : dir.removeTemporaryFiles()) {
        log.println("removed " + p + ", left by a write that was killed");
      }
      AtomicFiles.write(dir.config(), o -> o.write(
          reader.json().writerWithDefaultPrettyPrinter().writeValueAsBytes(config)));
      long start = from.map(i -> i.contents().step()).orElse(0L);
      rewriteMetrics(dir.metrics(), start);
      log.flush();
      return train(config, plugins, data, options, dir, network, objective, device, resolved, from, start);
    }
  }

  /** The batch must come from the data and fit in one Java array. */
  private static void checkData(TrainConfig.Training t, DatasetSource data) {
    if (data.size() < t.batchSize()) {
      throw new IllegalArgumentException("training.batchSize = " + t.batchSize() + " is more than the "
          + data.size() + " images of the dataset");
    }
    long values = (long) t.batchSize() * data.shape().size();
    if (values > Limits.MAX_ARRAY) {
      throw new IllegalArgumentException("training.batchSize = " + t.batchSize() + " is too large for images of "
          + data.shape() + ": a batch of " + values + " values does not fit in one array (at most "
          + Limits.MAX_ARRAY / data.shape().size() + " images)");
    }
  }

  /**
   * Compares the directory with the configuration as {@code mode} says; writes nothing unless the run may
   * start, then removes (overwrite) or sets aside (corrupt checkpoints) what must go, and claims the lock.
   */
  private static Optional<Checkpoint.Intact> claim(RunDirectory dir, Mode mode, JsonNode resolved,
      UNetConfig network, TrainConfig.Training t, NDManager manager, PrintWriter log) throws IOException {
    List<Path> checkpoints = dir.checkpointFiles();
    Optional<JsonNode> stored = dir.storedConfig();
    switch (mode) {
      case OVERWRITE -> {
        dir.claim();
        if (dir.holdsRun()) {
          dir.removeRun();
          log.printf(Locale.ROOT, "removed the run in %s (%s)%n", dir.dir(), describe(checkpoints));
        }
        return Optional.empty();
      }
      case NEW -> {
        List<String> diff = stored.map(st -> RunDirectory.differences(st, resolved)).orElse(List.of());
        if (!diff.isEmpty()) {
          throw new RunDirectoryException(dir.dir(), dir.dir() + " already holds another run (its "
              + RunDirectory.CONFIG + " differs in " + fieldNames(diff) + "; " + describe(checkpoints)
              + "): choose another --out, or start over with --overwrite (which deletes it)");
        }
        if (!checkpoints.isEmpty()) {
          throw new RunDirectoryException(dir.dir(), dir.dir() + " already holds " + (stored.isEmpty() ? "a" : "this")
              + " run (" + describe(checkpoints) + "): continue it with --resume, choose another --out, or start"
              + " over with --overwrite (which deletes it)");
        }
        if (stored.isPresent()) {
          log.printf(Locale.ROOT, "starting the run in %s again: it has no checkpoint yet%n", dir.dir());
        }
        dir.claim();
        return Optional.empty();
      }
      default -> {
        if (checkpoints.isEmpty()) {
          throw new RunDirectoryException(dir.dir(), "--resume: no checkpoint in " + dir.checkpoints());
        }
        Checkpoint.Scan scan = Checkpoint.newestIntact(dir.checkpoints(), manager);
        if (scan.newest().isEmpty()) {
          throw new RunDirectoryException(dir.dir(), "--resume: no checkpoint in " + dir.checkpoints()
              + " reads: " + scan.corrupt().stream().map(c -> c.file().getFileName() + " (" + c.problem() + ")")
                  .collect(Collectors.joining("; ")));
        }
        Checkpoint.Intact intact = scan.newest().get();
        Checkpoint.Contents c = intact.contents();
        List<String> diff = new ArrayList<>(RunDirectory.differences(withoutModel(c.config()), withoutModel(resolved)));
        diff.addAll(RunDirectory.differences(RunDirectory.asModel(c.network()), RunDirectory.asModel(network)));
        if (!diff.isEmpty()) {
          throw new RunDirectoryException(dir.dir(), "--resume: the configuration differs from the run in "
              + dir.dir() + " (" + intact.file().getFileName() + ") in " + String.join(", ", diff)
              + "; a resumed run keeps its objective, optimizer, data and network (only training.steps,"
              + " checkpointEvery, keepCheckpoints, logEvery and device may change)");
        }
        if (c.step() > t.steps()) {
          throw new RunDirectoryException(dir.dir(), "--resume: " + intact.file() + " is at step " + c.step()
              + ", beyond training.steps = " + t.steps());
        }
        dir.claim();
        for (Checkpoint.Corrupt bad : scan.corrupt()) {
          Path aside = dir.setAside(bad.file());
          log.printf(Locale.ROOT, "warning: %s is corrupt (%s); moved to %s, resuming from %s%n", bad.file(),
              bad.problem(), aside.getFileName(), intact.file().getFileName());
        }
        return Optional.of(intact);
      }
    }
  }

  private static JsonNode withoutModel(JsonNode config) {
    JsonNode copy = config.deepCopy();
    if (copy instanceof ObjectNode o) {
      o.remove("model");
    }
    return copy;
  }

  private static String fieldNames(List<String> differences) {
    return differences.stream().map(d -> d.substring(0, d.indexOf(" ("))).collect(Collectors.joining(", "));
  }

  private static String describe(List<Path> checkpoints) {
    return checkpoints.isEmpty() ? "no checkpoint yet"
        : checkpoints.size() + " checkpoint" + (checkpoints.size() == 1 ? "" : "s") + ", up to step "
            + Checkpoint.stepOf(checkpoints.get(checkpoints.size() - 1));
  }

  private static Summary train(TrainConfig config, Plugins plugins, DatasetSource data, Options options,
      RunDirectory dir, UNetConfig network, WeightedDenoisingLoss objective, Device device, JsonNode resolved,
      Optional<Checkpoint.Intact> from, long start) throws IOException {
    TrainConfig.Training t = config.training();
    PrintWriter log = options.log();
    Path checkpoints = dir.checkpoints();
    try (DiffusionTrainer trainer = new DiffusionTrainer(network, t, objective, data, device)) {
      Path lastCheckpoint = null;
      if (from.isPresent()) {
        Checkpoint.Contents c = from.get().contents();
        if (!c.parameterNames().equals(trainer.parameterNames())) {
          throw new IllegalArgumentException(from.get().file() + ": its parameter names differ from this network's");
        }
        trainer.restore(c.step(), c.weights(), c.ema(), c.emaUpdates(), c.optimizer(), c.optimizerUpdates(),
            c.lossScale());
        lastCheckpoint = from.get().file();
        log.printf(Locale.ROOT, "resumed from %s (step %d)%n", lastCheckpoint, trainer.completedSteps());
      }
      log.printf(Locale.ROOT,
          "training %s on %s (%d images of %s), %,d parameters, %d thread(s), device %s, precision %s%n",
          describe(network), config.dataset().map(plugins::idOf).orElse("a dataset"),
          data.size(), data.shape(), trainer.network().parameterCount(), Engines.threads(), device,
          describe(t.precision(), trainer.computeType()));
      log.flush();
      List<Double> losses = new ArrayList<>();
      Path metrics = dir.metrics();
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
            throw stopped(e.getMessage(), e.step() - 1, lastCheckpoint, checkpoints, progress, e);
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
          if (r.skipped()) {
            line.putNull("grad_norm");
            line.put("skipped", true);
          } else {
            line.put("grad_norm", r.gradNorm());
          }
          line.put("images_per_s", imagesPerSecond);
          try {
            metricsOut.write(JSON.writeValueAsString(line));
            metricsOut.write('\n');
            metricsOut.flush(); // one line per step, visible at once (tail -f); a kill cuts at most one line
          } catch (IOException e) {
            throw AtomicFiles.naming(metrics, e);
          }
          progress.update(r, smoothed);
          if (r.step() % t.checkpointEvery() == 0 || r.step() == t.steps()) {
            try {
              lastCheckpoint = Checkpoint.write(checkpoints, trainer, resolved);
            } catch (NonFiniteWeightsException e) {
              // the weights after this update are not finite: the step before it is the last good state
              throw stopped(e.getMessage(), -1, lastCheckpoint, checkpoints, progress, e);
            }
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

  /**
   * The stop after a non-finite step that started from the weights of step {@code startedFrom} (-1: not a
   * step's loss). A checkpoint of that step holds the weights that failed, so it is named as such, and the
   * good one is the one before it.
   */
  private static TrainingStoppedException stopped(String what, long startedFrom, Path lastCheckpoint,
      Path checkpoints, Progress progress, RuntimeException cause) throws IOException {
    String kept;
    if (lastCheckpoint == null) {
      kept = "no checkpoint had been written yet";
    } else if (startedFrom >= 0 && Checkpoint.stepOf(lastCheckpoint) == startedFrom) {
      Optional<Path> before = Checkpoint.list(checkpoints).stream()
          .filter(p -> Checkpoint.stepOf(p) < startedFrom).reduce((a, b) -> b);
      kept = "the newest checkpoint, " + lastCheckpoint + ", holds the weights this step started from; "
          + before.map(p -> "the last good checkpoint is " + p + " (step " + Checkpoint.stepOf(p) + ")")
              .orElse("no older checkpoint is kept");
    } else {
      kept = "the last good checkpoint is " + lastCheckpoint + " (step " + Checkpoint.stepOf(lastCheckpoint) + ")";
    }
    progress.message("stopped: " + what + "; " + kept);
    return new TrainingStoppedException(what + "; " + kept, cause);
  }

  private static String describe(String precision, Autocast.ComputeType type) {
    return precision.equals(Precision.FP32.id()) ? precision
        : precision + " (" + type.name().toLowerCase(Locale.ROOT) + " compute, fp32 weights"
            + (type == Autocast.ComputeType.FP16 ? ", dynamic loss scaling)" : ")");
  }

  private static String describe(UNetConfig n) {
    return String.format(Locale.ROOT, "UNet(base %d, mult %s, %d res, attn %s)", n.baseChannels(),
        n.channelMultipliers(), n.resBlocks(), n.attentionResolutions());
  }

  /**
   * Keeps the metric lines up to {@code step} (dropping those a run wrote past its last checkpoint, and a
   * line cut by a kill), rewriting the file atomically: a kill at any moment leaves the old or the new file.
   */
  private static void rewriteMetrics(Path metrics, long step) throws IOException {
    if (!Files.exists(metrics)) {
      return;
    }
    List<String> keep = new ArrayList<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
    } catch (java.nio.charset.MalformedInputException e) {
      lines = List.of(); // not text (a cut multi-byte character): start the file again
    } catch (IOException e) {
      throw AtomicFiles.naming(metrics, e);
    }
    for (String line : lines) {
      if (line.isBlank()) {
        continue;
      }
      try {
        JsonNode n = JSON.readTree(line);
        if (n.path("step").canConvertToLong() && n.path("step").asLong() <= step) {
          keep.add(line);
        }
      } catch (IOException e) {
        // a line cut by a kill: drop it
      }
    }
    if (keep.size() == lines.size()) {
      return;
    }
    AtomicFiles.write(metrics, o -> {
      for (String line : keep) {
        o.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      }
    });
  }
}
