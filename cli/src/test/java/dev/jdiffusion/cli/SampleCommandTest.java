package dev.jdiffusion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.exporter.onnx.GaussianOracle;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./diffusion sample} on the exact denoiser of N(0, S^2) data (an ONNX model). The option values are
 * checked by what they do: the samples of each command line equal, to float32 rounding, those of the numpy
 * reference samplers (sampling's {@code reference_samplers.py}, written from the papers) run with the same
 * settings and with jdiffusion's seeded noise reimplemented in Python from its documentation
 * ({@code seeded_noise.py}).
 */
class SampleCommandTest {
  /** Wide data, so that the x0 estimate often leaves the pixel range [-1, 1] and clipping matters. */
  static final double S = 1.5;
  static final ImageShape SHAPE = new ImageShape(1, 2, 2);
  static Path dir;
  static Path model;
  static double[] alphabar;

  @BeforeAll
  static void writeModel(@TempDir Path tmp) throws Exception {
    dir = tmp;
    double[] betas = new double[100];
    for (int i = 0; i < 100; i++) {
      betas[i] = 1e-3 + (0.15 - 1e-3) * i / 99;
    }
    NoiseSchedule s = NoiseSchedule.fromBetas(betas);
    alphabar = s.alphabars();
    model = tmp.resolve("m.onnx");
    OnnxGraphBuilder.write(GaussianOracle.model(s, S, SHAPE, GaussianOracle.metadata(s, SHAPE)), model);
  }

  static double[] samples(Path out) throws Exception {
    NpyArray a = Npy.read(out.resolve("samples.npy"));
    assertThat(a.dtype()).isEqualTo(Npy.FLOAT32);
    return a.data();
  }

  /** Runs the CLI with these options and returns samples.npy. */
  static double[] cli(String name, String... options) throws Exception {
    Path out = dir.resolve(name);
    List<String> args = new ArrayList<>(List.of("sample", model.toString(), "--out", out.toString()));
    args.addAll(List.of(options));
    var r = WeightsCommandTest.run(args.toArray(String[]::new));
    assertThat(r.exit()).as(r.err()).isZero();
    return samples(out);
  }

  /** The numpy reference's samples for these settings and seeded noise. */
  static double[] reference(String name, int n, long seed, String sampler, int steps, String spacing, double eta,
      String variance, boolean clip) throws Exception {
    Path resources = Path.of("..", "sampling", "src", "test", "resources", "dev", "jdiffusion", "sampling", "sampler")
        .toAbsolutePath().normalize();
    Path in = dir.resolve(name + "-in.npz");
    Path out = dir.resolve(name + "-out.npz");
    Npy.writeNpz(in, Map.of("alphabar", NpyArray.float64(alphabar, alphabar.length),
        "noise_seed", NpyArray.float64(new double[] {seed, n, SHAPE.size()}, 3)));
    String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    Process p = new ProcessBuilder(python, resources.resolve("reference_samplers.py").toString(), in.toString(),
        out.toString(), sampler, Integer.toString(steps), spacing, Double.toString(eta), variance,
        Boolean.toString(clip), "-1", "1", "0", Double.toString(S)).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(log).isZero();
    return Npy.readNpz(out).get("out").data();
  }

  static void assertClose(double[] actual, double[] expected) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < actual.length; i++) {
      assertThat(Math.abs(actual[i] - expected[i])).as("value %d: %s, numpy %s", i, actual[i], expected[i])
          .isLessThanOrEqualTo(2e-5 * (1 + Math.abs(expected[i])));
    }
  }

  @Test
  void optionValuesDoWhatTheySay() throws Exception {
    assertClose(cli("ddim-eta", "--n", "7", "--seed", "3", "--sampler", "ddim", "--eta", "0.5", "--steps", "8"),
        reference("ddim-eta", 7, 3, "ddim", 8, "trailing", 0.5, "posterior", true));
    double[] noClip = cli("ddpm-beta", "--n", "7", "--seed", "4", "--sampler", "ddpm", "--variance", "beta",
        "--steps", "10", "--spacing", "linspace", "--no-clip");
    assertClose(noClip, reference("ddpm-beta", 7, 4, "ddpm", 10, "linspace", 0, "beta", false));
    assertThat(java.util.Arrays.stream(noClip).anyMatch(v -> Math.abs(v) > 1.05))
        .as("without clipping, samples of N(0, 1.5^2) leave [-1, 1]").isTrue();
    double[] clipped = cli("ddpm-clip", "--n", "7", "--seed", "4", "--sampler", "ddpm", "--variance", "beta",
        "--steps", "10", "--spacing", "linspace");
    assertClose(clipped, reference("ddpm-clip", 7, 4, "ddpm", 10, "linspace", 0, "beta", true));
    assertClose(cli("dpmpp", "--n", "5", "--seed", "1", "--sampler", "dpmpp-2m", "--steps", "12", "--no-clip"),
        reference("dpmpp", 5, 1, "dpmpp-2m", 12, "logsnr", 0, "posterior", false));
    assertClose(cli("heun", "--n", "5", "--seed", "2", "--sampler", "heun", "--steps", "6"),
        reference("heun", 5, 2, "heun", 6, "karras", 0, "posterior", true));
    assertClose(cli("euler", "--n", "5", "--seed", "2", "--sampler", "euler", "--steps", "7", "--spacing", "leading"),
        reference("euler", 5, 2, "euler", 7, "leading", 0, "posterior", true));
    assertClose(cli("default", "--n", "6", "--steps", "16"),
        reference("default", 6, 0, "ddim", 16, "trailing", 0, "posterior", true));
  }

  @Test
  void theSameSeedGivesTheSameImagesAtAnyBatch() throws Exception {
    double[] a = cli("batch-10", "--n", "10", "--batch", "10", "--seed", "5", "--sampler", "ddpm", "--steps", "20");
    double[] b = cli("batch-3", "--n", "10", "--batch", "3", "--seed", "5", "--sampler", "ddpm", "--steps", "20");
    double[] c = cli("seed-6", "--n", "10", "--batch", "3", "--seed", "6", "--sampler", "ddpm", "--steps", "20");
    assertThat(b).containsExactly(a);
    assertThat(c).isNotEqualTo(a);
  }

  @Test
  void writesSamplesAndGridAndReportsProgress(@TempDir Path tmp) throws Exception {
    var r = WeightsCommandTest.run("sample", model.toString(), "--n", "10", "--batch", "4", "--steps", "20",
        "--sampler", "heun", "--out", tmp.resolve("out").toString());
    assertThat(r.exit()).as(r.err()).isZero();
    NpyArray a = Npy.read(tmp.resolve("out/samples.npy"));
    assertThat(a.shape()).containsExactly(10, 1, 2, 2);
    assertThat(Files.size(tmp.resolve("out/grid.png"))).isGreaterThan(50);
    assertThat(r.out()).contains("heun (karras spacing): 20 steps, t = 99 .. 0, 39 network evaluations per image")
        .contains("sampling 10 images: 117/117").contains("images/s");
  }

  @Test
  void badSettingsAreOneLineNamingTheOption(@TempDir Path tmp) throws Exception {
    double[] betas = new double[50];
    for (int i = 0; i < 50; i++) {
      betas[i] = i == 49 ? 1 : 1e-3 + 0.1 * i / 49;
    }
    NoiseSchedule zero = NoiseSchedule.fromBetas(betas);
    Path ztsnr = tmp.resolve("ztsnr.onnx");
    OnnxGraphBuilder.write(GaussianOracle.model(zero, 0.5, SHAPE, GaussianOracle.metadata(zero, SHAPE)), ztsnr);
    String[][] cases = {
        {"--sampler", "euler", "--eta", "0.5"}, {"--eta: only sampler ddim takes eta, not euler"},
        {"--sampler", "ddim", "--variance", "beta"}, {"--variance: only sampler ddpm takes variance, not ddim"},
        {"--sampler", "ddpm", "--variance", "large"}, {"--variance: 'large' is not one of posterior, beta"},
        {"--sampler", "unipc"}, {"--sampler: 'unipc' is not one of ddpm, ddim, euler, heun, dpmpp-2m"},
        {"--spacing", "cosine"}, {"--spacing: 'cosine' is not one of trailing, linspace, leading, karras, logsnr"},
        {"--sampler", "ddim", "--eta", "1.5"}, {"--eta: must be in [0, 1], got 1.5"},
        {"--steps", "0"}, {"--steps: must be >= 1, got 0"},
    };
    for (int i = 0; i < cases.length; i += 2) {
      List<String> args = new ArrayList<>(List.of("sample", model.toString(), "--out", tmp.resolve("x").toString()));
      args.addAll(List.of(cases[i]));
      var r = WeightsCommandTest.run(args.toArray(String[]::new));
      assertThat(r.exit()).as(String.join(" ", cases[i])).isEqualTo(2);
      assertThat(r.err().trim()).isEqualTo("error: " + cases[i + 1][0]);
    }
    var r = WeightsCommandTest.run("sample", ztsnr.toString(), "--sampler", "dpmpp-2m", "--out",
        tmp.resolve("y").toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().trim()).isEqualTo("error: --spacing: " + ztsnr + ": spacing logsnr needs a finite sigma at t = T-1,"
        + " but this model has zero terminal SNR (alphabar[T-1] = 0); use trailing, linspace or leading");
    var missing = WeightsCommandTest.run("sample", tmp.resolve("none.onnx").toString());
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("none.onnx: no such model file");
  }
}
