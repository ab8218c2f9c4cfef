package dev.jdiffusion.pipeline;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jdiffusion.core.ConfigReader;
import dev.jdiffusion.exporter.DenoiserExport;
import dev.jdiffusion.exporter.ParityCheck;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.fid.FeatureExtractor;
import dev.jdiffusion.sampling.fid.FeatureStatistics;
import dev.jdiffusion.sampling.fid.FrechetDistance;
import dev.jdiffusion.sampling.fid.OnnxFeatureExtractor;
import dev.jdiffusion.sampling.sampler.Sampler;
import dev.jdiffusion.sampling.sampler.SamplerOptions;
import dev.jdiffusion.sampling.sampler.Samplers;
import dev.jdiffusion.sampling.sampler.Spacing;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.trainer.Checkpoint;
import dev.jdiffusion.trainer.TrainConfig;
import dev.jdiffusion.trainer.TrainingRun;
import dev.jdiffusion.trainer.TrainingStoppedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The whole job on one configuration: trains a denoiser, exports it to ONNX (parity-checked), samples it
 * in ONNX Runtime (with {@link #defaultSampler} unless {@link Options.Builder#sampler(String)} names one), scores FID
 * against the dataset's test split with a feature extractor (the small classifier trained on the dataset's
 * training split and cached, unless {@link Options.Builder#extractor(Path)} names one), and writes {@code
 * report.md} with the loss curve, a sample grid, the FID, the sampler and its network evaluations, the
 * extractor, and the time each stage took. Files in the output directory:
 *
 * <pre>
 *   train/            the training run (metrics.jsonl, checkpoints)
 *   model.onnx        the exported denoiser
 *   samples/          samples.npy and grid.png
 *   loss.png          the loss curve
 *   report.md         the report
 * </pre>
 *
 * {@code ./diffusion run} is this job with its defaults.
 */
public final class MainJob {
  /** The network evaluations per image {@code ./diffusion run} aims at unless told otherwise. */
  public static final int DEFAULT_EVALUATIONS = 25;

  private MainJob() {}

  /**
   * The sampler {@code ./diffusion run} uses unless one is named, for a budget of about {@code evaluations}
   * network evaluations per image: {@code ddpm} (ancestral sampling) above 10, {@code ddim} for 10 or fewer.
   * Chosen from FID per evaluation on the default run's trained model (docs/sampling.md): at 25 evaluations
   * DDPM scored 2.6 FID better than DDIM (51.98 against 54.54, 500 samples, the same noise seed), at 20 and
   * 50 it was better too, at 10 and 5 DDIM was. Heun with 10 steps scored better still, but a fifth of its
   * images were rougher than any test image (a tenth pure noise); none of DDPM's were. Both samplers take
   * every schedule, including those with zero terminal SNR.
   */
  public static String defaultSampler(int evaluations) {
    return evaluations > 10 ? "ddpm" : "ddim";
  }

  /**
   * Steps of {@code sampler} for about {@code evaluations} network evaluations per image: the most steps whose
   * evaluations ({@link Sampler#steps}, on a model with a finite terminal sigma) do not exceed {@code
   * evaluations}, at least one. Heun evaluates the network twice per step but once on the last, so 25
   * evaluations are 13 Heun steps; the other samplers evaluate once per step.
   *
   * @throws dev.jdiffusion.sampling.sampler.InvalidSamplerException for an unknown sampler name
   */
  public static int stepsFor(String sampler, int evaluations) {
    for (int steps = evaluations; steps > 1; steps--) {
      if (Samplers.create(sampler, SamplerOptions.of(steps)).steps(Integer.MAX_VALUE) <= evaluations) {
        return steps;
      }
    }
    return 1;
  }

  /**
   * How to run the job; build with {@link #builder(TrainConfig, Path)}.
   *
   * @param config the training configuration; it must name a dataset with a test split
   * @param out the output directory
   * @param samples images to sample for FID
   * @param sampler the sampler's name, as {@link Samplers#create} takes it ({@code ddim}, {@code ddpm},
   *     {@code euler}, {@code heun}, {@code dpmpp-2m}); the builder's default is {@link
   *     MainJob#defaultSampler} for {@link Builder#evaluations(int)}
   * @param spacing the sampler's timestep grid; null: the sampler's default
   * @param samplingSteps the sampler's steps per image; the builder's default is {@link MainJob#stepsFor} the
   *     sampler and {@link Builder#evaluations(int)}
   * @param reference test-split images to compare the samples with
   * @param extractor the FID feature extractor (ONNX); empty: the cached classifier for the dataset
   * @param quickExtractor when the cached classifier has to be trained, train it on 2000 images for one
   *     epoch (a smoke test) instead of 20000 for two
   * @param log where progress and results are written
   * @param progressBar show progress as a terminal bar instead of lines on {@code log}
   */
  public record Options(TrainConfig config, Path out, int samples, String sampler, Spacing spacing,
      int samplingSteps, int reference, Optional<Path> extractor, boolean quickExtractor,
      PrintWriter log, boolean progressBar) {
    public Options {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(out, "out");
      Objects.requireNonNull(extractor, "extractor");
      Objects.requireNonNull(log, "log");
      if (config.dataset().isEmpty()) {
        throw new IllegalArgumentException("config: dataset: missing required value (the data to train on)");
      }
      if (samples < 2) {
        throw new IllegalArgumentException("samples: " + samples + " is not >= 2");
      }
      if (samplingSteps < 1) {
        throw new IllegalArgumentException("samplingSteps: " + samplingSteps + " is not >= 1");
      }
      if (reference < 2) {
        throw new IllegalArgumentException("reference: " + reference + " is not >= 2");
      }
      Sampler resolved = Samplers.create(sampler, new SamplerOptions(samplingSteps, spacing, null, null, true));
      sampler = resolved.name();
      spacing = resolved.spacing();
    }

    /** A new sampler of these settings (x0 clipped to the pixel range, as {@code ./diffusion sample} does). */
    public Sampler createSampler() {
      return Samplers.create(sampler, SamplerOptions.of(samplingSteps).withSpacing(spacing));
    }

    /**
     * Options with the defaults of {@code ./diffusion run}: 500 samples, the {@link MainJob#defaultSampler}
     * for about {@value MainJob#DEFAULT_EVALUATIONS} network evaluations per image (DDPM, 25 trailing steps),
     * 10000 test images, the cached extractor, nothing logged.
     */
    public static Builder builder(TrainConfig config, Path out) {
      return new Builder(config, out);
    }

    /** Builds {@link Options}. */
    public static final class Builder {
      private final TrainConfig config;
      private final Path out;
      private int samples = 500;
      private String sampler;
      private Spacing spacing;
      private Integer samplingSteps;
      private int evaluations = DEFAULT_EVALUATIONS;
      private int reference = 10_000;
      private Path extractor;
      private boolean quickExtractor;
      private PrintWriter log = new PrintWriter(Writer.nullWriter());
      private boolean progressBar;

      private Builder(TrainConfig config, Path out) {
        this.config = config;
        this.out = out;
      }

      /** Images to sample for FID (default 500). */
      public Builder samples(int n) {
        this.samples = n;
        return this;
      }

      /**
       * The sampler by name: {@code ddim}, {@code ddpm}, {@code euler}, {@code heun} or {@code dpmpp-2m};
       * {@link #build()} refuses another name. Null (the default): {@link MainJob#defaultSampler} for the
       * {@link #evaluations(int)}.
       */
      public Builder sampler(String name) {
        this.sampler = name;
        return this;
      }

      /** The sampler's timestep grid; null (the default) is the sampler's own default. */
      public Builder spacing(Spacing grid) {
        this.spacing = grid;
        return this;
      }

      /**
       * The sampler's steps per image (default: {@link MainJob#stepsFor} the sampler and {@link
       * #evaluations(int)}: 13 for Heun, 25 for the others).
       */
      public Builder samplingSteps(int n) {
        this.samplingSteps = n;
        return this;
      }

      /**
       * The network evaluations per image to aim at when the sampler or its steps are not given (default
       * {@value MainJob#DEFAULT_EVALUATIONS}); they choose the {@link MainJob#defaultSampler} and the steps
       * ({@link MainJob#stepsFor}).
       */
      public Builder evaluations(int n) {
        this.evaluations = n;
        return this;
      }

      /** Test-split images to compare with (default 10000). */
      public Builder reference(int n) {
        this.reference = n;
        return this;
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
       * The options.
       *
       * @throws IllegalArgumentException for a configuration without a dataset or bad counts, whose message
       *     starts with the field ({@code samples: ...})
       * @throws dev.jdiffusion.sampling.sampler.InvalidSamplerException for an unknown sampler name
       */
      public Options build() {
        if (samplingSteps != null && samplingSteps < 1) {
          throw new IllegalArgumentException("samplingSteps: " + samplingSteps + " is not >= 1");
        }
        if (evaluations < 1) {
          throw new IllegalArgumentException("evaluations: " + evaluations + " is not >= 1");
        }
        String name = sampler != null ? sampler : defaultSampler(evaluations);
        int steps = samplingSteps != null ? samplingSteps : stepsFor(name, evaluations);
        return new Options(config, out, samples, name, spacing, steps, reference,
            Optional.ofNullable(extractor), quickExtractor, log, progressBar);
      }
    }
  }

  /**
   * What the job produced.
   *
   * @param fid the Frechet distance between the samples' and the test images' features
   * @param extractor the feature extractor's description (FIDs of different extractors are not comparable)
   * @param samples images sampled
   * @param reference test images compared with
   * @param warnings what the FID computation warned about (e.g. fewer images than feature dimensions)
   * @param seconds wall time of each stage, in order: {@code train}, {@code export}, {@code sample}, {@code fid}
   * @param training the training run
   * @param export the exported model and its parity
   * @param report the written {@code report.md}
   */
  public record Result(double fid, String extractor, int samples, long reference, List<String> warnings,
      Map<String, Double> seconds, TrainingRun.Summary training, DenoiserExport.Report export, Path report) {
    public Result {
      warnings = List.copyOf(warnings);
      seconds = Collections.unmodifiableMap(new LinkedHashMap<>(seconds));
    }

    /** The exported denoiser. */
    public Path model() {
      return export.file();
    }
  }

  /**
   * Runs the job.
   *
   * @throws TrainingStoppedException when training stops (a non-finite loss or gradient)
   * @throws PipelineException when the dataset has no test split, the extractor cannot be used, or the
   *     sampler's grid cannot be formed on the schedule (checked before training), or {@code out} holds an
   *     earlier run (its {@code train} directory has a configuration or checkpoints: a new run never mixes
   *     with an old one)
   * @throws DenoiserExport.ParityException when the exported model does not match the trained one
   */
  public static Result run(Environment env, Options options) throws IOException, OrtException {
    PrintWriter log = options.log();
    ConfigReader reader = env.reader();
    TrainConfig cfg = options.config();
    Path dir = options.out();
    Path trainDir = dir.resolve("train");
    if (Files.exists(trainDir.resolve("config.json")) || !Checkpoint.list(trainDir.resolve("checkpoints")).isEmpty()) {
      throw new PipelineException("--out " + dir + " holds an earlier run (" + trainDir
          + "): choose another --out, or delete it first");
    }
    int nSamples = options.samples();
    Sampler sampler = options.createSampler();
    // Refuse a grid the trained model could not take (e.g. a sigma grid at zero terminal SNR) before training.
    SamplerPlan.evaluations(sampler, env.plugins().schedule(cfg.schedule()),
        env.plugins().parameterization(cfg.parameterization()), "sampler " + sampler.name());
    Files.createDirectories(dir);
    Map<String, Double> seconds = new LinkedHashMap<>();

    // 1. train
    long t0 = System.nanoTime();
    TrainingRun.Summary summary;
    try (DatasetSource data = env.plugins().openDataset(cfg.dataset().get())) {
      summary = TrainingRun.run(cfg, env.plugins(), reader, data,
          new TrainingRun.Options(dir.resolve("train"), false, log, options.progressBar()));
    }
    seconds.put("train", secondsSince(t0));

    // 2. export
    t0 = System.nanoTime();
    Path model = dir.resolve("model.onnx");
    DenoiserExport.Report export = CheckpointExport.export(env, summary.lastCheckpoint(), model, true, 8,
        ParityCheck.DEFAULT_TOLERANCE);
    log.printf(Locale.ROOT, "exported %s (parity max |DJL - ORT| = %.2g)%n", model, export.maxAbsDifference());
    seconds.put("export", secondsSince(t0));

    // 3. sample
    t0 = System.nanoTime();
    int threads = Runtime.getRuntime().availableProcessors();
    float[] images = ImageSampling.sample(model, sampler, nSamples, 100, 0, threads, log, options.progressBar());
    try (OnnxDenoiser d = OnnxDenoiser.open(model, 1)) {
      ImageSampling.write(dir.resolve("samples"), images, nSamples, d.metadata());
    }
    seconds.put("sample", secondsSince(t0));
    ImageShape shape = export.metadata().imageShape();

    // 4. FID against the test split
    t0 = System.nanoTime();
    String datasetSpec = reader.json().writeValueAsString(cfg.dataset().get());
    Path extractorFile = options.extractor().isPresent() ? options.extractor().get()
        : FidScoring.cachedExtractor(env, cfg.dataset().get(), options.quickExtractor(), log, options.progressBar());
    FrechetDistance.Result fid;
    String extractorName;
    long referenceCount;
    try (FeatureExtractor fx = OnnxFeatureExtractor.open(extractorFile, OnnxFeatureExtractor.Options.defaults())) {
      extractorName = fx.description();
      FeatureStatistics generated = FidScoring.statistics(fx, images, nSamples, shape);
      FeatureStatistics real;
      try (DatasetSource test = env.plugins().openDataset(FidScoring.testSplit(reader, cfg.dataset().get()))) {
        real = FidScoring.referenceStatistics(fx, test, options.reference());
      }
      referenceCount = real.count().orElse(0);
      fid = FrechetDistance.compute(generated, real, "samples", "test split");
    }
    seconds.put("fid", secondsSince(t0));
    fid.warnings().forEach(w -> log.println("warning: " + w));
    // ./diffusion run --quick asks for the smoke-test extractor: its FID is labelled as a smoke-test number
    boolean smokeTest = options.quickExtractor();
    log.printf(Locale.ROOT, "FID %.2f (%d samples vs %d test images; extractor %s)%s%n", fid.fid(), nSamples,
        referenceCount, extractorName, smokeTest ? "; --quick: a smoke-test number, not a result" : "");

    // 5. report
    lossPlot(dir.resolve("train").resolve("metrics.jsonl"), dir.resolve("loss.png"));
    Path report = dir.resolve("report.md");
    writeReport(report, cfg, reader, summary, export, fid, extractorName, nSamples, referenceCount, sampler,
        seconds, datasetSpec, smokeTest);
    log.flush();
    return new Result(fid.fid(), extractorName, nSamples, referenceCount, fid.warnings(), seconds, summary, export,
        report);
  }

  private static double secondsSince(long t0) {
    return (System.nanoTime() - t0) / 1e9;
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

  private static void writeReport(Path file, TrainConfig cfg, ConfigReader reader, TrainingRun.Summary summary,
      DenoiserExport.Report export, FrechetDistance.Result fid, String extractorName, int nSamples,
      long nReference, Sampler sampler, Map<String, Double> seconds, String datasetSpec, boolean smokeTest)
      throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# jdiffusion run\n\n");
    md.append(String.format(Locale.ROOT, "**FID %.2f** (%d samples vs %d test images; sampler %s, %s spacing, %d"
            + " steps: %d network evaluations per image)%n%n", fid.fid(), nSamples, nReference, sampler.name(),
        sampler.spacing(), sampler.timesteps(export.metadata()).length, sampler.evaluations(export.metadata())));
    if (smokeTest) {
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
    Files.writeString(file, md.toString());
  }
}
