package dev.jdiffusion.cli;

import ai.onnxruntime.OrtException;
import dev.jdiffusion.pipeline.Comparison;
import dev.jdiffusion.pipeline.Environment;
import dev.jdiffusion.pipeline.Progress;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

  @Override
  public Integer call() throws IOException, OrtException {
    PrintWriter log = spec.commandLine().getOut();
    Environment env = Environment.of(main.injector(), Main.version());
    String source = config != null ? config.toString() : quick ? "built-in compare-quick.yaml" : "built-in compare-default.yaml";
    String text = config != null ? readConfig(config) : BuiltInConfigs.read(quick ? "compare-quick.yaml" : "compare-default.yaml");
    Path dir = out != null ? out : Path.of("out", quick ? "compare-quick" : "compare");
    Writable.requireDirectory("--out", dir);
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
    long started = System.nanoTime();
    if (!reportOnly) {
      try (Comparison.Worker worker = comparison.worker()) {
        for (Comparison.RunSpec r : runs) {
          if (onlySchedules == null || onlySchedules.contains(r.scheduleLabel())) {
            worker.run(r);
          }
        }
      }
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
    Comparison.Report report = comparison.report(comparison.results(), elapsed);
    log.printf("wrote %s (%d of %d runs complete)%n", report.file(), report.complete(), report.total());
    log.flush();
    return report.incomplete().isEmpty() ? 0 : 4;
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
