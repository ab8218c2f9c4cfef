package dev.jdiffusion.sampling.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.TensorProto;
import dev.jdiffusion.core.model.ModelMetadata;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sampling a zero-terminal-SNR model (Lin et al. 2024). The denoisers are the exact ones for Gaussian data
 * {@code x0 ~ N(0, s^2)} (as in {@link SamplerTest}): with {@code d = alphabar s^2 + sigma^2},
 * {@code E[x0 | x_t] = sqrt(alphabar) s^2 / d x_t} and {@code E[eps | x_t] = sigma / d x_t}, so the
 * v-model outputs {@code sqrt(alphabar) sigma (1 - s^2) / d x_t} and the x0-model
 * {@code sqrt(alphabar) s^2 / d x_t}. At the terminal step (alphabar = 0) their estimate coefficients
 * are finite, and DDPM and DDIM must give finite samples of the variance that the update rules,
 * propagated here as one number per step, predict (2000 images of 16 pixels: the sample variance has a
 * relative standard error of 0.8%; the tolerance is 3%). The eps-model's
 * x0 estimate there is {@code (x_t - eps_hat) / 0}: its samples are not finite, which is why
 * eps-prediction with zero terminal SNR is refused when a configuration is read.
 */
class ZeroTerminalSnrSamplingTest {
  static final double S = 0.5;
  static final ImageShape SHAPE = new ImageShape(1, 4, 4);
  static NoiseSchedule zero;
  static Path vModel;
  static Path x0Model;
  static Path epsModel;

  @BeforeAll
  static void writeOracles(@TempDir Path dir) throws Exception {
    double[] alphabar = new double[1000];
    double p = 1;
    for (int i = 0; i < 1000; i++) {
      p *= 1 - (1e-4 + (0.02 - 1e-4) * i / 999);
      alphabar[i] = p;
    }
    // Lin et al. 2024, Algorithm 1: shift sqrt(alphabar) to end at 0, scale to keep the first value.
    double first = Math.sqrt(alphabar[0]);
    double last = Math.sqrt(alphabar[999]);
    double[] rescaled = new double[1000];
    for (int t = 0; t < 1000; t++) {
      double r = (Math.sqrt(alphabar[t]) - last) * first / (first - last);
      rescaled[t] = r * r;
    }
    rescaled[999] = 0;
    zero = NoiseSchedule.fromAlphabar(rescaled);
    vModel = write(dir, "v");
    x0Model = write(dir, "x0");
    epsModel = write(dir, "eps");
  }

  /** The oracle's output per unit x_t, and its estimate coefficients, for one parameterization. */
  static double[] row(String param, int t) {
    double a = zero.alphabar(t);
    double root = Math.sqrt(a);
    double sigma = Math.sqrt(zero.sigma2(t));
    double d = a * S * S + sigma * sigma;
    return switch (param) {
      // {output coefficient, x0FromXt, x0FromOutput, epsFromXt, epsFromOutput}
      case "v" -> new double[] {root * sigma * (1 - S * S) / d, root, -sigma, sigma, root};
      case "x0" -> new double[] {root * S * S / d, 0, 1, 1 / sigma, -root / sigma};
      default -> new double[] {sigma / d, 1 / root, -sigma / root, 0, 1};
    };
  }

  static Path write(Path dir, String param) throws Exception {
    float[] k = new float[1000];
    double[][] coefficients = new double[4][1000];
    for (int t = 0; t < 1000; t++) {
      double[] r = row(param, t);
      k[t] = (float) r[0];
      for (int j = 0; j < 4; j++) {
        coefficients[j][t] = r[j + 1];
      }
    }
    OnnxGraphBuilder g = new OnnxGraphBuilder("gaussian_oracle_" + param);
    g.input("x", TensorProto.DataType.FLOAT, -1, 1, 4, 4);
    g.input("t", TensorProto.DataType.INT64, -1);
    String table = g.floats("k_table", k, 1000);
    String kt = g.node("Gather", new String[] {table, "t"}, "axis", 0L);
    String k4 = g.node("Reshape", new String[] {kt, g.longs("shape", -1, 1, 1, 1)});
    g.nodeInto("Mul", new String[] {"x", k4}, param);
    g.output(param, TensorProto.DataType.FLOAT, -1, 1, 4, 4);
    g.metadata(new ModelMetadata("test", param, zero.alphabars(), coefficients,
        "{\"name\":\"linear\",\"zeroTerminalSnr\":true}", SHAPE, -1, 1, "{\"name\":\"uniform\",\"space\":\"v\"}",
        "{\"name\":\"gaussian\"}", 0, "exact").toProperties());
    Path file = dir.resolve(param + ".onnx");
    OnnxGraphBuilder.write(g.build("test"), file);
    return file;
  }

  /**
   * The variance after the chain, from Var(x_T) = 1 and Var(x_prev) = c^2 Var(x_t) + noise^2, with the
   * x0 and eps estimates linear in x_t (Ho et al. 2020, algorithm 2; Song et al. 2021, eq. 12).
   */
  static double chainVariance(String param, int steps, boolean ddim) {
    int[] ts = new int[steps];
    for (int j = 0; j < steps; j++) {
      ts[j] = (int) Math.round(1000 - j * 1000.0 / steps) - 1;
    }
    double v = 1;
    for (int j = 0; j < steps; j++) {
      int t = ts[j];
      boolean lastStep = j + 1 == steps;
      double a = zero.alphabar(t);
      double ap = lastStep ? 1 : zero.alphabar(ts[j + 1]);
      double[] r = row(param, t);
      double x0 = r[1] + r[2] * r[0];
      double eps = r[3] + r[4] * r[0];
      double c;
      double noise = 0;
      if (ddim) {
        c = Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps;
      } else {
        double beta = 1 - a / ap;
        c = Math.sqrt(ap) * beta / (1 - a) * x0 + Math.sqrt(a / ap) * (1 - ap) / (1 - a);
        noise = lastStep ? 0 : beta * (1 - ap) / (1 - a);
      }
      v = c * c * v + noise;
    }
    return v;
  }

  static double variance(float[] x) {
    double sum = 0;
    double sq = 0;
    for (float v : x) {
      assertThat(Float.isFinite(v)).as("every sample value is finite").isTrue();
      sum += v;
      sq += (double) v * v;
    }
    double mean = sum / x.length;
    return sq / x.length - mean * mean;
  }

  @Test
  void theEstimatesOfVAndX0AreFiniteAtTheTerminalStep() {
    for (String p : new String[] {"v", "x0"}) {
      for (double c : row(p, 999)) {
        assertThat(c).as(p).isFinite();
      }
    }
    // v at SNR = 0: x0_hat = -v_hat, eps_hat = x_t.
    assertThat(row("v", 999)).containsExactly(0, 0, -1, 1, 0);
  }

  /** 250 DDPM steps land at 0.2360 (numpy, the same recursion), within 6% of s^2 = 0.25. */
  @Test
  void ddpmFromAVModelHasTheVarianceOfItsChain() throws Exception {
    double expected = chainVariance("v", 250, false);
    assertThat(expected).isCloseTo(S * S, within(0.06 * S * S));
    try (OnnxDenoiser d = OnnxDenoiser.open(vModel, 2)) {
      float[] x = new DdpmSampler(250, DdpmSampler.Variance.POSTERIOR, false).sample(d, 2000, 7, k -> { });
      assertThat(variance(x)).isCloseTo(expected, within(0.03 * expected));
    }
  }

  @Test
  void ddimAndRespacedDdpmFromVAndX0ModelsAreFinite() throws Exception {
    for (Path model : new Path[] {vModel, x0Model}) {
      String param = model == vModel ? "v" : "x0";
      try (OnnxDenoiser d = OnnxDenoiser.open(model, 2)) {
        double ddim = chainVariance(param, 50, true);
        float[] x = new DdimSampler(50, 0, false).sample(d, 2000, 7, k -> { });
        assertThat(variance(x)).as("%s, DDIM 50", param).isCloseTo(ddim, within(0.03 * ddim));
        double ddpm = chainVariance(param, 100, false);
        float[] y = new DdpmSampler(100, DdpmSampler.Variance.POSTERIOR, false).sample(d, 2000, 7, k -> { });
        assertThat(variance(y)).as("%s, DDPM 100", param).isCloseTo(ddpm, within(0.03 * ddpm));
        // Clipping x0_hat recomputes eps_hat = (x_t - sqrt(alphabar) x0_hat) / sigma: sigma = 1 at SNR = 0.
        variance(new DdimSampler(20, 1, true).sample(d, 200, 7, k -> { }));
      }
    }
  }

  @Test
  void anEpsModelGivesNonFiniteSamples() throws Exception {
    try (OnnxDenoiser d = OnnxDenoiser.open(epsModel, 2)) {
      float[] x = new DdimSampler(10, 0, false).sample(d, 4, 7, k -> { });
      boolean anyNonFinite = false;
      for (float v : x) {
        anyNonFinite |= !Float.isFinite(v);
      }
      assertThat(anyNonFinite).isTrue();
    }
  }
}
