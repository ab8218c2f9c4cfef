package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.sampling.OnnxDenoiser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * train (a few steps) -> export -> the file describes itself and samples; a failed parity check writes nothing;
 * {@code --quantize int8} (the command of docs/sampling.md) writes an int8 model that says so and samples; bad
 * quantization options are one line, exit 2.
 */
class ExportCommandTest {
  @TempDir static Path dir;
  static Path run;

  @BeforeAll
  static void train() throws Exception {
    Path config = dir.resolve("tiny.yaml");
    Files.writeString(config, """
        schedule: {name: linear, timesteps: 200}
        parameterization: {name: v}
        weighter: {name: min-snr, gamma: 5}
        dataset: {name: synthetic, count: 32, size: 16}
        model: {baseChannels: 32, channelMultipliers: [1, 2], resBlocks: 1, attentionResolutions: [8]}
        training: {steps: 4, batchSize: 4, checkpointEvery: 2}
        """);
    run = dir.resolve("run");
    var train = WeightsCommandTest.run("train", config.toString(), "--out", run.toString());
    assertThat(train.exit()).as(train.err()).isZero();
  }

  @Test
  void exportsACheckpointWithMetadataAndParity() throws Exception {
    Path model = dir.resolve("model.onnx");
    var r = WeightsCommandTest.run("export", run.toString(), "--out", model.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("ONNX opset 17, output 'v', ema weights of step 4")
        .containsPattern("parity DJL vs ONNX Runtime, batch 8: max \\|diff\\| = [0-9.e-]+ ")
        .doesNotContain("int8");
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
    assertThat(customMetadata(model)).doesNotContainKey("jdiffusion.quantization");

    Path strict = dir.resolve("strict.onnx");
    var fail = WeightsCommandTest.run("export", run.toString(), "--out", strict.toString(),
        "--tolerance", "1e-12");
    assertThat(fail.exit()).isEqualTo(1);
    assertThat(fail.err()).contains("parity check failed").contains("was not written");
    assertThat(strict).doesNotExist();
  }

  /**
   * In a process of its own (native code writes to the process's stderr, which no in-JVM capture sees), an
   * export prints only its own lines: libtorch 2.7 used to add a deprecation warning (DJL's host-side array
   * copy, once per process) and a warning for every batch-1 convolution that oneDNN passes over (NNPACK
   * cannot start where the CPU's L3 cache is hidden or AVX2 is missing), dozens per parity check.
   */
  @Test
  void exportWritesNoNativeWarnings() throws Exception {
    Path model = dir.resolve("quiet.onnx");
    ChildJvm child = ChildJvm.start(dir, "quiet-export", List.of(), "export", run.toString(), "--out",
        model.toString());
    assertThat(child.waitFor(java.time.Duration.ofMinutes(3))).as(child.err()).isZero();
    assertThat(child.out()).contains("parity DJL vs ONNX Runtime, batch 1");
    assertThat(child.err().lines().filter(l -> l.startsWith("[W")).toList()).isEmpty();
  }

  /** The command of docs/sampling.md ("An int8 model"), on this test's run and with 8 calibration images. */
  @Test
  void exportsAnInt8ModelThatSaysSoAndSamples() throws Exception {
    List<String> documented = SamplingDocsTest.commandLines("./diffusion export ");
    assertThat(documented).containsExactly(
        "./diffusion export out/run/train --out out/model-int8.onnx --quantize int8 --calibration 64");
    Path model = dir.resolve("int8.onnx");
    List<String> args = new ArrayList<>(List.of(documented.get(0).substring("./diffusion ".length()).split(" ")));
    args.set(args.indexOf("out/run/train"), run.toString());
    args.set(args.indexOf("out/model-int8.onnx"), model.toString());
    args.set(args.indexOf("64"), "8");
    var r = WeightsCommandTest.run(args.toArray(String[]::new));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("ONNX opset 17, int8 QDQ, output 'v', ema weights of step 4")
        .contains("parity DJL vs ONNX Runtime (float32 model), batch 8");
    Matcher m = Pattern.compile("int8: (\\d+) of (\\d+) convolutions quantized \\(the first and last stay float32\\),"
        + " (\\d+) run as QLinearConv in ONNX Runtime; activation ranges from 8 noised training images").matcher(r.out());
    assertThat(m.find()).as(r.out()).isTrue();
    int quantized = Integer.parseInt(m.group(1));
    assertThat(quantized).isEqualTo(Integer.parseInt(m.group(2)) - 2).isPositive();
    assertThat(Integer.parseInt(m.group(3))).isEqualTo(quantized);
    Matcher a = Pattern.compile("int8 vs float32 in ONNX Runtime, 32 other noised training images: max \\|diff\\| ="
        + " [0-9.e-]+, rms ([0-9.e-]+) \\(output rms ([0-9.e-]+)\\)").matcher(r.out());
    assertThat(a.find()).as(r.out()).isTrue();
    assertThat(Double.parseDouble(a.group(1))).isLessThan(Double.parseDouble(a.group(2)));

    Map<String, String> meta = customMetadata(model);
    assertThat(meta).containsEntry("jdiffusion.quantization", "int8")
        .containsEntry("jdiffusion.parameterization", "v");
    assertThat(meta.get("jdiffusion.quantization.calibration")).startsWith("8 training images noised at timesteps");

    var sample = WeightsCommandTest.run("sample", model.toString(), "--sampler", "ddim", "--steps", "2", "--n", "4",
        "--out", dir.resolve("samples").toString());
    assertThat(sample.exit()).as(sample.err()).isZero();
    assertThat(dir.resolve("samples").resolve("samples.npy")).exists();
  }

  @Test
  void badQuantizationOptionsAreOneLineAndExit2() {
    String out = dir.resolve("bad.onnx").toString();
    assertOneLine(WeightsCommandTest.run("export", run.toString(), "--out", out, "--quantize", "fp16"),
        "error: --quantize fp16 is not allowed: must be int8");
    assertOneLine(WeightsCommandTest.run("export", run.toString(), "--out", out, "--quantize", "int8",
        "--calibration", "0"), "error: --calibration 0 is not allowed: must be an integer in [1, 4096]");
    assertOneLine(WeightsCommandTest.run("export", run.toString(), "--out", out, "--quantize", "int8",
        "--calibration", "5000"), "error: --calibration 5000 is not allowed: must be an integer in [1, 4096]");
    assertOneLine(WeightsCommandTest.run("export", run.toString(), "--out", out, "--calibration", "8"),
        "error: --calibration 8 needs --quantize int8");
    assertOneLine(WeightsCommandTest.run("export", run.toString(), "--out", out, "--quantize", "int8",
        "--calibration", "many"), "error: --calibration many is not allowed: must be an integer in [1, 4096]");
    assertThat(Path.of(out)).doesNotExist();
  }

  private static void assertOneLine(WeightsCommandTest.Run r, String line) {
    assertThat(r.exit()).as(r.err()).isEqualTo(2);
    assertThat(r.err().lines().filter(l -> !l.isBlank()).toList()).containsExactly(line);
  }

  private static Map<String, String> customMetadata(Path model) throws Exception {
    try (OrtSession s = OrtEnvironment.getEnvironment().createSession(model.toString(), new OrtSession.SessionOptions())) {
      return s.getMetadata().getCustomMetadata();
    }
  }
}
