package dev.jdiffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.List;
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
      Comparison.RunResult r = roundTrip(c.runOne(shipped));
      assertThat(r.complete()).as(r.incomplete()).isTrue();
      assertThat(r.steps()).containsExactly(2L, 4L);
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
        .hasMessageContaining(out + " holds a comparison whose training was");
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
