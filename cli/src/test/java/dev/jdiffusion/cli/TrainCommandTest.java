package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import dev.jdiffusion.cli.WeightsCommandTest.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
  static Run run(String... args) {
    return WeightsCommandTest.run(args);
  }

  static final String CONFIG = """
      schedule: {name: cosine, timesteps: 100}
      parameterization: {name: v}
      weighter: {name: smoothed-kl, lambda: 0.2}
      dataset: {name: synthetic, count: 8, size: 8}
      model: {baseChannels: 8, channelMultipliers: [1, 2], resBlocks: 1, attentionResolutions: [4]}
      training: {steps: 4, batchSize: 4, lr: 1.0e-3, warmupSteps: 1, checkpointEvery: 2, logEvery: 1}
      """;

  @Test
  void trainsWritesCheckpointsAndResumes(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("tiny.yaml");
    Files.writeString(config, CONFIG);
    Path out = dir.resolve("run");
    Run first = run("train", config.toString(), "--steps", "2", "--out", out.toString());
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out()).contains("step 2/2").contains("done: 2 steps");
    Run second = run("train", config.toString(), "--out", out.toString(), "--resume");
    assertThat(second.exit()).as(second.err()).isZero();
    assertThat(second.out()).contains("resumed from").contains("step 4/4");
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertThat(metrics).hasSize(4);
    JsonNode last = new ObjectMapper().readTree(metrics.get(3));
    assertThat(last.path("step").asInt()).isEqualTo(4);
    assertThat(last.has("mean_weight")).isTrue();
    assertThat(out.resolve("checkpoints/step-00000004.ckpt")).exists();
  }

  @Test
  void aConfigWithoutDatasetOrWithABadValueIsAOneLineError(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("bad.yaml");
    Files.writeString(config, CONFIG.replace("lr: 1.0e-3", "lr: 0"));
    Run bad = run("train", config.toString(), "--out", dir.resolve("x").toString());
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).startsWith("error: " + config + ": training.lr: value 0.0 is not allowed");
    Files.writeString(config, CONFIG.replace("dataset: {name: synthetic, count: 8, size: 8}\n", ""));
    Run noData = run("train", config.toString(), "--out", dir.resolve("y").toString());
    assertThat(noData.exit()).isEqualTo(2);
    assertThat(noData.err()).contains("dataset: missing required value");
  }

  @Test
  void benchTrainPrintsOneJsonLine() throws Exception {
    Run r = run("bench", "train", "--arch", "unet-xs", "--batch", "2", "--steps", "1", "--warmup", "0");
    assertThat(r.exit()).as(r.err()).isZero();
    String[] lines = r.out().strip().split("\n");
    assertThat(lines).hasSize(1);
    JsonNode json = new ObjectMapper().readTree(lines[0]);
    assertThat(json.path("params").asLong()).isEqualTo(701_345L);
    assertThat(json.path("images_per_s").asDouble()).isPositive();
    assertThat(json.has("step_ms_median")).isTrue();
    assertThat(json.has("peak_rss_bytes")).isTrue();
  }
}
