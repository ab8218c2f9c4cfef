package dev.jdiffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jdiffusion.core.data.SplitMix64;
import dev.jdiffusion.exporter.ParityCheck;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.sampler.Noise;
import dev.jdiffusion.sampling.sampler.Sampler;
import dev.jdiffusion.sampling.sampler.SamplerOptions;
import dev.jdiffusion.sampling.sampler.Samplers;
import dev.jdiffusion.sampling.sampler.SeededNoise;
import dev.jdiffusion.sampling.sampler.Spacing;
import dev.jdiffusion.trainer.Checkpoint;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComparisonTest {
  static final String CONFIG = """
      dataset: {name: synthetic, count: 16, size: 16}
      schedules: [{name: cosine, timesteps: 50}]
      parameterization: {name: eps}
      weighters: [{name: uniform}, {name: min-snr, gamma: 5}]
      seeds: [0]
      model: {baseChannels: 8, channelMultipliers: [1, 2], resBlocks: 1, attentionResolutions: []}
      training: {steps: 4, batchSize: 4, lr: 1.0e-3, warmupSteps: 1, emaDecay: 0.5, logEvery: 2}
      evaluation: {checkpoints: 2, samplingSteps: 2, samples: 12, reference: 16}
      """;

  static Environment env;

  @BeforeAll
  static void environment() {
    env = Environment.load();
  }

  static Comparison open(Path out, Path extractor, StringWriter log) throws Exception {
    return Comparison.open(env, "cmp.yaml", CONFIG, Comparison.Options.builder(out).extractor(extractor)
        .command("ComparisonTest").log(new PrintWriter(log, true)).build());
  }

  @Test
  void runsAreIndependentUnitsWhoseSerializableResultsMakeTheReport(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("cmp");
    StringWriter log = new StringWriter();
    Comparison c = open(out, TinyExtractor.write(dir), log);
    List<Comparison.RunSpec> plan = c.plan();
    assertThat(plan).extracting(Comparison.RunSpec::name).containsExactly(
        "[1/2] cosine(timesteps=50) / uniform / seed 0", "[2/2] cosine(timesteps=50) / min-snr(gamma=5) / seed 0");
    assertThat(plan.get(1).directory()).isEqualTo(out.resolve("runs/cosine-timesteps-50/min-snr-gamma-5/seed-0")
        .toString());

    // Each run travels as a serialized spec and comes back as a serialized result, as on a cluster.
    List<Comparison.RunResult> results = new ArrayList<>();
    for (Comparison.RunSpec spec : plan) {
      Comparison.RunSpec shipped = roundTrip(spec);
      assertThat(shipped).isEqualTo(spec);
      long t0 = System.nanoTime();
      Comparison.RunResult r = roundTrip(c.runOne(shipped));
      double wall = (System.nanoTime() - t0) / 1e9;
      assertThat(r.complete()).as(r.incomplete()).isTrue();
      assertThat(r.steps()).containsExactly(2L, 4L);
      // The run's times: one training session from step 0 to 4, and each checkpoint's scoring; rounded to
      // 0.1 s, together within the wall time of runOne.
      Path runDir = Path.of(spec.directory());
      List<String> training = Files.readAllLines(runDir.resolve("training.csv"));
      assertThat(training).hasSize(2).first().isEqualTo("from_step,to_step,seconds");
      assertThat(training.get(1)).startsWith("0,4,");
      double trainSeconds = Double.parseDouble(training.get(1).split(",")[2]);
      double scoreSeconds = Files.readAllLines(runDir.resolve("fid.csv")).stream().skip(1)
          .mapToDouble(l -> Double.parseDouble(l.split(",")[3])).sum();
      assertThat(trainSeconds).isPositive();
      assertThat(trainSeconds + scoreSeconds).isLessThanOrEqualTo(wall + 0.15);
      assertThat(r.fid()).hasSize(2).allSatisfy(f -> assertThat(f).isFinite().isNotNegative());
      results.add(r);
    }
    // What the runs returned is what their directories say.
    assertThat(c.results()).isEqualTo(results);

    Comparison.Report report = c.report(results, Duration.ofSeconds(90));
    assertThat(report.complete()).isEqualTo(2);
    assertThat(report.incomplete()).isEmpty();
    List<String> csv = Files.readAllLines(out.resolve("fid.csv"));
    assertThat(csv).hasSize(1 + 2 * 2).first().isEqualTo("schedule,weighter,seed,step,fid");
    assertThat(csv.get(3)).startsWith("cosine(timesteps=50),min-snr(gamma=5),0,2,");
    assertThat(Double.parseDouble(csv.get(3).split(",")[4])).isCloseTo(results.get(1).fid().get(0),
        org.assertj.core.api.Assertions.within(1e-6));
    assertThat(Files.readString(report.file())).contains("Command: `ComparisonTest`")
        .contains("this invocation took 1.5 min").contains("features from `gray-test");

    // A second pass does no work: every run is scored.
    StringWriter again = new StringWriter();
    Comparison c2 = open(out, TinyExtractor.write(dir), again);
    assertThat(c2.runOne(c2.plan().get(0))).isEqualTo(results.get(0));
    assertThat(again.toString()).contains("[1/2] cosine(timesteps=50) / uniform / seed 0: done (scored earlier)")
        .doesNotContain("training");
    assertThat(Files.readAllLines(Path.of(plan.get(0).directory()).resolve("training.csv"))).hasSize(2);
  }

  @Test
  void aRunAnotherProcessHoldsIsSkippedAndReportedIncomplete(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("cmp");
    StringWriter log = new StringWriter();
    Comparison c = open(out, TinyExtractor.write(dir), log);
    Comparison.RunSpec first = c.plan().get(0);
    Path run = Path.of(first.directory());
    Files.createDirectories(run);
    try (FileChannel channel = FileChannel.open(run.resolve("lock"), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
        var held = channel.lock()) {
      Comparison.RunResult r = c.runOne(first);
      assertThat(r.complete()).isFalse();
      assertThat(r.incomplete()).isEqualTo("0 of 2 checkpoints scored");
      assertThat(log.toString()).contains("[1/2] cosine(timesteps=50) / uniform / seed 0: skipped, another"
          + " process is working on it");
      assertThat(held.isValid()).isTrue();
    }
    Comparison.Report report = c.report(c.results(), Duration.ZERO);
    assertThat(report.incomplete()).containsExactly(
        "cosine(timesteps=50) / uniform / seed 0: 0 of 2 checkpoints scored",
        "cosine(timesteps=50) / min-snr(gamma=5) / seed 0: 0 of 2 checkpoints scored");
  }

  @Test
  void aDirectoryOfAnotherComparisonIsRefusedOnFirstUse(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("cmp");
    Comparison c = open(out, TinyExtractor.write(dir), new StringWriter());
    assertThat(out.resolve("compare.json")).doesNotExist(); // open() writes nothing
    c.report(List.of(), Duration.ZERO);
    assertThat(new ObjectMapper().readTree(out.resolve("compare.json").toFile()).path("training").path("lr")
        .asDouble()).isEqualTo(1e-3);
    Comparison other = Comparison.open(env, "other.yaml", CONFIG.replace("lr: 1.0e-3", "lr: 2.0e-3"),
        Comparison.Options.builder(out).build());
    assertThatThrownBy(other::worker).isInstanceOf(PipelineException.class)
        .hasMessage(out + " holds a comparison whose training.lr was 0.001, not 0.002; its scores would not be"
            + " comparable. Use another --out, or delete " + out + " to start again");
  }

  @Test
  void aDirectoryStartedBeforeTrainingPrecisionExistedResumesInFp32AndNotInBf16(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("cmp");
    Path extractor = TinyExtractor.write(dir);
    open(out, extractor, new StringWriter()).report(List.of(), Duration.ZERO);
    ObjectMapper json = new ObjectMapper();
    var recorded = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(out.resolve("compare.json").toFile());
    assertThat(recorded.path("training").path("precision").asText()).isEqualTo("fp32");
    // what a comparison started before training.precision existed recorded: it trained in fp32
    ((com.fasterxml.jackson.databind.node.ObjectNode) recorded.get("training")).remove("precision");
    json.writeValue(out.resolve("compare.json").toFile(), recorded);
    Comparison bf16 = Comparison.open(env, "bf16.yaml", CONFIG.replace("logEvery: 2}", "logEvery: 2, precision: bf16-mixed}"),
        Comparison.Options.builder(out).extractor(extractor).build());
    assertThatThrownBy(bf16::worker).isInstanceOf(PipelineException.class)
        .hasMessageContaining(out + " holds a comparison whose training.precision was fp32, not bf16-mixed;");
    try (Comparison.Worker resumed = open(out, extractor, new StringWriter()).worker()) {
      assertThat(resumed).isNotNull();
    }
    assertThat(json.readTree(out.resolve("compare.json").toFile()).path("training").path("precision").asText())
        .isEqualTo("fp32");
  }

  @Test
  void theFirstDifferenceIsNamedByItsPath() {
    ObjectMapper json = new ObjectMapper();
    var before = json.createObjectNode().put("a", 1).set("b", json.createObjectNode().put("c", "x"));
    var now = json.createObjectNode().put("a", 1).set("b", json.createObjectNode().put("c", "y").put("d", 2));
    assertThat(Comparison.firstDifference("cfg", before, before.deepCopy())).isNull();
    assertThat(Comparison.firstDifference("cfg", before, now)).isEqualTo("cfg.b.c was x, not y");
    ((com.fasterxml.jackson.databind.node.ObjectNode) now.get("b")).put("c", "x");
    assertThat(Comparison.firstDifference("cfg", before, now)).isEqualTo("cfg.b.d was absent, not 2");
  }

  @Test
  void atOneSeedAndCheckpointEveryRunStartsFromTheSameNoiseAndNothingElseSharesAStream(@TempDir Path dir)
      throws Exception {
    String yaml = CONFIG.replace("seeds: [0]", "seeds: [0, 1, 2]").replace("schedules: [{name: cosine, timesteps: 50}]",
        "schedules: [{name: cosine, timesteps: 50}, {name: linear, timesteps: 50}]");
    Comparison c = Comparison.open(env, "cmp.yaml", yaml, Comparison.Options.builder(dir).build());
    assertThat(c.plan()).hasSize(2 * 2 * 3);
    long[] steps = {2, 4}; // checkpoints: 2 of training.steps: 4
    int images = 12;
    int pixels = 16 * 16;
    int draws = 1 + c.config().evaluation().samplingSteps(); // the start, and one per update of a stochastic sampler
    Map<List<Long>, double[]> startBySeedAndStep = new HashMap<>();
    Map<List<Long>, Set<Long>> streamsBySeedAndStep = new HashMap<>();
    for (Comparison.RunSpec spec : c.plan()) {
      for (long step : steps) {
        SeededNoise noise = new SeededNoise(spec.samplingSeed(step));
        double[] start = new double[images * pixels];
        for (int i = 0; i < images; i++) {
          noise.fill(i, 0, start, i * pixels, pixels);
        }
        List<Long> key = List.of(spec.seed(), step);
        double[] other = startBySeedAndStep.putIfAbsent(key, start);
        // paired: every weighter (and schedule) at this seed and step starts from these very values
        assertThat(other == null || Arrays.equals(other, start)).as(spec.name() + " at step " + step).isTrue();
        Set<Long> streams = new HashSet<>();
        for (int i = 0; i < images; i++) {
          for (int d = 0; d < draws; d++) {
            streams.add(noise.streamSeed(i, d));
          }
        }
        streamsBySeedAndStep.put(key, streams);
      }
    }
    assertThat(startBySeedAndStep).hasSize(3 * 2);
    // Across seeds, and across the checkpoints of one seed, no noise stream is shared...
    Set<Long> all = new HashSet<>();
    streamsBySeedAndStep.values().forEach(all::addAll);
    assertThat(all).hasSize(3 * 2 * images * draws);
    // ... and no starting value either (independent streams: equal doubles would be a 2^-53 accident).
    Set<Double> values = new HashSet<>();
    startBySeedAndStep.values().forEach(v -> Arrays.stream(v).forEach(values::add));
    assertThat(values).hasSize(3 * 2 * images * pixels);
    // The documented formula (docs/compare.md), computed apart from RunSpec.
    assertThat(c.plan().get(5).samplingSeed(4)).isEqualTo(SplitMix64.derive(2, 4));
  }

  @Test
  void theSamplersGridIsCheckedOnEveryScheduleBeforeTrainingAndItsEvaluationsCounted(@TempDir Path dir)
      throws Exception {
    String twoSchedules = CONFIG.replace("parameterization: {name: eps}", "parameterization: {name: v}")
        .replace("schedules: [{name: cosine, timesteps: 50}]",
            "schedules: [{name: linear, timesteps: 50, zeroTerminalSnr: true}, {name: linear, timesteps: 50}]");
    Comparison heun = Comparison.open(env, "cmp.yaml",
        twoSchedules.replace("samplingSteps: 2", "sampler: heun, spacing: trailing, samplingSteps: 3"),
        Comparison.Options.builder(dir).build());
    // Heun: 2 x 3 - 1 evaluations, one fewer when its first step starts at zero terminal SNR (an Euler step)
    assertThat(heun.evaluations()).containsExactly(4, 5);
    assertThatThrownBy(() -> Comparison.open(env, "cmp.yaml", twoSchedules.replace("samplingSteps: 2",
            "sampler: euler, samplingSteps: 2"), Comparison.Options.builder(dir).build()))
        .isInstanceOf(PipelineException.class)
        .hasMessageStartingWith("cmp.yaml: evaluation (schedule linear(timesteps=50,zeroTerminalSnr=true)): spacing"
            + " karras needs a finite sigma at t = T-1")
        .hasMessageNotContaining("\n");
    assertThat(dir).isEmptyDirectory(); // refused before anything was written
  }

  @Test
  void theWorkerSamplesEachCheckpointWithTheConfiguredSamplerAndTheCheckpointsOwnSeed(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("cmp");
    StringWriter log = new StringWriter();
    Comparison c = Comparison.open(env, "cmp.yaml",
        CONFIG.replace("samplingSteps: 2", "sampler: dpmpp-2m, spacing: karras, samplingSteps: 3"),
        Comparison.Options.builder(out).extractor(TinyExtractor.write(dir)).log(new PrintWriter(log, true)).build());
    Comparison.RunSpec spec = c.plan().get(0);
    Comparison.RunResult r = c.runOne(spec);
    assertThat(r.complete()).as(r.incomplete() + "\n" + log).isTrue();
    assertThat(log.toString()).contains("dpmpp-2m (karras spacing): 3 steps, t = 49 .. 0, 3 network evaluations"
        + " per image");
    // The last checkpoint's samples, drawn again from its export with the documented seed derive(seed, step)
    Path model = dir.resolve("step-4.onnx");
    CheckpointExport.export(env, Path.of(spec.directory(), "train", "checkpoints", Checkpoint.fileName(4)), model,
        true, 2, ParityCheck.DEFAULT_TOLERANCE);
    double[] written = Npy.read(Path.of(spec.directory(), "samples", "samples.npy")).data();
    Sampler dpm = Samplers.create("dpmpp-2m", SamplerOptions.of(3).withSpacing(Spacing.KARRAS));
    try (OnnxDenoiser d = OnnxDenoiser.open(model, 1)) {
      float[] expected = Samplers.draw(d, dpm, Noise.seeded(SplitMix64.derive(0, 4)), 12, 12, k -> { });
      float[] runSeed = Samplers.draw(d, dpm, Noise.seeded(0), 12, 12, k -> { });
      float[] ddim = Samplers.draw(d, Samplers.create("ddim", SamplerOptions.of(3)),
          Noise.seeded(SplitMix64.derive(0, 4)), 12, 12, k -> { });
      assertThat(written).hasSize(expected.length);
      double maxDiff = 0;
      double runSeedDiff = 0;
      double ddimDiff = 0;
      for (int i = 0; i < written.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(written[i] - expected[i]));
        runSeedDiff = Math.max(runSeedDiff, Math.abs(written[i] - runSeed[i]));
        ddimDiff = Math.max(ddimDiff, Math.abs(written[i] - ddim[i]));
      }
      assertThat(maxDiff).isLessThan(1e-5);
      assertThat(runSeedDiff).isGreaterThan(1e-2); // not the run's seed itself
      assertThat(ddimDiff).isGreaterThan(1e-3); // not the default sampler
    }
    c.report(c.results(), Duration.ZERO);
    assertThat(Files.readString(out.resolve("report.md"))).contains("(sampler dpmpp-2m, karras spacing, 3 steps: 3"
        + " network evaluations per image)");
  }

  @Test
  void aDirectoryScoredWithTheOldNoiseSchemeIsRefused(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("cmp");
    Comparison c = open(out, TinyExtractor.write(dir), new StringWriter());
    c.report(List.of(), Duration.ZERO);
    ObjectMapper json = new ObjectMapper();
    var recorded = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(out.resolve("compare.json").toFile());
    assertThat(recorded.path("evaluation").path("spacing").asText()).isEqualTo("trailing");
    assertThat(recorded.path("evaluation").path("eta").asDouble()).isEqualTo(0.0);
    // what a comparison started before sampler settings (and per-checkpoint noise) recorded
    ((com.fasterxml.jackson.databind.node.ObjectNode) recorded.get("evaluation")).remove(List.of("spacing", "eta"));
    json.writeValue(out.resolve("compare.json").toFile(), recorded);
    assertThatThrownBy(() -> open(out, TinyExtractor.write(dir), new StringWriter()).worker())
        .isInstanceOf(PipelineException.class).hasMessageContaining(out + " holds a comparison whose evaluation.spacing was absent, not trailing");
  }

  @Test
  void theDeviceOptionReplacesTheConfiguredTrainingDevice(@TempDir Path dir) throws Exception {
    // A configuration written for a machine with four GPUs; this one has none.
    String gpuConfig = CONFIG.replace("logEvery: 2}", "logEvery: 2, device: \"gpu:3\"}");
    Path extractor = TinyExtractor.write(dir);
    Comparison asWritten = Comparison.open(env, "gpu.yaml", gpuConfig,
        Comparison.Options.builder(dir.resolve("as-written")).extractor(extractor).build());
    assertThatThrownBy(() -> asWritten.runOne(asWritten.plan().get(0))).hasMessageContaining("gpu:3");

    Comparison onCpu = Comparison.open(env, "gpu.yaml", gpuConfig,
        Comparison.Options.builder(dir.resolve("on-cpu")).extractor(extractor).device("cpu").build());
    Comparison.RunSpec spec = onCpu.plan().get(0);
    assertThat(onCpu.runOne(spec).complete()).isTrue();
    assertThat(new ObjectMapper().readTree(Path.of(spec.directory(), "train", "config.json").toFile())
        .path("training").path("device").asText()).isEqualTo("cpu");
    // The comparison's recorded settings keep the configuration's device.
    assertThat(new ObjectMapper().readTree(dir.resolve("on-cpu").resolve("compare.json").toFile())
        .path("training").path("device").asText()).isEqualTo("gpu:3");
  }

  @Test
  void labelsKeepTheParametersAsWrittenAndDirectoryNamesAreSafe() throws Exception {
    var node = new ObjectMapper().readTree("[{\"name\": \"p2\", \"k\": 1, \"gamma\": 0.5}, {\"name\": \"uniform\"}]");
    assertThat(Comparison.labels(node)).containsExactly("p2(k=1,gamma=0.5)", "uniform");
    assertThat(Comparison.dirName("p2(k=1,gamma=0.5)")).isEqualTo("p2-k-1-gamma-0.5");
    assertThat(Comparison.dirName("../x")).isEqualTo("..-x");
    assertThat(Comparison.dirName("..")).isEqualTo("_..");
  }

  @SuppressWarnings("unchecked")
  static <T> T roundTrip(T value) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
      o.writeObject(value);
    }
    try (ObjectInputStream i = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (T) i.readObject();
    }
  }
}
