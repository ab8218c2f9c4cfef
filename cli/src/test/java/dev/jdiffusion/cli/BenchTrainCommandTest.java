package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training benchmark's output format and its profile (timings are not checked: they belong in
 * docs/benchmarks.md). The profile also shows which kernels a training step runs: libtorch's single
 * {@code silu} and {@code native_group_norm} with their backward kernels, not the composed fallbacks.
 */
class BenchTrainCommandTest {
  /**
   * Runs {@code ./diffusion ARGS} (a benchmark), asserts that it succeeded, and returns its one JSON line after
   * checking the fields every benchmark prints: a positive throughput, the median step time and the peak RSS.
   */
  static JsonNode benchmarkLine(String... args) throws Exception {
    var r = WeightsCommandTest.run(args);
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(r.out().trim());
    assertThat(json.path("images_per_s").asDouble()).as(r.out()).isPositive();
    assertThat(json.has("step_ms_median")).as(r.out()).isTrue();
    assertThat(json.has("peak_rss_bytes")).as(r.out()).isTrue();
    return json;
  }

  @Test
  void printsOneJsonLineAndWritesTheProfiledStepsTrace(@TempDir Path dir) throws Exception {
    Path trace = dir.resolve("step.json");
    JsonNode json = benchmarkLine("bench", "train", "--arch", "unet-xs", "--batch", "2", "--steps", "1",
        "--warmup", "0", "--profile", trace.toString());
    assertThat(json.path("arch").asText()).isEqualTo("unet-xs");
    assertThat(json.path("params").asLong()).isEqualTo(701_345);
    assertThat(json.path("last_loss").asDouble()).isPositive();
    assertThat(json.path("malloc").asText()).isNotEmpty();
    // the compilers, read here from the JVM's command line rather than from its flag values
    String level = "4";
    for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("-XX:TieredStopAtLevel=")) {
        level = a.substring(a.indexOf('=') + 1);
      }
    }
    assertThat(json.path("jit").asText()).isEqualTo(level.equals("4") ? "C1+C2" : "C1");

    Set<String> ops = new HashSet<>();
    for (JsonNode event : new ObjectMapper().readTree(Files.readString(trace))) {
      ops.add(event.path("name").asText());
    }
    assertThat(ops).contains("aten::silu", "aten::silu_backward", "aten::native_group_norm",
        "aten::native_group_norm_backward", "aten::convolution_backward");
    assertThat(ops).doesNotContain("aten::sigmoid", "aten::native_batch_norm");

    var bad = WeightsCommandTest.run("bench", "train", "--arch", "unet-m");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("--arch unet-m is not allowed: must be unet-xs, unet-s, unet-rgb32 or unet-rgb64");
    var badDevice = WeightsCommandTest.run("bench", "train", "--device", "cuda");
    assertThat(badDevice.exit()).isEqualTo(2);
    assertThat(badDevice.err()).contains("--device cuda is not allowed: must be cpu, gpu or gpu:N");
  }

  /**
   * The RGB presets time the network of a CIFAR-10-sized (and CelebA-64-sized) run, the per-step cost of
   * docs/benchmarks.md's paper-scale estimate, on the device asked for.
   */
  @Test
  void theRgbPresetTrainsOnThreeChannelImages() throws Exception {
    JsonNode json = benchmarkLine("bench", "train", "--arch", "unet-rgb32", "--batch", "2", "--steps", "1",
        "--warmup", "0");
    assertThat(json.path("arch").asText()).isEqualTo("unet-rgb32");
    assertThat(json.path("image").asText()).isEqualTo("3x32x32");
    assertThat(json.path("device").asText()).isEqualTo("cpu");
    assertThat(json.path("params").asLong()).isGreaterThan(6_469_889); // wider than unet-s: 4 levels
    assertThat(json.path("last_loss").asDouble()).isPositive();
  }
}
