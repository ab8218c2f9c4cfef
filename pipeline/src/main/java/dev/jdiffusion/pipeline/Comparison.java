package dev.jdiffusion.pipeline;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.core.WeighterSpec;
import dev.jdiffusion.core.data.SplitMix64;
import dev.jdiffusion.core.io.AtomicFiles;
import dev.jdiffusion.exporter.ParityCheck;
import dev.jdiffusion.pipeline.compare.CompareConfig;
import dev.jdiffusion.pipeline.compare.ComparisonReport;
import dev.jdiffusion.pipeline.compare.ComparisonStats.Trajectory;
import dev.jdiffusion.pipeline.compare.TrajectoryStats;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.fid.FeatureExtractor;
import dev.jdiffusion.sampling.fid.FeatureStatistics;
import dev.jdiffusion.sampling.fid.FrechetDistance;
import dev.jdiffusion.sampling.fid.OnnxFeatureExtractor;
import dev.jdiffusion.sampling.sampler.Sampler;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.trainer.Checkpoint;
import dev.jdiffusion.trainer.Engines;
import dev.jdiffusion.trainer.TrainConfig;
import dev.jdiffusion.trainer.TrainingRun;
import dev.jdiffusion.trainer.TrainingStoppedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The smoothed-KL paper's protocol: trains every (schedule, weighter, seed) of a {@link CompareConfig},
 * scores FID at evenly spaced checkpoints, and writes a report. Work is kept in the output directory and
 * an interrupted comparison resumes where it stopped:
 *
 * <pre>
 *   OUT/compare.json                       the resolved configuration (a later run must match it)
 *   OUT/extractor.txt                      the FID extractor the scores were computed with
 *   OUT/runs/SCHEDULE/WEIGHTER/seed-S/train     the training run (checkpoints at the scored steps)
 *   OUT/runs/SCHEDULE/WEIGHTER/seed-S/fid.csv   step,fid,samples,seconds: one line per scored checkpoint
 *                                          (seconds: export, sampling and FID of that checkpoint)
 *   OUT/runs/SCHEDULE/WEIGHTER/seed-S/training.csv   from_step,to_step,seconds: one line per training
 *                                          session of the run (a resumed run has several)
 *   OUT/runs/SCHEDULE/WEIGHTER/seed-S/lock      held while a process works on the run
 *   OUT/reference-*.npz                    feature statistics of the test split (computed once)
 *   OUT/report.md, fid.csv, gaps.csv, thresholds.csv, fid-SCHEDULE.png, weights-SCHEDULE.png
 * </pre>
 *
 * <p>The work splits into independent runs: {@link #plan()} lists them, {@link #runOne(RunSpec)} (or a
 * {@link Worker}, which keeps the extractor, reference statistics and data open across runs) trains and
 * scores one, and {@link #report(List, Duration)} writes the report from their {@link RunResult}s. Each run
 * holds a file lock on its directory while it works, so processes (or machines) sharing the output
 * directory never work on one run at once; a run another process holds is skipped.
 *
 * <pre>{@code
 * Comparison c = Comparison.open(env, "cmp.yaml", Files.readString(Path.of("cmp.yaml")), options);
 * try (Comparison.Worker w = c.worker()) {
 *   for (Comparison.RunSpec run : c.plan()) {
 *     w.run(run);
 *   }
 * }
 * Comparison.Report report = c.report(c.results(), elapsed);
 * }</pre>
 */
public final class Comparison {
  private final Environment env;
  private final String source;
  private final CompareConfig config;
  private final List<String> schedules;
  private final List<String> weighters;
  private final List<Integer> evaluations;
  private final Options options;
  private boolean recorded;

  private Comparison(Environment env, String source, CompareConfig config, List<String> schedules,
      List<String> weighters, List<Integer> evaluations, Options options) {
    this.env = env;
    this.source = source;
    this.config = config;
    this.schedules = schedules;
    this.weighters = weighters;
    this.evaluations = evaluations;
    this.options = options;
  }

  /**
   * How to run a comparison; build with {@link #builder(Path)}.
   *
   * @param out the output directory (shared by every process that works on the comparison)
   * @param extractor the FID feature extractor (ONNX); empty: the cached classifier for the dataset
   * @param quickExtractor when the cached classifier has to be trained, train it in its smoke-test size
   * @param command how the report names the invocation (e.g. the command line)
   * @param log where progress and results are written
   * @param progressBar show progress as a terminal bar instead of lines on {@code log}
   * @param device the training device of every run, replacing the configuration's {@code training.device}
   *     (a distributed engine sets the GPU its scheduler gave the task); empty: the configuration's
   */
  public record Options(Path out, Optional<Path> extractor, boolean quickExtractor, String command,
      PrintWriter log, boolean progressBar, Optional<String> device) {
    public Options {
      Objects.requireNonNull(out, "out");
      Objects.requireNonNull(extractor, "extractor");
      Objects.requireNonNull(command, "command");
      Objects.requireNonNull(log, "log");
      Objects.requireNonNull(device, "device");
    }

    /** Options for the output directory {@code out}: the cached extractor, nothing logged. */
    public static Builder builder(Path out) {
      return new Builder(out);
    }

    /** Builds {@link Options}. */
    public static final class Builder {
      private final Path out;
      private Path extractor;
      private boolean quickExtractor;
      private String command = "(Java API)";
      private PrintWriter log = new PrintWriter(Writer.nullWriter());
      private boolean progressBar;
      private String device;

      private Builder(Path out) {
        this.out = out;
      }

      /** The FID feature extractor; null (the default) trains or reuses the cached classifier. */
      public Builder extractor(Path onnx) {
        this.extractor = onnx;
        return this;
      }

      /** Train the cached classifier, when needed, in its smoke-test size (default false). */
      public Builder quickExtractor(boolean quick) {
        this.quickExtractor = quick;
        return this;
      }

      /** How the report names the invocation (default {@code (Java API)}). */
      public Builder command(String command) {
        this.command = command;
        return this;
      }

      /** Where progress and results go (default: nowhere). */
      public Builder log(PrintWriter log) {
        this.log = log;
        return this;
      }

      /** Progress as a terminal bar instead of lines on the log (default false). */
      public Builder progressBar(boolean bar) {
        this.progressBar = bar;
        return this;
      }

      /**
       * Trains every run on this device ({@code auto}, {@code cpu}, {@code gpu:N}) whatever the
       * configuration says; null (the default) keeps the configuration's {@code training.device}. The device
       * is not part of the comparison's settings: runs may resume on another device.
       */
      public Builder device(String device) {
        this.device = device;
        return this;
      }

      public Options build() {
        return new Options(out, Optional.ofNullable(extractor), quickExtractor, command, log, progressBar,
            Optional.ofNullable(device));
      }
    }
  }

  /**
   * One (schedule, weighter, seed) of the comparison: what a task needs to find its run. Serializable, so
   * that a distributed engine can ship it to the process that runs it.
   *
   * @param index position in {@link #plan()}, from 0
   * @param total runs in the plan
   * @param schedule index of the schedule in the configuration
   * @param weighter index of the weighter in the configuration
   * @param seed the run's seed
   * @param scheduleLabel the schedule as the report labels it, e.g. {@code cosine}
   * @param weighterLabel the weighter as the report labels it, e.g. {@code min-snr(gamma=5)}
   * @param directory the run's directory, {@code OUT/runs/SCHEDULE/WEIGHTER/seed-S}
   */
  public record RunSpec(int index, int total, int schedule, int weighter, long seed, String scheduleLabel,
      String weighterLabel, String directory) implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * The noise seed that checkpoint {@code step} of this run is sampled with: {@code SplitMix64.derive(seed,
     * step)}, and image i of the sample draws from {@link dev.jdiffusion.sampling.sampler.Noise#seeded}'s
     * streams for it. It depends on the run's seed and the step alone, so at one seed and step every weighter
     * (and schedule) starts from the same noise (the runs are paired), while two seeds, or two checkpoints of
     * one run, share no noise stream (up to a 64-bit hash collision).
     */
    public long samplingSeed(long step) {
      return SplitMix64.derive(seed, step);
    }

    /** {@code [i/n] SCHEDULE / WEIGHTER / seed S}: how the log names the run. */
    public String name() {
      return String.format(Locale.ROOT, "[%d/%d] %s / %s / seed %d", index + 1, total, scheduleLabel,
          weighterLabel, seed);
    }
  }

  /**
   * Where a run stands: its scores when every checkpoint is scored, else why it is incomplete.
   * Serializable, so that a distributed engine can send it back to the driver.
   *
   * @param spec the run
   * @param steps the scored steps, ascending
   * @param fid the FID at each of {@code steps}
   * @param incomplete null for a complete run; else why it is not (it failed, or k of n checkpoints scored)
   */
  public record RunResult(RunSpec spec, List<Long> steps, List<Double> fid, String incomplete)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    public RunResult {
      Objects.requireNonNull(spec, "spec");
      steps = List.copyOf(steps);
      fid = List.copyOf(fid);
      if (steps.size() != fid.size()) {
        throw new IllegalArgumentException(steps.size() + " steps but " + fid.size() + " FIDs");
      }
    }

    /** Whether every checkpoint is scored. */
    public boolean complete() {
      return incomplete == null;
    }
  }

  /**
   * What {@link #report(List, Duration)} wrote.
   *
   * @param file {@code OUT/report.md}
   * @param complete runs in the report
   * @param total runs in the plan
   * @param incomplete the runs left out, each with the reason
   */
  public record Report(Path file, int complete, int total, List<String> incomplete) {
    public Report {
      incomplete = List.copyOf(incomplete);
    }
  }

  /**
   * Reads and checks a comparison configuration (YAML or JSON). Nothing is written yet: the first {@link
   * #worker()} or {@link #report(List, Duration)} records the configuration in the output directory, and
   * refuses a directory that holds a comparison of other settings.
   *
   * @param source how errors name the configuration, e.g. its file name
   * @param text the configuration
   * @throws dev.jdiffusion.core.ConfigException for an invalid configuration, naming the field
   * @throws PipelineException when a schedule or weighter is listed twice, or the sampler's grid cannot be
   *     formed on a schedule
   */
  public static Comparison open(Environment env, String source, String text, Options options) throws IOException {
    ConfigReader reader = env.reader();
    CompareConfig cfg = reader.readYaml(source, text, CompareConfig.class);
    JsonNode raw = reader.yaml().readTree(text);
    List<String> schedules = labels(raw.path("schedules"));
    List<String> weighters = labels(raw.path("weighters"));
    requireDistinct(source, "schedules", schedules);
    requireDistinct(source, "weighters", weighters);
    Sampler sampler = cfg.evaluation().createSampler();
    List<Integer> evaluations = new ArrayList<>();
    for (int s = 0; s < schedules.size(); s++) {
      evaluations.add(SamplerPlan.evaluations(sampler, env.plugins().schedule(cfg.schedules().get(s)),
          env.plugins().parameterization(cfg.parameterization()),
          source + ": evaluation (schedule " + schedules.get(s) + ")"));
    }
    return new Comparison(env, source, cfg, List.copyOf(schedules), List.copyOf(weighters),
        List.copyOf(evaluations), options);
  }

  /** The resolved configuration. */
  public CompareConfig config() {
    return config;
  }

  /** Where the configuration came from, as errors name it. */
  public String source() {
    return source;
  }

  /** The schedule labels in configuration order: the name and its parameters as written, e.g. {@code cosine}. */
  public List<String> schedules() {
    return schedules;
  }

  /** The weighter labels in configuration order, e.g. {@code min-snr(gamma=5)}. */
  public List<String> weighters() {
    return weighters;
  }

  /**
   * The sampler's network evaluations per image on each schedule's models, in configuration order ({@code
   * heun} makes one fewer at zero terminal SNR).
   */
  public List<Integer> evaluations() {
    return evaluations;
  }

  /** The options it runs with. */
  public Options options() {
    return options;
  }

  /** Every run, schedule-major, then weighter, then seed: the order of the log and the report. */
  public List<RunSpec> plan() {
    int total = schedules.size() * weighters.size() * config.seeds().size();
    List<RunSpec> runs = new ArrayList<>();
    for (int s = 0; s < schedules.size(); s++) {
      for (int w = 0; w < weighters.size(); w++) {
        for (long seed : config.seeds()) {
          Path dir = options.out().resolve("runs").resolve(dirName(schedules.get(s)))
              .resolve(dirName(weighters.get(w))).resolve("seed-" + seed);
          runs.add(new RunSpec(runs.size(), total, s, w, seed, schedules.get(s), weighters.get(w), dir.toString()));
        }
      }
    }
    return runs;
  }

  /**
   * Opens what runs share: the extractor (trained and cached first if need be), the reference statistics
   * of the test split (computed once and kept in the output directory) and the training data.
   *
   * @throws PipelineException when the comparison was scored with another extractor
   */
  public Worker worker() throws IOException, OrtException {
    record();
    return new Worker();
  }

  /**
   * Records the configuration in the output directory ({@code compare.json}), once.
   *
   * @throws PipelineException when the directory holds a comparison of other settings
   */
  private synchronized void record() throws IOException {
    if (!recorded) {
      Files.createDirectories(options.out());
      checkSameComparison(options.out(), env.reader(), config);
      recorded = true;
    }
  }

  /** Trains and scores one run with a {@link Worker} of its own, and returns where it stands. */
  public RunResult runOne(RunSpec spec) throws IOException, OrtException {
    try (Worker w = worker()) {
      return w.run(spec);
    }
  }

  /** Where one run stands, read from its directory (whichever process did the work). */
  public RunResult result(RunSpec spec) throws IOException {
    Path dir = Path.of(spec.directory());
    TreeMap<Long, Double> scored = readScores(dir.resolve("fid.csv"));
    int checkpoints = config.evaluation().checkpoints();
    String incomplete = null;
    if (scored.size() != checkpoints) {
      incomplete = Files.exists(dir.resolve("failed.txt"))
          ? Files.readString(dir.resolve("failed.txt")).strip()
          : scored.size() + " of " + checkpoints + " checkpoints scored";
    }
    return new RunResult(spec, new ArrayList<>(scored.keySet()), new ArrayList<>(scored.values()), incomplete);
  }

  /** Where every run of the plan stands, read from the output directory. */
  public List<RunResult> results() throws IOException {
    List<RunResult> out = new ArrayList<>();
    for (RunSpec r : plan()) {
      out.add(result(r));
    }
    return out;
  }

  /**
   * Writes {@code report.md}, the CSV files and the plots from the results of the runs (complete ones
   * are reported, incomplete ones listed with the reason), in plan order. The results may come from
   * {@link #results()} (every run, whoever did the work) or from the {@link #runOne(RunSpec)} calls of a
   * distributed engine.
   *
   * @param elapsed the wall time the report states for this invocation
   */
  public Report report(List<RunResult> results, Duration elapsed) throws IOException {
    record();
    Path dir = options.out();
    Plugins plugins = env.plugins();
    List<RunResult> ordered = new ArrayList<>(results);
    ordered.sort((a, b) -> Integer.compare(a.spec().index(), b.spec().index()));
    List<Trajectory> trajectories = new ArrayList<>();
    List<String> incomplete = new ArrayList<>();
    for (RunResult r : ordered) {
      RunSpec s = r.spec();
      if (r.complete()) {
        trajectories.add(new Trajectory(s.scheduleLabel(), s.weighterLabel(), s.seed(),
            r.steps().stream().mapToLong(Long::longValue).toArray(),
            r.fid().stream().mapToDouble(Double::doubleValue).toArray()));
      } else {
        incomplete.add(s.scheduleLabel() + " / " + s.weighterLabel() + " / seed " + s.seed() + ": " + r.incomplete());
      }
    }
    List<Double> meanWeights = new ArrayList<>();
    for (int s = 0; s < schedules.size(); s++) {
      NoiseSchedule table = plugins.schedule(config.schedules().get(s));
      List<LossWeights> weights = new ArrayList<>();
      for (WeighterSpec w : config.weighters()) {
        LossWeights lw = plugins.lossWeights(plugins.idOf(w.config()), table, w, config.parameterization());
        weights.add(lw);
        meanWeights.add(TrajectoryStats.meanWeight(lw.loss()));
      }
      WeightPlot.write(dir.resolve("weights-" + dirName(schedules.get(s)) + ".png"), table, weighters, weights,
          "Loss weights (" + plugins.idOf(config.parameterization()) + " loss space), " + schedules.get(s)
              + " schedule");
    }
    String reference = weighters.stream().filter(w -> w.equals("uniform")).findFirst().orElse(weighters.get(0));
    List<String> grids = new ArrayList<>();
    for (int s = 0; s < schedules.size(); s++) {
      for (int w = 0; w < weighters.size(); w++) {
        Path grid = dir.resolve("runs").resolve(dirName(schedules.get(s))).resolve(dirName(weighters.get(w)))
            .resolve("seed-" + config.seeds().get(0)).resolve("samples").resolve("grid.png");
        grids.add(Files.isRegularFile(grid) ? dir.relativize(grid).toString().replace('\\', '/') : null);
      }
    }
    Path extractorRecord = dir.resolve("extractor.txt");
    String extractorName = Files.isRegularFile(extractorRecord) ? Files.readString(extractorRecord).strip()
        : "(none yet)";
    ComparisonReport.Setup setup = new ComparisonReport.Setup(
        options.command(), schedules.stream().map(Comparison::dirName).toList(), schedules, weighters, reference,
        env.reader().json().writerWithDefaultPrettyPrinter().writeValueAsString(config), extractorName, incomplete,
        config.evaluation().samples(), config.evaluation().samplingSteps(), config.evaluation().sampler(),
        config.evaluation().spacing(), evaluations, elapsed.toNanos() / 60e9, config.seeds().get(0), grids, config.training().warmupSteps(),
        plugins.idOf(config.parameterization()), meanWeights);
    ComparisonReport.write(dir, setup, trajectories);
    return new Report(dir.resolve("report.md"), trajectories.size(), ordered.size(), incomplete);
  }

  /**
   * What runs share while they are trained and scored: the feature extractor, the reference statistics
   * and the training data. Not thread-safe: one run at a time.
   */
  public final class Worker implements AutoCloseable {
    private final FeatureExtractor fx;
    private final FeatureStatistics reference;
    private final DatasetSource data;
    private final String extractor;

    private Worker() throws IOException, OrtException {
      Path dir = options.out();
      PrintWriter log = options.log();
      Path extractorFile = options.extractor().isPresent() ? options.extractor().get()
          : FidScoring.cachedExtractor(env, config.dataset(), options.quickExtractor(), log, options.progressBar());
      FeatureExtractor opened = OnnxFeatureExtractor.open(extractorFile,
          OnnxFeatureExtractor.Options.defaults().withThreads(Engines.threads()));
      try {
        extractor = opened.description();
        // Scores from two extractors cannot be mixed in one comparison.
        Path extractorRecord = dir.resolve("extractor.txt");
        if (Files.isRegularFile(extractorRecord) && !Files.readString(extractorRecord).strip().equals(extractor)) {
          throw new PipelineException(dir + " was scored with the extractor "
              + Files.readString(extractorRecord).strip() + ", not " + extractor + "; FIDs of different extractors"
              + " cannot be compared. Pass that extractor with --extractor, or use another --out");
        }
        byte[] record = (extractor + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(extractorRecord, o -> o.write(record)); // processes sharing --out read it too
        reference = referenceStatistics(opened, extractorFile);
        data = env.plugins().openDataset(config.dataset());
      } catch (IOException | RuntimeException e) {
        opened.close();
        throw e;
      }
      fx = opened;
    }

    /** The feature extractor's description, as {@code extractor.txt} records it. */
    public String extractor() {
      return extractor;
    }

    /**
     * Trains and scores one run, resuming from its newest checkpoint and skipping checkpoints scored
     * earlier; skips the run when another process holds its lock or when it failed earlier.
     *
     * @return where the run stands afterwards
     * @throws PipelineException when a checkpoint needed for a score is missing
     */
    public RunResult run(RunSpec spec) throws IOException, OrtException {
      Path runDir = Path.of(spec.directory());
      // Processes sharing --out (e.g. one per --schedule) must never work on the same run at once.
      Files.createDirectories(runDir);
      try (FileChannel lockFile = FileChannel.open(runDir.resolve("lock"), StandardOpenOption.CREATE,
              StandardOpenOption.WRITE);
          FileLock lock = tryLock(lockFile)) {
        if (lock == null) {
          options.log().printf("%s: skipped, another process is working on it%n", spec.name());
          options.log().flush();
        } else {
          trainAndScore(spec, runDir);
        }
      }
      return result(spec);
    }

    private void trainAndScore(RunSpec r, Path runDir) throws IOException, OrtException {
      PrintWriter log = options.log();
      String name = r.name();
      Path fidFile = runDir.resolve("fid.csv");
      TreeMap<Long, Double> scored = readScores(fidFile);
      int every = config.checkpointInterval();
      int count = config.evaluation().checkpoints();
      if (scored.size() == count) {
        log.printf("%s: done (scored earlier)%n", name);
        log.flush();
        return;
      }
      if (Files.exists(runDir.resolve("failed.txt"))) {
        log.printf("%s: skipped, it failed earlier: %s%n", name, Files.readString(runDir.resolve("failed.txt")).strip());
        log.flush();
        return;
      }
      Path trainDir = runDir.resolve("train");
      Path checkpoints = trainDir.resolve("checkpoints");
      TrainConfig.Training training = config.training().withSeedAndCheckpoints(r.seed(), every, count + 1);
      TrainConfig run = new TrainConfig(config.schedules().get(r.schedule()), config.parameterization(),
          config.weighters().get(r.weighter()), Optional.of(config.dataset()), config.model(),
          options.device().map(training::withDevice).orElse(training));
      Optional<Path> latest = Files.isDirectory(checkpoints) ? Checkpoint.latest(checkpoints) : Optional.empty();
      boolean trained = latest.isPresent() && latest.get().getFileName().toString()
          .equals(Checkpoint.fileName(config.training().steps()));
      if (!trained) {
        log.printf("%s: training%s%n", name, latest.isPresent() ? " (resuming)" : "");
        log.flush();
        long from = latest.map(Checkpoint::stepOf).orElse(0L);
        long t0 = System.nanoTime();
        try {
          TrainingRun.run(run, env.plugins(), env.reader(), data,
              new TrainingRun.Options(trainDir, latest.isPresent(), log, options.progressBar()));
          appendTraining(runDir.resolve("training.csv"), from, config.training().steps(),
              (System.nanoTime() - t0) / 1e9);
        } catch (TrainingStoppedException e) {
          Files.createDirectories(runDir);
          Files.writeString(runDir.resolve("failed.txt"), "training stopped: " + e.getMessage() + "\n");
          log.printf("%s: training stopped: %s%n", name, e.getMessage());
          log.flush();
          return;
        }
      }
      CompareConfig.Evaluation ev = config.evaluation();
      Sampler sampler = ev.createSampler();
      int threads = Engines.threads(); // ONNX Runtime gets the cores libtorch was given
      Path model = runDir.resolve("model.onnx");
      for (int k = 1; k <= count; k++) {
        long step = (long) k * every;
        if (scored.containsKey(step)) {
          continue;
        }
        Path ckpt = checkpoints.resolve(Checkpoint.fileName(step));
        if (!Files.isRegularFile(ckpt)) {
          throw new PipelineException(ckpt + ": missing; it is needed to score step " + step
              + " (delete " + runDir + " to train this run again)");
        }
        long t0 = System.nanoTime();
        CheckpointExport.export(env, ckpt, model, ev.ema(), 2, ParityCheck.DEFAULT_TOLERANCE);
        float[] images = ImageSampling.sample(model, sampler, ev.samples(), 100, r.samplingSeed(step), threads, log,
            options.progressBar());
        FeatureStatistics generated;
        try (OnnxDenoiser d = OnnxDenoiser.open(model, 1)) {
          generated = FidScoring.statistics(fx, images, ev.samples(), d.shape());
          if (k == count) {
            ImageSampling.write(runDir.resolve("samples"), images, ev.samples(), d.metadata());
          }
        }
        double fid = FrechetDistance.compute(generated, reference, "samples", "test split").fid();
        double seconds = (System.nanoTime() - t0) / 1e9;
        scored.put(step, fid);
        appendScore(fidFile, step, fid, ev.samples(), seconds);
        log.printf(Locale.ROOT, "%s: step %d FID %.2f (%.0f s)%n", name, step, fid, seconds);
        log.flush();
      }
      Files.deleteIfExists(model);
    }

    private FeatureStatistics referenceStatistics(FeatureExtractor opened, Path extractorFile) throws IOException {
      int n = config.evaluation().reference();
      String key = Integer.toHexString((extractorFile.toAbsolutePath() + "|" + n).hashCode());
      Path cache = options.out().resolve("reference-" + key + ".npz");
      if (Files.isRegularFile(cache)) {
        return FeatureStatistics.load(cache);
      }
      FeatureStatistics real;
      try (DatasetSource test = env.plugins().openDataset(FidScoring.testSplit(env.reader(), config.dataset()))) {
        real = FidScoring.referenceStatistics(opened, test, n);
      }
      real.save(cache);
      options.log().printf("reference statistics: %d test images -> %s%n", real.count().orElse(0), cache);
      return real;
    }

    @Override
    public void close() throws IOException {
      try {
        data.close();
      } finally {
        fx.close();
      }
    }
  }

  /** The lock, or null when another process (or another channel of this one) holds it. */
  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null;
    }
  }

  /**
   * Fields added to the configuration since comparisons were first written, each with the value that
   * reproduces what a comparison without the field computed. A directory started before a field existed
   * resumes and reports as long as the field has that value now.
   */
  private static final Map<String, String> ADDED_SINCE = Map.of("training.precision", "fp32");

  /** The resolved configuration must equal the one the directory was started with (new runs may be added). */
  private static void checkSameComparison(Path dir, ConfigReader reader, CompareConfig cfg) throws IOException {
    byte[] bytes = reader.json().writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg);
    JsonNode now = reader.json().readTree(bytes); // read back, so that number types compare as in the file
    Path file = dir.resolve("compare.json");
    if (Files.isRegularFile(file)) {
      JsonNode before = reader.json().readTree(file.toFile());
      ADDED_SINCE.forEach((path, value) -> {
        String[] parts = path.split("\\.");
        if (before.path(parts[0]) instanceof ObjectNode section && !section.has(parts[1])) {
          section.put(parts[1], value);
        }
      });
      for (String field : new String[] {"dataset", "parameterization", "model", "training", "evaluation"}) {
        String difference = firstDifference(field, before.path(field), now.path(field));
        if (difference != null) {
          throw new PipelineException(dir + " holds a comparison whose " + difference
              + "; its scores would not be comparable. Use another --out, or delete " + dir + " to start again");
        }
      }
    }
    AtomicFiles.write(file, o -> o.write(bytes));
  }

  /** {@code "training.lr was 0.001, not 0.002"} for the first field that differs, or null when none does. */
  static String firstDifference(String path, JsonNode before, JsonNode now) {
    if (before.equals(now)) {
      return null;
    }
    if (before.isObject() && now.isObject()) {
      Set<String> fields = new LinkedHashSet<>();
      before.fieldNames().forEachRemaining(fields::add);
      now.fieldNames().forEachRemaining(fields::add);
      for (String f : fields) {
        String d = firstDifference(path + "." + f, before.path(f), now.path(f));
        if (d != null) {
          return d;
        }
      }
    }
    return path + " was " + shown(before) + ", not " + shown(now);
  }

  private static String shown(JsonNode node) {
    return node.isMissingNode() ? "absent" : node.isTextual() ? node.asText() : node.toString();
  }

  /** A label per list item: the name and the parameters as written, e.g. {@code min-snr(gamma=5)}. */
  static List<String> labels(JsonNode list) {
    List<String> out = new ArrayList<>();
    for (JsonNode item : list) {
      StringBuilder b = new StringBuilder(item.path("name").asText());
      List<String> params = new ArrayList<>();
      for (Iterator<String> it = item.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!f.equals("name")) {
          params.add(f + "=" + item.get(f).asText());
        }
      }
      if (!params.isEmpty()) {
        b.append('(').append(String.join(",", params)).append(')');
      }
      out.add(b.toString());
    }
    return out;
  }

  private static void requireDistinct(String source, String field, List<String> labels) {
    if (labels.stream().distinct().count() != labels.size()) {
      throw new PipelineException(source + ": " + field + ": " + labels + " lists the same entry twice");
    }
  }

  /** A directory name for a label: {@code min-snr(gamma=5)} becomes {@code min-snr-gamma-5}. */
  static String dirName(String label) {
    String name = label.replaceAll("[^A-Za-z0-9._]+", "-").replaceAll("^-+|-+$", "");
    return name.matches("\\.*") ? "_" + name : name;
  }

  /**
   * The scores of one run's {@code fid.csv} ({@code step,fid,samples,seconds}), by step; empty when the
   * file does not exist.
   *
   * @throws PipelineException for a line that is not {@code step,fid,...}
   */
  public static TreeMap<Long, Double> readScores(Path csv) throws IOException {
    TreeMap<Long, Double> out = new TreeMap<>();
    if (!Files.isRegularFile(csv)) {
      return out;
    }
    for (String line : Files.readAllLines(csv, StandardCharsets.UTF_8)) {
      String[] f = line.split(",");
      if (f.length >= 2 && !f[0].equals("step")) {
        try {
          out.put(Long.parseLong(f[0]), Double.parseDouble(f[1]));
        } catch (NumberFormatException e) {
          throw new PipelineException(csv + ": line '" + line + "' is not step,fid,...: delete the line to score"
              + " that checkpoint again", e);
        }
      }
    }
    return out;
  }

  /**
   * Rewrites the run's training-time file with one more line (a training session from step {@code from} to
   * {@code to}), atomically.
   */
  private static void appendTraining(Path csv, long from, long to, double seconds) throws IOException {
    StringBuilder b = new StringBuilder();
    if (Files.isRegularFile(csv)) {
      b.append(Files.readString(csv, StandardCharsets.UTF_8));
    } else {
      b.append("from_step,to_step,seconds\n");
    }
    b.append(String.format(Locale.ROOT, "%d,%d,%.1f%n", from, to, seconds));
    byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(csv, o -> o.write(bytes));
  }

  /** Rewrites the run's score file with one more line, atomically: a crash leaves the old file or the new. */
  private static void appendScore(Path csv, long step, double fid, int samples, double seconds) throws IOException {
    StringBuilder b = new StringBuilder();
    if (Files.isRegularFile(csv)) {
      b.append(Files.readString(csv, StandardCharsets.UTF_8));
    } else {
      b.append("step,fid,samples,seconds\n");
    }
    b.append(String.format(Locale.ROOT, "%d,%.6f,%d,%.1f%n", step, fid, samples, seconds));
    byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(csv, o -> o.write(bytes));
  }
}
