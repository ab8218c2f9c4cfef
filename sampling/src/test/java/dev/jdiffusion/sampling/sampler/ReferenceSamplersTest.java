package dev.jdiffusion.sampling.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.sampling.io.Npy;
import dev.jdiffusion.sampling.io.NpyArray;
import dev.jdiffusion.spi.dataset.ImageShape;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every sampler, step by step, against {@code reference_samplers.py}: an independent numpy implementation
 * written from the papers' equations (Ho et al. 2020; Song et al. 2021; Karras et al. 2022; Lu et al. 2022),
 * run as a child process (Debian's python3-numpy, which CI installs). Both sides get the same injected noise;
 * the Java sampler runs the exact denoiser of N(mu, s^2) data as an ONNX model in ONNX Runtime, predicting
 * eps, x0 or v, and every network call it makes (its timestep and its input) is recorded and compared with the
 * reference's, then the output. A wrong timestep, coefficient or sign changes a call's input by far more than
 * float32 rounding; the tolerance is 2e-5 (1 + |x|).
 */
class ReferenceSamplersTest {
  static final double TOLERANCE = 2e-5;
  static final ImageShape SHAPE = new ImageShape(1, 2, 3);
  static final int IMAGES = 5;

  static double[] zeroTerminalSnr() {
    double[] ab = GaussianData.linear(1000);
    ab[999] = 0;
    return ab;
  }

  static Stream<Arguments> cases() {
    String linear = "linear T=1000";
    String short200 = "linear T=200";
    String ztsnr = "linear T=1000 with zero terminal SNR";
    return Stream.of(
        // sampler, steps, spacing, eta, variance, clip, parameterization, table
        Arguments.of("ddpm", 10, "trailing", null, "posterior", true, "eps", linear),
        Arguments.of("ddpm", 7, "linspace", null, "beta", false, "v", linear),
        Arguments.of("ddpm", 6, "karras", null, "posterior", true, "x0", short200),
        Arguments.of("ddpm", 200, "trailing", null, "posterior", false, "eps", short200),
        Arguments.of("ddpm", 8, "trailing", null, "beta", false, "v", ztsnr),
        Arguments.of("ddim", 16, "trailing", 0.0, null, true, "eps", linear),
        Arguments.of("ddim", 8, "leading", 0.5, null, true, "v", linear),
        Arguments.of("ddim", 6, "logsnr", 1.0, null, false, "x0", short200),
        Arguments.of("ddim", 9, "trailing", 0.3, null, true, "v", ztsnr),
        Arguments.of("euler", 10, "karras", null, null, true, "eps", linear),
        Arguments.of("euler", 5, "trailing", null, null, false, "v", short200),
        Arguments.of("heun", 6, "karras", null, null, true, "x0", linear),
        Arguments.of("heun", 5, "logsnr", null, null, false, "eps", short200),
        Arguments.of("heun", 90, "karras", null, null, false, "v", linear),
        Arguments.of("dpmpp-2m", 12, "logsnr", null, null, true, "v", linear),
        Arguments.of("dpmpp-2m", 9, "karras", null, null, false, "eps", linear),
        Arguments.of("dpmpp-2m", 10, "trailing", null, null, true, "x0", short200),
        Arguments.of("dpmpp-2m", 40, "logsnr", null, null, false, "eps", linear),
        Arguments.of("dpmpp-2m", 7, "leading", null, null, true, "v", ztsnr));
  }

  /** A denoiser that records every call. */
  static final class Recorder implements Denoiser {
    final Denoiser inner;
    final List<float[]> inputs = new ArrayList<>();
    final List<Long> timesteps = new ArrayList<>();

    Recorder(Denoiser inner) {
      this.inner = inner;
    }

    @Override
    public ModelMetadata metadata() {
      return inner.metadata();
    }

    @Override
    public float[] predict(float[] x, long[] t) throws ai.onnxruntime.OrtException {
      inputs.add(x.clone());
      for (long ti : t) {
        assertThat(ti).isEqualTo(t[0]);
      }
      timesteps.add(t[0]);
      return inner.predict(x, t);
    }
  }

  static double[] table(String name) {
    return switch (name) {
      case "linear T=1000" -> GaussianData.linear(1000);
      case "linear T=200" -> GaussianData.linear(200);
      case "linear T=1000 with zero terminal SNR" -> zeroTerminalSnr();
      default -> throw new IllegalArgumentException(name);
    };
  }

  @ParameterizedTest(name = "{0} {1} steps, {2}, eta {3}, variance {4}, clip {5}, {6}, {7}")
  @MethodSource("cases")
  void matchesTheNumpyReference(String name, int steps, String spacing, Double eta, String variance, boolean clip,
      String parameterization, String tableName, @TempDir Path dir) throws Exception {
    double[] alphabar = table(tableName);
    double mu = 0.3;
    double s = 0.5;
    double lo = -0.4;   // a narrow pixel range, so that clipping happens often when it is on
    double hi = 0.9;
    GaussianData data = new GaussianData(alphabar, mu, s, parameterization, SHAPE, lo, hi);
    Path model = data.writeOnnx(dir.resolve("oracle.onnx"));
    SamplerOptions options = new SamplerOptions(steps, Spacing.parse(spacing), eta,
        variance == null ? null : DdpmSampler.Variance.parse(variance), clip);
    Sampler sampler = Samplers.create(name, options);

    int draws = steps + 1;
    int size = SHAPE.size();
    double[] noise = new double[draws * IMAGES * size];
    SplittableRandom random = new SplittableRandom(steps * 31L + name.hashCode());
    for (int i = 0; i < noise.length; i++) {
      noise[i] = random.nextGaussian();
    }
    Noise table = (image, draw, out, offset, length) ->
        System.arraycopy(noise, (draw * IMAGES + (int) image) * size, out, offset, length);

    float[] out;
    Recorder recorder;
    try (OnnxDenoiser onnx = OnnxDenoiser.open(model, 1)) {
      recorder = new Recorder(onnx);
      out = sampler.sample(recorder, table, 0, IMAGES, k -> { });
    }

    Path in = dir.resolve("in.npz");
    Npy.writeNpz(in, Map.of("alphabar", NpyArray.float64(alphabar, alphabar.length),
        "noise", NpyArray.float64(noise, draws, IMAGES, size)));
    Path result = dir.resolve("out.npz");
    run(in.toString(), result.toString(), name, Integer.toString(steps), spacing,
        Double.toString(eta == null ? 0 : eta), variance == null ? "posterior" : variance, Boolean.toString(clip),
        Double.toString(lo), Double.toString(hi), Double.toString(mu), Double.toString(s));
    Map<String, NpyArray> reference = Npy.readNpz(result);

    long[] ts = toLongs(reference.get("calls_t").data());
    assertThat(recorder.timesteps).as("the timesteps of the network calls").containsExactly(boxed(ts));
    assertThat(recorder.inputs).hasSize(ts.length).hasSize(sampler.steps(alphabar.length)
        - (name.equals("heun") && alphabar[alphabar.length - 1] == 0 ? 1 : 0));
    double[] calls = reference.get("calls_x").data();
    for (int k = 0; k < ts.length; k++) {
      float[] x = recorder.inputs.get(k);
      for (int i = 0; i < x.length; i++) {
        double expected = calls[k * x.length + i];
        assertThat(Math.abs(x[i] - expected)).as("call %d (t = %d), value %d: java %s, numpy %s", k, ts[k], i, x[i],
            expected).isLessThanOrEqualTo(TOLERANCE * (1 + Math.abs(expected)));
      }
    }
    double[] expected = reference.get("out").data();
    assertThat(out).hasSize(expected.length);
    boolean clipped = false;
    for (int i = 0; i < out.length; i++) {
      assertThat(Math.abs(out[i] - expected[i])).as("output %d: java %s, numpy %s", i, out[i], expected[i])
          .isLessThanOrEqualTo(TOLERANCE * (1 + Math.abs(expected[i])));
      clipped |= expected[i] <= lo + 1e-9 || expected[i] >= hi - 1e-9;
    }
    if (clip && !name.equals("ddpm")) {
      assertThat(clipped).as("the case exercises clipping").isTrue();
    }
  }

  /** Runs reference_samplers.py with these arguments; returns its output, failing on a non-zero exit. */
  static String run(String... args) throws Exception {
    Path script = Path.of(ReferenceSamplersTest.class.getResource("reference_samplers.py").toURI());
    List<String> cmd = new ArrayList<>(List.of(script.toString()));
    cmd.addAll(List.of(args));
    return runPython(cmd.toArray(String[]::new));
  }

  /** Runs python3 with these arguments; returns its output, failing on a non-zero exit. */
  static String runPython(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(interpreter()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    return output;
  }

  static String interpreter() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }

  private static long[] toLongs(double[] values) {
    long[] out = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (long) values[i];
    }
    return out;
  }

  private static Long[] boxed(long[] values) {
    Long[] out = new Long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
