package dev.jdiffusion.sampling.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.exporter.onnx.GaussianOracle;
import dev.jdiffusion.exporter.onnx.OnnxGraphBuilder;
import dev.jdiffusion.sampling.OnnxDenoiser;
import dev.jdiffusion.spi.dataset.ImageShape;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Samplers driven by the exact denoiser of Gaussian data N(0, s^2). Every step is then linear in x, so
 * the variance the sampler must produce can be computed exactly by propagating one number through the
 * chain ({@link #chainVariance}, written here from the papers' update rules as a recursion, not by
 * sampling); the long chains must also land near s^2. 2000 images of 16 pixels give 32000 values, so the
 * sample variance has a relative standard error of sqrt(2/32000) = 0.8%: the tolerance is 3%. (DDPM's
 * chains, with a non-zero data mean, are in {@link ConvergenceTest}; every sampler step by step against numpy
 * in {@link ReferenceSamplersTest}.)
 */
class SamplerTest {
  static final double S = 0.5;
  static final ImageShape SHAPE = new ImageShape(1, 4, 4);
  static Path model;

  @BeforeAll
  static void writeOracle(@TempDir Path dir) throws Exception {
    double[] betas = new double[1000];
    for (int i = 0; i < 1000; i++) {
      betas[i] = 1e-4 + (0.02 - 1e-4) * i / 999;
    }
    NoiseSchedule linear = NoiseSchedule.fromBetas(betas);
    model = dir.resolve("oracle.onnx");
    SamplerTest.linear = linear;
    OnnxGraphBuilder.write(GaussianOracle.model(linear, S, SHAPE, GaussianOracle.metadata(linear, SHAPE)), model);
  }

  static double[] meanAndVariance(float[] x) {
    double sum = 0;
    double sq = 0;
    for (float v : x) {
      sum += v;
      sq += (double) v * v;
    }
    double mean = sum / x.length;
    return new double[] {mean, sq / x.length - mean * mean};
  }

  static NoiseSchedule linear;

  /**
   * The variance after the chain, from Var(x_T) = 1 and Var(x_prev) = c^2 Var(x_t) + s_step^2, where
   * x0_hat = (x_t - sigma k x_t) / sqrt(ab) and eps_hat = k x_t with k the oracle's coefficient.
   */
  static double chainVariance(int steps, boolean ddim, double eta, boolean betaVariance) {
    int[] ts = new int[steps];
    for (int j = 0; j < steps; j++) {
      ts[j] = (int) Math.rint(1000 - j * 1000.0 / steps) - 1;
    }
    double v = 1;
    for (int j = 0; j < steps; j++) {
      int t = ts[j];
      boolean last = j + 1 == steps;
      double a = linear.alphabar(t);
      double ap = last ? 1 : linear.alphabar(ts[j + 1]);
      double k = GaussianOracle.coefficient(linear, t, S);
      double x0 = (1 - Math.sqrt(1 - a) * k) / Math.sqrt(a);
      double c;
      double noise;
      if (ddim) {
        double s = last ? 0 : eta * Math.sqrt((1 - ap) / (1 - a)) * Math.sqrt(1 - a / ap);
        c = Math.sqrt(ap) * x0 + Math.sqrt(1 - ap - s * s) * k;
        noise = s * s;
      } else {
        double alpha = a / ap;
        double beta = 1 - alpha;
        c = Math.sqrt(ap) * beta / (1 - a) * x0 + Math.sqrt(alpha) * (1 - ap) / (1 - a);
        noise = last ? 0 : betaVariance ? beta : beta * (1 - ap) / (1 - a);
      }
      v = c * c * v + noise;
    }
    return v;
  }

  void assertGaussian(Sampler sampler, int expectedSteps, double expectedVariance) throws Exception {
    try (OnnxDenoiser d = OnnxDenoiser.open(model, 2)) {
      AtomicInteger steps = new AtomicInteger();
      float[] x = sampler.sample(d, 2000, 7, steps::set);
      assertThat(steps.get()).isEqualTo(expectedSteps);
      double[] mv = meanAndVariance(x);
      assertThat(mv[0]).as("mean").isCloseTo(0, within(0.02));
      assertThat(mv[1]).as("variance").isCloseTo(expectedVariance, within(0.03 * expectedVariance));
    }
  }

  @Test
  void ddimDeterministicAndStochastic() throws Exception {
    double full = chainVariance(1000, true, 0, false);
    assertThat(full).isCloseTo(S * S, within(0.01 * S * S));
    assertGaussian(new DdimSampler(50, 0, false), 50, chainVariance(50, true, 0, false));
    assertGaussian(new DdimSampler(100, 1, false), 100, chainVariance(100, true, 1, false));
  }

  @Test
  void sameSeedSameImages() throws Exception {
    try (OnnxDenoiser d = OnnxDenoiser.open(model, 2)) {
      float[] a = new DdimSampler(20, 0.5, true).sample(d, 8, 3, k -> { });
      float[] b = new DdimSampler(20, 0.5, true).sample(d, 8, 3, k -> { });
      float[] c = new DdimSampler(20, 0.5, true).sample(d, 8, 4, k -> { });
      assertThat(a).containsExactly(b);
      assertThat(a).isNotEqualTo(c);
      for (float v : a) {
        assertThat(v).isBetween(-1f, 1f); // clipped x0 at the last step
      }
    }
  }

}
