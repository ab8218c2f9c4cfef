package dev.jdiffusion.cli;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.jdiffusion.cli.compare.CompareConfig;
import dev.jdiffusion.cli.compare.ComparisonReport;
import dev.jdiffusion.cli.compare.ComparisonStats.Trajectory;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.core.WeighterSpec;
import dev.jdiffusion.core.io.AtomicFiles;
import dev.jdiffusion.exporter.ParityCheck;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.fid.FeatureExtractor;
import dev.jdiffusion.sampling.fid.FeatureStatistics;
import dev.jdiffusion.sampling.fid.FrechetDistance;
import dev.jdiffusion.sampling.fid.OnnxFeatureExtractor;
import dev.jdiffusion.sampling.sampler.DdimSampler;
import dev.jdiffusion.sampling.sampler.DdpmSampler;
import dev.jdiffusion.sampling.sampler.Sampler;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.trainer.Checkpoint;
import dev.jdiffusion.trainer.TrainConfig;
import dev.jdiffusion.trainer.TrainingRun;
import dev.jdiffusion.trainer.TrainingStoppedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion compare [CONFIG]}: the smoothed-KL paper's protocol. Trains every (schedule, weighter,
 * seed) of a {@link CompareConfig}, scores FID at evenly spaced checkpoints, and writes a report. Work is
 * kept in the output directory and an interrupted comparison resumes where it stopped:
 * <pre>
 *   OUT/compare.json                       the resolved configuration (a later run must match it)
 *   OUT/runs/SCHEDULE/WEIGHTER/seed-S/train     the training run (checkpoints at the scored steps)
 *   OUT/runs/SCHEDULE/WEIGHTER/seed-S/fid.csv   step,fid,samples,seconds: one line per scored checkpoint
 *   OUT/reference-*.npz                    feature statistics of the test split (computed once)
 *   OUT/report.md, fid.csv, gaps.csv, thresholds.csv, fid-SCHEDULE.png, weights-SCHEDULE.png
 * </pre>
 */
@Command(name = "compare", sortOptions = false,
    description = {"Compare loss weightings as the smoothed-KL paper does: train every (schedule, weighter, seed),",
        "score FID at evenly spaced checkpoints, report trajectories, gaps and steps to FID thresholds.",
        "Resumes an interrupted comparison in the same --out. Without CONFIG: Fashion-MNIST, linear and cosine,",
        "uniform / min-snr gamma=5 / smoothed-kl lambda=0.2 / soft-min-snr gamma=6, seeds 0 and 1."})
final class CompareCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG",
      description = "A comparison configuration (YAML/JSON); default: the built-in one.")
  Path config;

  @Option(names = "--quick", description = "A smoke run of the whole protocol in about a minute (not a result).")
  boolean quick;

  @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: out/compare, quick: out/compare-quick).")
  Path out;

  @Option(names = "--extractor", paramLabel = "MODEL.onnx",
      description = "Feature extractor for FID; default: the small classifier trained on the dataset (cached).")
  Path extractor;

  @Option(names = "--report-only", description = "Write the report from the runs scored so far; train nothing.")
  boolean reportOnly;

  @Option(names = "--schedule", paramLabel = "LABEL",
      description = {"Train and score only the runs of this schedule (as labelled in the report, e.g. cosine);",
          "repeat for several. Splits a comparison across processes or machines sharing --out."})
  List<String> onlySchedules;

  /** One (schedule, weighter, seed) of the comparison. */
  private record RunId(int schedule, int weighter, long seed, Path dir) {}

  @Override
  public Integer call() throws IOException, OrtException {
    PrintWriter log = spec.commandLine().getOut();
    Plugins plugins = main.injector().getInstance(Plugins.class);
    ConfigReader reader = main.injector().getInstance(ConfigReader.class);
    String source = config != null ? config.toString() : quick ? "built-in compare-quick.yaml" : "built-in compare-default.yaml";
    String text = config != null ? readConfig(config) : RunCommand.resource(quick ? "compare-quick.yaml" : "compare-default.yaml");
    CompareConfig cfg = reader.readYaml(source, text, CompareConfig.class);
    JsonNode raw = reader.yaml().readTree(text);
    List<String> schedules = labels(raw.path("schedules"));
    List<String> weighters = labels(raw.path("weighters"));
    requireDistinct(source, "schedules", schedules);
    requireDistinct(source, "weighters", weighters);
    if (onlySchedules != null) {
      for (String only : onlySchedules) {
        if (!schedules.contains(only)) {
          throw new UserException("--schedule " + only + ": not a schedule of " + source + "; its schedules are "
              + schedules);
        }
      }
    }
    Path dir = out != null ? out : Path.of("out", quick ? "compare-quick" : "compare");
    Writable.requireDirectory("--out", dir);
    checkSameComparison(dir, reader, cfg);

    List<RunId> runs = new ArrayList<>();
    for (int s = 0; s < schedules.size(); s++) {
      for (int w = 0; w < weighters.size(); w++) {
        for (long seed : cfg.seeds()) {
          runs.add(new RunId(s, w, seed, dir.resolve("runs").resolve(dirName(schedules.get(s)))
              .resolve(dirName(weighters.get(w))).resolve("seed-" + seed)));
        }
      }
    }
    long started = System.nanoTime();
    Path extractorRecord = dir.resolve("extractor.txt");
    String extractorName;
    if (reportOnly) {
      extractorName = Files.isRegularFile(extractorRecord) ? Files.readString(extractorRecord).strip() : "(none yet)";
    } else {
      Path extractorFile = extractor != null ? extractor
          : FidScoring.cachedExtractor(main, reader, cfg.dataset(), quick, log);
      try (FeatureExtractor fx = OnnxFeatureExtractor.open(extractorFile,
          OnnxFeatureExtractor.Options.defaults().withThreads(dev.jdiffusion.trainer.Engines.threads()))) {
        extractorName = fx.description();
        // Scores from two extractors cannot be mixed in one comparison.
        if (Files.isRegularFile(extractorRecord) && !Files.readString(extractorRecord).strip().equals(extractorName)) {
          throw new UserException(dir + " was scored with the extractor " + Files.readString(extractorRecord).strip()
              + ", not " + extractorName + "; FIDs of different extractors cannot be compared. Pass that"
              + " extractor with --extractor, or use another --out");
        }
        byte[] record = (extractorName + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(extractorRecord, o -> o.write(record)); // processes sharing --out read it too
        FeatureStatistics reference = referenceStatistics(dir, plugins, reader, cfg, fx, extractorFile, log);
        try (DatasetSource data = plugins.openDataset(cfg.dataset())) {
          for (int i = 0; i < runs.size(); i++) {
            RunId r = runs.get(i);
            if (onlySchedules != null && !onlySchedules.contains(schedules.get(r.schedule()))) {
              continue;
            }
            String name = String.format(Locale.ROOT, "[%d/%d] %s / %s / seed %d", i + 1, runs.size(),
                schedules.get(r.schedule()), weighters.get(r.weighter()), r.seed());
            trainAndScore(name, r, cfg, plugins, reader, data, fx, reference, log);
          }
        }
      }
    }
    double minutes = (System.nanoTime() - started) / 60e9;

    List<Trajectory> trajectories = new ArrayList<>();
    List<String> incomplete = new ArrayList<>();
    for (RunId r : runs) {
      String schedule = schedules.get(r.schedule());
      String weighter = weighters.get(r.weighter());
      TreeMap<Long, Double> scored = readScores(r.dir().resolve("fid.csv"));
      if (scored.size() == cfg.evaluation().checkpoints()) {
        trajectories.add(new Trajectory(schedule, weighter, r.seed(),
            scored.keySet().stream().mapToLong(Long::longValue).toArray(),
            scored.values().stream().mapToDouble(Double::doubleValue).toArray()));
      } else {
        String why = Files.exists(r.dir().resolve("failed.txt"))
            ? Files.readString(r.dir().resolve("failed.txt")).strip()
            : scored.size() + " of " + cfg.evaluation().checkpoints() + " checkpoints scored";
        incomplete.add(schedule + " / " + weighter + " / seed " + r.seed() + ": " + why);
      }
    }
    for (int s = 0; s < schedules.size(); s++) {
      NoiseSchedule table = plugins.schedule(cfg.schedules().get(s));
      List<LossWeights> weights = new ArrayList<>();
      for (WeighterSpec w : cfg.weighters()) {
        weights.add(plugins.lossWeights(plugins.idOf(w.config()), table, w, cfg.parameterization()));
      }
      WeightPlot.write(dir.resolve("weights-" + dirName(schedules.get(s)) + ".png"), table, weighters, weights,
          "Loss weights (" + plugins.idOf(cfg.parameterization()) + " loss space), " + schedules.get(s) + " schedule");
    }
    String reference = weighters.stream().filter(w -> w.equals("uniform")).findFirst().orElse(weighters.get(0));
    List<String> grids = new ArrayList<>();
    for (int s = 0; s < schedules.size(); s++) {
      for (int w = 0; w < weighters.size(); w++) {
        Path grid = dir.resolve("runs").resolve(dirName(schedules.get(s))).resolve(dirName(weighters.get(w)))
            .resolve("seed-" + cfg.seeds().get(0)).resolve("samples").resolve("grid.png");
        grids.add(Files.isRegularFile(grid) ? dir.relativize(grid).toString().replace('\\', '/') : null);
      }
    }
    ComparisonReport.Setup setup = new ComparisonReport.Setup(
        commandLine(), schedules.stream().map(CompareCommand::dirName).toList(), schedules, weighters, reference,
        reader.json().writerWithDefaultPrettyPrinter().writeValueAsString(cfg), extractorName, incomplete,
        cfg.evaluation().samples(), cfg.evaluation().samplingSteps(), cfg.evaluation().sampler(), minutes,
        cfg.seeds().get(0), grids);
    ComparisonReport.write(dir, setup, trajectories);
    log.printf("wrote %s (%d of %d runs complete)%n", dir.resolve("report.md"), trajectories.size(), runs.size());
    log.flush();
    return incomplete.isEmpty() ? 0 : 4;
  }

  private void trainAndScore(String name, RunId r, CompareConfig cfg, Plugins plugins, ConfigReader reader,
      DatasetSource data, FeatureExtractor fx, FeatureStatistics reference, PrintWriter log)
      throws IOException, OrtException {
    // Processes sharing --out (e.g. one per --schedule) must never work on the same run at once.
    Files.createDirectories(r.dir());
    try (FileChannel lockFile = FileChannel.open(r.dir().resolve("lock"), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
        FileLock lock = tryLock(lockFile)) {
      if (lock == null) {
        log.printf("%s: skipped, another process is working on it%n", name);
        log.flush();
        return;
      }
      trainAndScoreLocked(name, r, cfg, plugins, reader, data, fx, reference, log);
    }
  }

  /** The lock, or null when another process (or another channel of this one) holds it. */
  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return null;
    }
  }

  private void trainAndScoreLocked(String name, RunId r, CompareConfig cfg, Plugins plugins, ConfigReader reader,
      DatasetSource data, FeatureExtractor fx, FeatureStatistics reference, PrintWriter log)
      throws IOException, OrtException {
    Path fidFile = r.dir().resolve("fid.csv");
    TreeMap<Long, Double> scored = readScores(fidFile);
    int every = cfg.checkpointInterval();
    int count = cfg.evaluation().checkpoints();
    if (scored.size() == count) {
      log.printf("%s: done (scored earlier)%n", name);
      log.flush();
      return;
    }
    if (Files.exists(r.dir().resolve("failed.txt"))) {
      log.printf("%s: skipped, it failed earlier: %s%n", name, Files.readString(r.dir().resolve("failed.txt")).strip());
      log.flush();
      return;
    }
    Path trainDir = r.dir().resolve("train");
    Path checkpoints = trainDir.resolve("checkpoints");
    TrainConfig run = new TrainConfig(cfg.schedules().get(r.schedule()), cfg.parameterization(),
        cfg.weighters().get(r.weighter()), Optional.of(cfg.dataset()), cfg.model(),
        cfg.training().withSeedAndCheckpoints(r.seed(), every, count + 1));
    Optional<Path> latest = Files.isDirectory(checkpoints) ? Checkpoint.latest(checkpoints) : Optional.empty();
    boolean trained = latest.isPresent() && latest.get().getFileName().toString()
        .equals(Checkpoint.fileName(cfg.training().steps()));
    if (!trained) {
      log.printf("%s: training%s%n", name, latest.isPresent() ? " (resuming)" : "");
      log.flush();
      try {
        TrainingRun.run(run, plugins, reader, data, TrainingRun.Options.auto(trainDir, latest.isPresent(), log));
      } catch (TrainingStoppedException e) {
        Files.createDirectories(r.dir());
        Files.writeString(r.dir().resolve("failed.txt"), "training stopped: " + e.getMessage() + "\n");
        log.printf("%s: training stopped: %s%n", name, e.getMessage());
        log.flush();
        return;
      }
    }
    CompareConfig.Evaluation ev = cfg.evaluation();
    Sampler sampler = ev.sampler().equals("ddim")
        ? new DdimSampler(ev.samplingSteps(), 0, true)
        : new DdpmSampler(ev.samplingSteps(), DdpmSampler.Variance.POSTERIOR, true);
    int threads = dev.jdiffusion.trainer.Engines.threads(); // ONNX Runtime gets the cores libtorch was given
    Path model = r.dir().resolve("model.onnx");
    for (int k = 1; k <= count; k++) {
      long step = (long) k * every;
      if (scored.containsKey(step)) {
        continue;
      }
      Path ckpt = checkpoints.resolve(Checkpoint.fileName(step));
      if (!Files.isRegularFile(ckpt)) {
        throw new UserException(ckpt + ": missing; it is needed to score step " + step
            + " (delete " + r.dir() + " to train this run again)");
      }
      long t0 = System.nanoTime();
      ExportCommand.export(main, ckpt, model, ev.ema(), 2, ParityCheck.DEFAULT_TOLERANCE);
      float[] images = SampleCommand.sample(model, sampler, ev.samples(), 100, r.seed(), threads, log);
      FeatureStatistics generated;
      try (OnnxDenoiser d = OnnxDenoiser.open(model, 1)) {
        generated = FidScoring.statistics(fx, images, ev.samples(), d.shape());
        if (k == count) {
          SampleCommand.write(r.dir().resolve("samples"), images, ev.samples(), d.metadata());
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

  private FeatureStatistics referenceStatistics(Path dir, Plugins plugins, ConfigReader reader, CompareConfig cfg,
      FeatureExtractor fx, Path extractorFile, PrintWriter log) throws IOException {
    int n = cfg.evaluation().reference();
    String key = Integer.toHexString((extractorFile.toAbsolutePath() + "|" + n).hashCode());
    Path cache = dir.resolve("reference-" + key + ".npz");
    if (Files.isRegularFile(cache)) {
      return FeatureStatistics.load(cache);
    }
    FeatureStatistics real;
    try (DatasetSource test = plugins.openDataset(RunCommand.withSplit(reader, cfg.dataset(), "test"))) {
      real = FidScoring.referenceStatistics(fx, test, n);
    }
    real.save(cache);
    log.printf("reference statistics: %d test images -> %s%n", real.count().orElse(0), cache);
    return real;
  }

  /** The resolved configuration must equal the one the directory was started with (new runs may be added). */
  private static void checkSameComparison(Path dir, ConfigReader reader, CompareConfig cfg) throws IOException {
    byte[] bytes = reader.json().writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg);
    JsonNode now = reader.json().readTree(bytes); // read back, so that number types compare as in the file
    Path file = dir.resolve("compare.json");
    if (Files.isRegularFile(file)) {
      JsonNode before = reader.json().readTree(file.toFile());
      for (String field : new String[] {"dataset", "parameterization", "model", "training", "evaluation"}) {
        if (!before.path(field).equals(now.path(field))) {
          throw new UserException(dir + " holds a comparison whose " + field + " was " + before.path(field)
              + ", not " + now.path(field) + "; its scores would not be comparable. Use another --out, or delete "
              + dir + " to start again");
        }
      }
    }
    AtomicFiles.write(file, o -> o.write(bytes));
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
      throw new UserException(source + ": " + field + ": " + labels + " lists the same entry twice");
    }
  }

  /** A directory name for a label: {@code min-snr(gamma=5)} becomes {@code min-snr-gamma-5}. */
  static String dirName(String label) {
    String name = label.replaceAll("[^A-Za-z0-9._]+", "-").replaceAll("^-+|-+$", "");
    return name.matches("\\.*") ? "_" + name : name;
  }

  static TreeMap<Long, Double> readScores(Path csv) throws IOException {
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
          throw new UserException(csv + ": line '" + line + "' is not step,fid,...: delete the line to score"
              + " that checkpoint again", e);
        }
      }
    }
    return out;
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

  private String commandLine() {
    StringBuilder b = new StringBuilder("./diffusion compare");
    if (config != null) {
      b.append(' ').append(config);
    }
    if (quick) {
      b.append(" --quick");
    }
    if (out != null) {
      b.append(" --out ").append(out);
    }
    if (extractor != null) {
      b.append(" --extractor ").append(extractor);
    }
    return b.toString();
  }

  private static String readConfig(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UserException(file + ": cannot read the comparison configuration: " + e.getMessage(), e);
    }
  }
}
