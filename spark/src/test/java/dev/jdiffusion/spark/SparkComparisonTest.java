package dev.jdiffusion.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.pipeline.Comparison;
import dev.jdiffusion.pipeline.Environment;
import dev.jdiffusion.trainer.Checkpoint;
import dev.jdiffusion.trainer.Engines;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The comparison grid as Spark tasks in an embedded context: the same results, a failed task resumed. */
class SparkComparisonTest {
  /** Two runs of four steps on synthetic data, each scored at steps 2 and 4. */
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

  /** Every line the tasks logged (the tasks run in this JVM). */
  static final Queue<String> LINES = new ConcurrentLinkedQueue<>();

  static Environment env;

  @BeforeAll
  static void environment() {
    env = Environment.load();
  }

  /**
   * Fails the first attempt of run {@code index} at its first log line after a checkpoint exists and before
   * training ends: the retry must resume from that checkpoint.
   */
  record FailAfterFirstCheckpoint(int index) implements SparkComparison.LogTap {
    @Override
    public void line(Comparison.RunSpec spec, int attempt, String line) {
      LINES.add(spec.index() + "/" + attempt + " " + line);
      if (spec.index() != index || attempt > 0) {
        return;
      }
      Path checkpoints = Path.of(spec.directory(), "train", "checkpoints");
      try {
        if (Files.isDirectory(checkpoints) && Checkpoint.latest(checkpoints).isPresent()
            && !Files.exists(checkpoints.resolve(Checkpoint.fileName(4)))) {
          throw new IllegalStateException("injected failure of " + spec.name());
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  static Comparison.Options options(Path out, Path extractor) {
    return Comparison.Options.builder(out.toAbsolutePath()).extractor(extractor).command("test").build();
  }

  @Test
  void aTaskThatDiesIsRetriedAndResumesToTheResultsOfAnUninterruptedGrid(@TempDir Path dir) throws Exception {
    Path extractor = TestModels.extractor(dir);
    Engines.setThreads(1); // as the tasks will: thread counts change the rounding of reductions
    Comparison local = Comparison.open(env, "cmp.yaml", CONFIG, options(dir.resolve("local"), extractor));
    List<Comparison.RunResult> uninterrupted = new ArrayList<>();
    for (Comparison.RunSpec spec : local.plan()) {
      uninterrupted.add(local.runOne(spec));
    }

    Comparison.Options sparkOptions = options(dir.resolve("spark"), extractor);
    Path resolved = SparkComparison.prepare(env, "cmp.yaml", CONFIG, sparkOptions);
    Comparison onSpark = Comparison.open(env, "cmp.yaml", CONFIG, sparkOptions);
    SparkComparison.Job job = new SparkComparison.Job(null, "cmp.yaml", CONFIG, sparkOptions.out().toString(),
        resolved.toString(), "test", 1);
    StringWriter driverLog = new StringWriter();
    List<Comparison.RunResult> results;
    try (SparkRunner spark = SparkRunner.start(SparkOptions.defaults(), 2, "fault-test")) {
      results = SparkComparison.run(spark, job, onSpark.plan(), new PrintWriter(driverLog, true),
          new FailAfterFirstCheckpoint(1));
    }

    assertThat(driverLog.toString()).contains("[2/2] cosine(timesteps=50) / min-snr(gamma=5) / seed 0: attempt 1"
        + " failed: java.lang.IllegalStateException: injected failure of [2/2]");
    assertThat(LINES).anyMatch(l -> l.startsWith("1/1 ") && l.contains("resumed from") && l.contains("(step 2)"));
    assertThat(results).hasSize(2);
    for (int i = 0; i < 2; i++) {
      Comparison.RunResult got = results.get(i);
      Comparison.RunResult want = uninterrupted.get(i);
      assertThat(got.complete()).as(got.incomplete()).isTrue();
      assertThat(got.spec().index()).isEqualTo(i);
      assertThat(got.steps()).isEqualTo(want.steps());
      assertThat(got.fid()).as("FIDs of %s", got.spec().name()).isEqualTo(want.fid());
    }
    // The driver's report from the results equals the in-process engine's, line for line.
    onSpark.report(results, Duration.ofMinutes(1));
    local.report(local.results(), Duration.ofMinutes(1));
    assertThat(dir.resolve("spark").resolve("fid.csv")).hasSameTextualContentAs(dir.resolve("local").resolve("fid.csv"));
  }
}
