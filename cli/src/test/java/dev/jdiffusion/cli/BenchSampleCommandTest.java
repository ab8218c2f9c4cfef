package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** The benchmark's output format (its numbers are not checked: timings belong in docs/benchmarks.md). */
class BenchSampleCommandTest {
  @Test
  void printsOneJsonLine() throws Exception {
    JsonNode json = BenchTrainCommandTest.benchmarkLine("bench", "sample", "--arch", "unet-xs", "--batch", "2",
        "--steps", "1", "--warmup", "0");
    assertThat(json.path("arch").asText()).isEqualTo("unet-xs");
    assertThat(json.path("params").asLong()).isEqualTo(701_345);

    assertThat(json.has("quantize")).isFalse();

    JsonNode int8 = BenchTrainCommandTest.benchmarkLine("bench", "sample", "--arch", "unet-xs", "--batch", "2",
        "--steps", "1", "--warmup", "0", "--quantize", "int8");
    assertThat(int8.path("quantize").asText()).isEqualTo("int8");
    assertThat(int8.path("images_per_s").asDouble()).isPositive();
    var badQuantize = WeightsCommandTest.run("bench", "sample", "--quantize", "int4");
    assertThat(badQuantize.exit()).isEqualTo(2);
    assertThat(badQuantize.err().strip()).isEqualTo("error: --quantize int4 is not allowed: must be int8");

    var bad = WeightsCommandTest.run("bench", "sample", "--arch", "unet-m");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("--arch unet-m is not allowed: must be unet-xs or unet-s");
  }
}
