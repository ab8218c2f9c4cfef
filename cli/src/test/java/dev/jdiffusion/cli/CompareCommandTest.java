package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jdiffusion.cli.WeightsCommandTest.Run;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.pipeline.Comparison;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {
  static final String CONFIG = """
      dataset: {name: synthetic, count: 16, size: 8}
      schedules: [{name: cosine, timesteps: 50}]
      parameterization: {name: eps}
      weighters: [{name: uniform}, {name: smoothed-kl, lambda: 0.2}]
      seeds: [0, 1]
      model: {baseChannels: 8, channelMultipliers: [1, 2], resBlocks: 1, attentionResolutions: []}
      training: {steps: 4, batchSize: 4, lr: 1.0e-3, warmupSteps: 1, emaDecay: 0.5, logEvery: 2}
      evaluation: {checkpoints: 2, samplingSteps: 2, samples: 12, reference: 16}
      """;

  /** A 1-channel extractor: four 1x1 convolutions, average pooled (features of dimension 4). */
  static Path extractor(Path dir) throws Exception {
    Path model = dir.resolve("gray.onnx");
    OnnxGraphBuilder g = new OnnxGraphBuilder("gray_extractor");
    g.input("images", DataType.FLOAT, -1, 1, 8, 8);
    String w = g.floats("w", new float[] {1, -1, 0.5f, 2}, 4, 1, 1, 1);
    String b = g.floats("b", new float[] {0, 0.1f, -0.2f, 0.3f}, 4);
    String conv = g.node("Conv", new String[] {"images", w, b}, "kernel_shape", new long[] {1, 1});
    String relu = g.node("Relu", new String[] {conv});
    String pooled = g.node("GlobalAveragePool", new String[] {relu});
    g.nodeInto("Flatten", new String[] {pooled}, "features", "axis", 1L);
    g.output("features", DataType.FLOAT, -1, 4);
    OnnxGraphBuilder.write(g.metadata("jdiffusion.extractor.name", "gray-test").build("test"), model);
    return model;
  }

  static Run compare(Path config, Path out, Path extractor) {
    return WeightsCommandTest.run("compare", config.toString(), "--out", out.toString(), "--extractor",
        extractor.toString());
  }

  @Test
  void scoresEveryRunReportsAndResumesWithoutRedoingWork(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("cmp.yaml");
    Files.writeString(config, CONFIG);
    Path out = dir.resolve("cmp");
    Path fx = extractor(dir);
    Run first = compare(config, out, fx);
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out()).contains("[1/4] cosine(timesteps=50) / uniform / seed 0: training")
        .contains("[4/4] cosine(timesteps=50) / smoothed-kl(lambda=0.2) / seed 1: step 4 FID")
        .contains("(4 of 4 runs complete)");
    List<String> all = Files.readAllLines(out.resolve("fid.csv"));
    assertThat(all).hasSize(1 + 4 * 2).first().isEqualTo("schedule,weighter,seed,step,fid");
    // one pair, one window with checkpoints (2 of 4 is the only intermediate one, and the first after
    // warm-up): two seeds, their mean, the seed means
    assertThat(Files.readAllLines(out.resolve("gaps.csv"))).hasSize(1 + 4);
    assertThat(Files.readAllLines(out.resolve("null.csv"))).hasSize(1 + 2);
    assertThat(out.resolve("fid-cosine-timesteps-50.png")).isNotEmptyFile();
    assertThat(out.resolve("weights-cosine-timesteps-50.png")).isNotEmptyFile();
    String report = Files.readString(out.resolve("report.md"));
    assertThat(report).contains("## Final FID").contains("| cosine(timesteps=50) | smoothed-kl(lambda=0.2) |")
        .contains("Training steps to stay at or below it").contains("Null check").contains("features from `gray-test")
        .contains("![uniform](runs/cosine-timesteps-50/uniform/seed-0/samples/grid.png)");
    assertThat(Files.readString(out.resolve("extractor.txt"))).startsWith("gray-test");

    Path seed1 = out.resolve("runs/cosine-timesteps-50/smoothed-kl-lambda-0.2/seed-1");
    Path seed0 = out.resolve("runs/cosine-timesteps-50/uniform/seed-0");
    TreeMap<Long, Double> before1 = Comparison.readScores(seed1.resolve("fid.csv"));
    TreeMap<Long, Double> before0 = Comparison.readScores(seed0.resolve("fid.csv"));
    assertThat(before1.keySet()).containsExactly(2L, 4L);
    // Interrupted after scoring step 2: the last score is gone; and one run lost its training past step 2.
    List<String> lines = Files.readAllLines(seed1.resolve("fid.csv"));
    Files.write(seed1.resolve("fid.csv"), lines.subList(0, lines.size() - 1));
    Files.delete(seed0.resolve("train/checkpoints/step-00000004.ckpt"));
    Files.delete(seed0.resolve("fid.csv"));

    Run second = compare(config, out, fx);
    assertThat(second.exit()).as(second.err()).isZero();
    assertThat(second.out())
        .contains("[1/4] cosine(timesteps=50) / uniform / seed 0: training (resuming)")
        .contains("[2/4] cosine(timesteps=50) / uniform / seed 1: done (scored earlier)")
        .contains("[3/4] cosine(timesteps=50) / smoothed-kl(lambda=0.2) / seed 0: done (scored earlier)")
        .doesNotContain("[4/4] cosine(timesteps=50) / smoothed-kl(lambda=0.2) / seed 1: training")
        .doesNotContain("seed 1: step 2 FID")
        .contains("[4/4] cosine(timesteps=50) / smoothed-kl(lambda=0.2) / seed 1: step 4 FID");
    // Training resumes bit-exactly and sampling is seeded: the redone scores equal the first ones.
    TreeMap<Long, Double> after1 = Comparison.readScores(seed1.resolve("fid.csv"));
    TreeMap<Long, Double> after0 = Comparison.readScores(seed0.resolve("fid.csv"));
    assertThat(after1.get(4L)).isCloseTo(before1.get(4L), within(1e-4));
    assertThat(after0.get(2L)).isCloseTo(before0.get(2L), within(1e-4));
    assertThat(after0.get(4L)).isCloseTo(before0.get(4L), within(1e-4));
  }

  @Test
  void aChangedSettingInTheSameDirectoryIsRefusedNamingIt(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("cmp.yaml");
    Path out = dir.resolve("cmp");
    Files.createDirectories(out);
    Files.writeString(config, CONFIG);
    WeightsCommandTest.run("compare", config.toString(), "--out", out.toString(), "--report-only",
        "--extractor", extractor(dir).toString());
    assertThat(new ObjectMapper().readTree(out.resolve("compare.json").toFile()).path("training").path("lr")
        .asDouble()).isEqualTo(1e-3);
    Files.writeString(config, CONFIG.replace("lr: 1.0e-3", "lr: 2.0e-3"));
    Run changed = compare(config, out, extractor(dir));
    assertThat(changed.exit()).isEqualTo(2);
    assertThat(changed.err()).contains(out + " holds a comparison whose training.lr was 0.001, not 0.002;");
  }

  @Test
  void aRunAnotherProcessHoldsIsSkipped(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("cmp.yaml");
    Path out = dir.resolve("cmp");
    Files.writeString(config, CONFIG.replace("seeds: [0, 1]", "seeds: [0]"));
    Path run = out.resolve("runs/cosine-timesteps-50/uniform/seed-0");
    Files.createDirectories(run);
    // a lock held by another JVM looks the same to this one as a lock held by a second channel here
    try (var channel = java.nio.channels.FileChannel.open(run.resolve("lock"),
            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        var held = channel.lock()) {
      Run r = compare(config, out, extractor(dir));
      assertThat(r.out()).contains("[1/2] cosine(timesteps=50) / uniform / seed 0: skipped, another process is"
          + " working on it").contains("[2/2] cosine(timesteps=50) / smoothed-kl(lambda=0.2) / seed 0: step 4 FID");
      assertThat(r.exit()).isEqualTo(4); // one run incomplete
      assertThat(run.resolve("fid.csv")).doesNotExist();
      assertThat(held.isValid()).isTrue();
    }
  }

  @Test
  void scoresOfAnotherExtractorAreNotMixedIn(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("cmp.yaml");
    Path out = dir.resolve("cmp");
    Files.createDirectories(out);
    Files.writeString(config, CONFIG);
    Files.writeString(out.resolve("extractor.txt"), "some-other-extractor (x.onnx, sha256 0123)\n");
    Run r = compare(config, out, extractor(dir));
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("was scored with the extractor some-other-extractor").contains("gray-test");
  }

  @Test
  void badConfigurationsNameTheFieldAndWhatIsAllowed(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("bad.yaml");
    Path fx = extractor(dir);
    Files.writeString(config, CONFIG.replace("checkpoints: 2", "checkpoints: 3"));
    Run steps = compare(config, dir.resolve("a"), fx);
    assertThat(steps.exit()).isEqualTo(2);
    assertThat(steps.err()).startsWith("error: " + config).contains("evaluation.checkpoints")
        .contains("a divisor of training.steps = 4");
    Files.writeString(config, CONFIG.replace("weighters: [{name: uniform}, {name: smoothed-kl, lambda: 0.2}]",
        "weighters: [{name: uniform}]"));
    Run one = compare(config, dir.resolve("b"), fx);
    assertThat(one.exit()).isEqualTo(2);
    assertThat(one.err()).contains("weighters").contains("at least two weighters");
    Files.writeString(config, CONFIG.replace("{name: smoothed-kl, lambda: 0.2}", "{name: uniform}"));
    Run twice = compare(config, dir.resolve("c"), fx);
    assertThat(twice.exit()).isEqualTo(2);
    assertThat(twice.err()).contains("weighters: [uniform, uniform] lists the same entry twice");
    Files.writeString(config, CONFIG);
    Run schedule = WeightsCommandTest.run("compare", config.toString(), "--out", dir.resolve("e").toString(),
        "--schedule", "linear", "--extractor", fx.toString());
    assertThat(schedule.exit()).isEqualTo(2);
    assertThat(schedule.err()).contains("--schedule linear: not a schedule of " + config)
        .contains("[cosine(timesteps=50)]");
    Files.writeString(config, CONFIG.replace("samplingSteps: 2", "sampler: dpm-solver"));
    Run sampler = compare(config, dir.resolve("d"), fx);
    assertThat(sampler.exit()).isEqualTo(2);
    assertThat(sampler.err().strip()).isEqualTo("error: " + config + ": evaluation.sampler: value dpm-solver is not"
        + " allowed: must be one of ddpm, ddim, euler, heun, dpmpp-2m");
    assertThat(dir.resolve("d")).doesNotExist();
    Files.writeString(config, CONFIG.replace("samplingSteps: 2", "sampler: euler, spacing: cosine"));
    Run spacing = compare(config, dir.resolve("d"), fx);
    assertThat(spacing.exit()).isEqualTo(2);
    assertThat(spacing.err().strip()).isEqualTo("error: " + config + ": evaluation.spacing: value cosine is not"
        + " allowed: must be one of trailing, linspace, leading, karras, logsnr");
  }
}
