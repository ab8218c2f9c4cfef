package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.sampling.OnnxDenoiser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train (a few steps) -> export -> the file describes itself and samples; a failed parity check writes nothing. */
class ExportCommandTest {
  @Test
  void exportsACheckpointWithMetadataAndParity(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("tiny.yaml");
    Files.writeString(config, """
        schedule: {name: linear, timesteps: 200}
        parameterization: {name: v}
        weighter: {name: min-snr, gamma: 5}
        dataset: {name: synthetic, count: 32, size: 16}
        model: {baseChannels: 32, channelMultipliers: [1, 2], resBlocks: 1, attentionResolutions: [8]}
        training: {steps: 4, batchSize: 4, checkpointEvery: 2}
        """);
    var train = WeightsCommandTest.run("train", config.toString(), "--out", dir.resolve("run").toString());
    assertThat(train.exit()).as(train.err()).isZero();

    Path model = dir.resolve("model.onnx");
    var r = WeightsCommandTest.run("export", dir.resolve("run").toString(), "--out", model.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("output 'v', ema weights of step 4")
        .containsPattern("parity DJL vs ONNX Runtime, batch 8: max \\|diff\\| = [0-9.e-]+ ");
    try (OnnxDenoiser d = OnnxDenoiser.open(model, 1)) {
      ModelMetadata m = d.metadata();
      assertThat(m.parameterization()).isEqualTo("v");
      assertThat(m.timesteps()).isEqualTo(200);
      assertThat(m.trainingStep()).isEqualTo(4);
      assertThat(m.weighterJson()).contains("\"name\":\"min-snr\"").contains("\"gamma\":5.0");
      assertThat(m.scheduleJson()).contains("\"name\":\"linear\"").contains("\"timesteps\":200");
      // v-prediction: eps_hat = sigma x_t + sqrt(alphabar) v
      assertThat(m.epsFromOutput(100)).isEqualTo(Math.sqrt(m.alphabar()[100]),
          org.assertj.core.api.Assertions.within(1e-12));
    }

    Path strict = dir.resolve("strict.onnx");
    var fail = WeightsCommandTest.run("export", dir.resolve("run").toString(), "--out", strict.toString(),
        "--tolerance", "1e-12");
    assertThat(fail.exit()).isEqualTo(1);
    assertThat(fail.err()).contains("parity check failed").contains("was not written");
    assertThat(strict).doesNotExist();
  }
}
