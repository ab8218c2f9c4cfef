package dev.jdiffusion.cli;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.pipeline.Comparison;
import dev.jdiffusion.pipeline.Environment;
import dev.jdiffusion.pipeline.Progress;
import dev.jdiffusion.spark.RunConcurrency;
import dev.jdiffusion.spark.SparkComparison;
import dev.jdiffusion.spark.SparkOptions;
import dev.jdiffusion.spark.SparkRunner;
import dev.jdiffusion.trainer.Engines;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
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
 * With {@code --engine spark} every run is a Spark task ({@link SparkComparison}); the files are the same.
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

  @Option(names = "--engine", paramLabel = "local|spark",
      description = {"local: train the runs one after another in this process (the default);",
          "spark: every run is a Spark task, embedded (local[N]) unless --master names a cluster."})
  String engine = "local";

  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master for --engine spark: local[N], local[N,F], spark://HOST:PORT or k8s://URL.")
  String master;

  @Option(names = "--conf", paramLabel = "KEY=VALUE",
      description = "A Spark property for --engine spark, e.g. spark.executor.memory=4g; repeat for several.")
  List<String> sparkConf = new ArrayList<>();

  @Option(names = "--threads-per-run", paramLabel = "N",
      description = {"libtorch and ONNX Runtime threads of each run. Default: all the cores, since runs in one JVM",
          "train one at a time (local engine, and Spark embedded or local[N]); on a Spark cluster,",
          "spark.executor.cores, else spark.task.cpus, else 1 (docs/spark.md)."})
  Integer threadsPerRun;

  @Override
  public Integer call() throws IOException, OrtException {
    String engineName = engine.toLowerCase(Locale.ROOT);
    if (!engineName.equals("local") && !engineName.equals("spark")) {
      throw new UserException("--engine " + engine + ": expected local or spark");
    }
    boolean onSpark = engineName.equals("spark");
    if (!onSpark && (master != null || !sparkConf.isEmpty())) {
      throw new UserException((master != null ? "--master" : "--conf") + " applies to --engine spark only");
    }
    if (threadsPerRun != null && threadsPerRun < 1) {
      throw new UserException("--threads-per-run " + threadsPerRun + ": expected at least 1");
    }
    SparkOptions sparkOptions = onSpark ? SparkOptions.parse(master, sparkConf) : null;
    if (onSpark) {
      SparkComparison.checkOptions(sparkOptions);
    }
    PrintWriter log = spec.commandLine().getOut();
    Environment env = Environment.of(main.injector(), Main.version());
    String source = config != null ? config.toString() : quick ? "built-in compare-quick.yaml" : "built-in compare-default.yaml";
    String text = config != null ? readConfig(config) : BuiltInConfigs.read(quick ? "compare-quick.yaml" : "compare-default.yaml");
    Path dir = out != null ? out : Path.of("out", quick ? "compare-quick" : "compare");
    Writable.requireDirectory("--out", dir);
    if (onSpark) {
      dir = dir.toAbsolutePath().normalize(); // run directories are read by tasks in other working directories
    }
    Comparison.Options options = Comparison.Options.builder(dir).extractor(extractor).quickExtractor(quick)
        .command(commandLine()).log(log).progressBar(Progress.interactive()).build();
    Comparison comparison = Comparison.open(env, source, text, options);
    if (onlySchedules != null) {
      for (String only : onlySchedules) {
        if (!comparison.schedules().contains(only)) {
          throw new UserException("--schedule " + only + ": not a schedule of " + source + "; its schedules are "
              + comparison.schedules());
        }
      }
    }
    List<Comparison.RunSpec> runs = comparison.plan();
    List<Comparison.RunSpec> todo = runs.stream()
        .filter(r -> onlySchedules == null || onlySchedules.contains(r.scheduleLabel())).toList();
    long started = System.nanoTime();
    Map<Integer, Comparison.RunResult> done = new HashMap<>();
    if (!reportOnly && onSpark) {
      for (Comparison.RunResult r : onSpark(env, source, text, options, sparkOptions, todo, log)) {
        done.put(r.spec().index(), r);
      }
    } else if (!reportOnly) {
      if (threadsPerRun != null) {
        Engines.setThreads(threadsPerRun);
      }
      try (Comparison.Worker worker = comparison.worker()) {
        for (Comparison.RunSpec r : todo) {
          worker.run(r);
        }
      }
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
    // What the tasks sent back, and for the runs not trained here, what their directories say.
    List<Comparison.RunResult> results = new ArrayList<>();
    for (Comparison.RunSpec r : runs) {
      results.add(done.containsKey(r.index()) ? done.get(r.index()) : comparison.result(r));
    }
    Comparison.Report report = comparison.report(results, elapsed);
    log.printf("wrote %s (%d of %d runs complete)%n", report.file(), report.complete(), report.total());
    log.flush();
    return report.incomplete().isEmpty() ? 0 : 4;
  }

  /** Trains and scores {@code todo} as Spark tasks; returns their results. */
  private List<Comparison.RunResult> onSpark(Environment env, String source, String text, Comparison.Options options,
      SparkOptions sparkOptions, List<Comparison.RunSpec> todo, PrintWriter log) throws IOException, OrtException {
    RunConcurrency concurrency = RunConcurrency.resolve(sparkOptions,
        SparkOptions.submittedProperties(),
        threadsPerRun == null ? OptionalInt.empty() : OptionalInt.of(threadsPerRun),
        Runtime.getRuntime().availableProcessors(), todo.size(), System.getenv());
    if (todo.isEmpty()) {
      return List.of();
    }
    try (SparkRunner spark = SparkRunner.start(concurrency.options(), concurrency.slots().orElse(1),
        "jdiffusion compare")) {
      Path extractorFile = SparkComparison.prepare(env, source, text, options);
      log.printf("Spark %s: %d run(s) as tasks, %d thread(s) each%n", spark.master(), todo.size(),
          concurrency.threadsPerRun());
      log.flush();
      SparkComparison.Job job = new SparkComparison.Job(
          main.pluginDirectory == null ? null : main.pluginDirectory.toAbsolutePath().toString(), source, text,
          options.out().toString(), extractorFile.toAbsolutePath().toString(), options.command(),
          concurrency.threadsPerRun());
      return SparkComparison.run(spark, job, todo, log);
    }
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
    if (!engine.equals("local")) {
      b.append(" --engine ").append(engine);
    }
    if (master != null) {
      b.append(" --master ").append(master);
    }
    for (String c : sparkConf) {
      b.append(" --conf ").append(c);
    }
    if (threadsPerRun != null) {
      b.append(" --threads-per-run ").append(threadsPerRun);
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
