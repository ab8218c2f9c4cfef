package dev.jdiffusion.cli;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.core.Plugins;
import dev.jdiffusion.core.data.Batch;
import dev.jdiffusion.core.data.BatchLoader;
import dev.jdiffusion.exporter.DenoiserExport;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.fid.FeatureExtractor;
import dev.jdiffusion.sampling.fid.FeatureStatistics;
import dev.jdiffusion.sampling.fid.FrechetDistance;
import dev.jdiffusion.sampling.fid.MomentAccumulator;
import dev.jdiffusion.sampling.fid.OnnxFeatureExtractor;
import dev.jdiffusion.sampling.sampler.DdimSampler;
import dev.jdiffusion.spi.dataset.DatasetConfig;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.trainer.TrainConfig;
import dev.jdiffusion.trainer.TrainingRun;
import dev.jdiffusion.trainer.TrainingStoppedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ./diffusion run [CONFIG]}: the whole job. Trains a denoiser, exports it to ONNX (parity-checked),
 * samples it with DDIM in ONNX Runtime, scores FID against the dataset's test split with a feature
 * extractor (the small classifier trained on the dataset's training split and cached, unless
 * {@code --extractor} names one), and writes {@code report.md} with the loss curve, a sample grid, the FID
 * and its extractor, and the time each stage took.
 */
@Command(name = "run", sortOptions = false,
    description = {"Train, export, sample and score (FID) a denoiser; write a report.",
        "Without CONFIG: Fashion-MNIST 32x32, unet-xs, cosine, eps, smoothed-kl lambda=0.2 (~10 min on 2 cores)."})
final class RunCommand implements Callable<Integer> {
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG",
      description = "A training configuration (YAML/JSON); default: the built-in one.")
  Path config;

  @Option(names = "--quick", description = "A one-minute smoke run (tiny data, model, steps and sample).")
  boolean quick;

  @Option(names = "--steps", description = "Training steps (overrides the configuration).")
  Integer steps;

  @Option(names = "--samples", description = "Images to sample for FID (default: 500, quick: 200).")
  Integer samples;

  @Option(names = "--sampling-steps", description = "DDIM steps (default: 25, quick: 10).")
  Integer samplingSteps;

  @Option(names = "--reference", description = "Test images to compare with (default: 10000, quick: 1000).")
  Integer reference;

  @Option(names = "--extractor", paramLabel = "MODEL.onnx",
      description = "Feature extractor for FID; default: train (once, then cached) the small classifier on the dataset.")
  Path extractor;

  @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: out/run, quick: out/run-quick).")
  Path out;

  @Override
  public Integer call() throws IOException, OrtException {
    PrintWriter log = spec.commandLine().getOut();
    Plugins plugins = main.injector().getInstance(Plugins.class);
    ConfigReader reader = main.injector().getInstance(ConfigReader.class);
    Path dir = out != null ? out : Path.of("out", quick ? "run-quick" : "run");
    int nSamples = samples != null ? samples : quick ? 200 : 500;
    int ddimSteps = samplingSteps != null ? samplingSteps : quick ? 10 : 25;
    int nReference = reference != null ? reference : quick ? 1000 : 10000;

    TrainConfig cfg = config != null ? reader.read(config, TrainConfig.class)
        : reader.readYaml(quick ? "built-in run-quick.yaml" : "built-in run-default.yaml",
            resource(quick ? "run-quick.yaml" : "run-default.yaml"), TrainConfig.class);
    if (steps != null) {
      cfg = cfg.withSteps(steps);
    }
    if (cfg.dataset().isEmpty()) {
      throw new UserException((config == null ? "the configuration" : config.toString())
          + ": dataset: missing required value (the data to train on)");
    }
    Writable.requireDirectory("--out", dir);
    Map<String, Double> seconds = new LinkedHashMap<>();

    // 1. train
    long t0 = System.nanoTime();
    TrainingRun.Summary summary;
    try (DatasetSource data = plugins.openDataset(cfg.dataset().get())) {
      summary = TrainingRun.run(cfg, plugins, reader, data,
          TrainingRun.Options.auto(dir.resolve("train"), false, log));
    } catch (TrainingStoppedException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return 3;
    }
    seconds.put("train", secondsSince(t0));

    // 2. export
    t0 = System.nanoTime();
    Path model = dir.resolve("model.onnx");
    DenoiserExport.Report export = ExportCommand.export(main, summary.lastCheckpoint(), model, true, 8,
        dev.jdiffusion.exporter.ParityCheck.DEFAULT_TOLERANCE);
    log.printf(Locale.ROOT, "exported %s (parity max |DJL - ORT| = %.2g)%n", model, export.maxAbsDifference());
    seconds.put("export", secondsSince(t0));

    // 3. sample
    t0 = System.nanoTime();
    int threads = Runtime.getRuntime().availableProcessors();
    float[] images = SampleCommand.sample(model, new DdimSampler(ddimSteps, 0, true), nSamples, 100, 0, threads, log);
    try (OnnxDenoiser d = OnnxDenoiser.open(model, 1)) {
      SampleCommand.write(dir.resolve("samples"), images, nSamples, d.metadata());
    }
    seconds.put("sample", secondsSince(t0));
    ImageShape shape = export.metadata().imageShape();

    // 4. FID against the test split
    t0 = System.nanoTime();
    String datasetSpec = reader.json().writeValueAsString(cfg.dataset().get());
    Path extractorFile = extractor != null ? extractor : FidScoring.cachedExtractor(main, reader, cfg.dataset().get(), quick, log);
    FrechetDistance.Result fid;
    String extractorName;
    long referenceCount;
    try (FeatureExtractor fx = OnnxFeatureExtractor.open(extractorFile, OnnxFeatureExtractor.Options.defaults())) {
      extractorName = fx.description();
      FeatureStatistics generated = FidScoring.statistics(fx, images, nSamples, shape);
      FeatureStatistics real;
      try (DatasetSource test = plugins.openDataset(withSplit(reader, cfg.dataset().get(), "test"))) {
        real = FidScoring.referenceStatistics(fx, test, nReference);
      }
      referenceCount = real.count().orElse(0);
      fid = FrechetDistance.compute(generated, real, "samples", "test split");
    }
    seconds.put("fid", secondsSince(t0));
    fid.warnings().forEach(w -> log.println("warning: " + w));
    log.printf(Locale.ROOT, "FID %.2f (%d samples vs %d test images; extractor %s)%s%n", fid.fid(), nSamples,
        referenceCount, extractorName, quick ? "; --quick: a smoke-test number, not a result" : "");

    // 5. report
    lossPlot(dir.resolve("train").resolve("metrics.jsonl"), dir.resolve("loss.png"));
    writeReport(dir, cfg, reader, summary, export, fid, extractorName, nSamples, referenceCount, ddimSteps,
        seconds, datasetSpec);
    log.printf("wrote %s%n", dir.resolve("report.md"));
    log.flush();
    return 0;
  }

  private static double secondsSince(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  /** A built-in configuration shipped beside the commands (run-*.yaml, compare-*.yaml). */
  static String resource(String name) throws IOException {
    try (InputStream in = RunCommand.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing built-in configuration " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static DatasetConfig withSplit(ConfigReader reader, DatasetConfig dataset, String split) {
    ObjectNode node = reader.json().valueToTree(dataset);
    if (!node.has("split")) {
      throw new UserException("dataset '" + node.path("name").asText() + "' has no 'split' option: FID needs"
          + " a held-out test split; pass --extractor and score with ./diffusion fid instead");
    }
    node.put("split", split);
    node.remove("subset");
    node.remove("flip");
    return reader.convert("dataset (" + split + " split)", node, DatasetConfig.class);
  }

  /**
   * Loss per step from {@code metrics.jsonl}, as the mean of each of at most 200 equal runs of steps (every
   * step when there are fewer) and as an exponential moving average, against the step on a round-numbered
   * axis from 0, with the loss on a log axis labelled between decades too.
   */
  static void lossPlot(Path metrics, Path png) throws IOException {
    BitmapEncoder.saveBitmap(lossChart(metrics), png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  /** The chart of {@link #lossPlot}. */
  static XYChart lossChart(Path metrics) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<double[]> rows = new ArrayList<>();
    for (String line : Files.readAllLines(metrics)) {
      if (!line.isBlank()) {
        JsonNode n = json.readTree(line);
        rows.add(new double[] {n.path("step").asDouble(), n.path("loss").asDouble()});
      }
    }
    // At most 200 points, the mean of each run of steps: the plot stays readable for long runs.
    int every = Math.max(1, (rows.size() + 199) / 200);
    List<Double> steps = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    List<Double> smooth = new ArrayList<>();
    double ema = Double.NaN;
    double sum = 0;
    int count = 0;
    for (int i = 0; i < rows.size(); i++) {
      double loss = rows.get(i)[1];
      ema = Double.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
      sum += loss;
      count++;
      if (count == every || i == rows.size() - 1) {
        steps.add(rows.get(i)[0]);
        losses.add(sum / count);
        smooth.add(ema);
        sum = 0;
        count = 0;
      }
    }
    XYChart chart = new XYChartBuilder().width(800).height(450).title("Training loss (weighted, loss space)")
        .xAxisTitle("training step").yAxisTitle("loss (log scale)").build();
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setYAxisLogarithmicDecadeOnly(false); // a short run spans less than one decade
    chart.getStyler().setYAxisDecimalPattern("0.###");
    // XChart puts its ticks on the data points when the x values (with the axis ends) are equally spaced,
    // and labels ran together ("121151181..."): ending the axis half a run after the last point breaks the
    // spacing, and the ticks fall on round numbers from 0.
    double last = steps.isEmpty() ? 1 : steps.get(steps.size() - 1);
    chart.getStyler().setXAxisMin(0.0);
    chart.getStyler().setXAxisMax(last + every / 2.0);
    chart.getStyler().setXAxisTickMarkSpacingHint(100);
    chart.getStyler().setXAxisDecimalPattern("#,###");
    chart.addSeries(every == 1 ? "loss" : "loss (mean of " + every + " steps)", steps, losses)
        .setMarker(SeriesMarkers.NONE);
    chart.addSeries("moving average (0.95)", steps, smooth).setMarker(SeriesMarkers.NONE);
    return chart;
  }

  private void writeReport(Path dir, TrainConfig cfg, ConfigReader reader, TrainingRun.Summary summary,
      DenoiserExport.Report export, FrechetDistance.Result fid, String extractorName, int nSamples,
      long nReference, int ddimSteps, Map<String, Double> seconds, String datasetSpec) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# jdiffusion run\n\n");
    md.append(String.format(Locale.ROOT, "**FID %.2f** (%d DDIM-%d samples vs %d test images)%n%n",
        fid.fid(), nSamples, ddimSteps, nReference));
    if (quick) {
      md.append(String.format(Locale.ROOT, "A smoke-test number, not a result: `--quick` trained %d steps and"
          + " scored %d samples against %d test images. Compare it only with other `--quick` runs scored with"
          + " the same extractor, never with the default run.%n%n", summary.steps(), nSamples, nReference));
    }
    md.append("Extractor: `").append(extractorName).append("`. FIDs from different extractors are not")
        .append(" comparable; this one is not Inception-v3.\n\n");
    fid.warnings().forEach(w -> md.append("Warning: ").append(w).append("\n\n"));
    md.append("![samples](samples/grid.png)\n\n![loss](loss.png)\n\n");
    md.append("## Configuration\n\n```json\n")
        .append(reader.json().writerWithDefaultPrettyPrinter().writeValueAsString(cfg)).append("\n```\n\n");
    md.append("## Stages\n\n| stage | seconds |\n| --- | --- |\n");
    seconds.forEach((k, v) -> md.append(String.format(Locale.ROOT, "| %s | %.1f |%n", k, v)));
    md.append(String.format(Locale.ROOT, "%nTrained %d steps; last checkpoint `%s`. Exported `%s` (%s weights),"
            + " parity max |DJL - ONNX Runtime| = %.2g.%n", summary.steps(), summary.lastCheckpoint(),
        export.file(), export.metadata().weights(), export.maxAbsDifference()));
    md.append("\nDataset: `").append(datasetSpec).append("`\n");
    Files.writeString(dir.resolve("report.md"), md.toString());
  }
}
