package dev.jdiffusion.sampling.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.spi.dataset.ImageShape;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Every sampler on the exact denoiser of non-zero-mean Gaussian data, N(mu = 0.3, s = 0.25) per pixel.
 *
 * <p>For this denoiser a deterministic sampler (DDIM with eta = 0, Euler, Heun, DPM-Solver++(2M), without
 * clipping) is an affine map of each pixel, {@code out = A x_T + B}, so from x_T ~ N(0, 1) its output is exactly
 * N(B, A^2): the test reads A and B from two probe images (x_T = 0 and 1) and so measures the output's mean
 * and variance with no Monte Carlo error. The limit they must converge to is closed form
 * ({@link GaussianData#odeLimit}: the exact flow between the Gaussian marginals, then the final denoising).
 * The order is measured on a table whose sigmas are log-uniform (0.01 to 100, T = 10000), where every grid
 * snaps to the table almost exactly; the linear schedule (T = 1000) gives the numbers a user sees. Seeded
 * Monte Carlo checks the same figures on real noise, and the stochastic samplers (DDPM, DDIM with eta = 1)
 * against their mean and variance propagated through the chain from the papers' update rules.
 */
class ConvergenceTest {
  static final double MU = 0.3;
  static final double S = 0.25;
  static final ImageShape PIXEL = new ImageShape(1, 1, 1);

  /** x_T = 0 for image 0 and 1 for image 1. */
  static final Noise PROBE = (image, draw, out, offset, length) -> {
    for (int i = 0; i < length; i++) {
      out[offset + i] = draw == 0 ? image : 0;
    }
  };

  static GaussianData data(double[] alphabar) {
    return new GaussianData(alphabar, MU, S, "eps", PIXEL, -1, 1);
  }

  /** {A, B} of a deterministic sampler's affine map. */
  static double[] affine(GaussianData data, Sampler sampler) throws Exception {
    float[] out = sampler.sample(data.denoiser(), PROBE, 0, 2, k -> { });
    return new double[] {(double) out[1] - out[0], out[0]};
  }

  /** Relative variance error and mean error of {@code sampler} against the ODE limit of its grid. */
  static double[] errors(GaussianData data, Sampler sampler) throws Exception {
    double[] ab = affine(data, sampler);
    int[] ts = sampler.timesteps(data.metadata());
    double[] limit = data.odeLimit(ts[0], ts[ts.length - 1]);
    return new double[] {ab[0] * ab[0] / (limit[0] * limit[0]) - 1, ab[1] - limit[1]};
  }

  static Sampler make(String name, int steps, Spacing spacing) {
    return Samplers.create(name, SamplerOptions.of(steps).withSpacing(spacing).withClipX0(false));
  }

  void assertOrder(String name, Spacing spacing, double ratio, double tolerance) throws Exception {
    GaussianData data = data(GaussianData.logUniformSigma(10_000, 0.01, 100));
    int[] steps = {10, 20, 40, 80, 160};
    double[][] e = new double[steps.length][];
    StringBuilder line = new StringBuilder(name + " on " + spacing + ":");
    for (int i = 0; i < steps.length; i++) {
      e[i] = errors(data, make(name, steps[i], spacing));
      line.append(String.format(Locale.ROOT, "  %d: var %+.3e mean %+.2e", steps[i], e[i][0], e[i][1]));
      if (i > 0) {
        line.append(String.format(Locale.ROOT, " (x%.2f)", e[i - 1][0] / e[i][0]));
      }
    }
    System.out.println(line);
    for (int i = 3; i < steps.length; i++) {
      assertThat(e[i - 1][0] / e[i][0]).as(line + "\nvariance error ratio " + steps[i - 1] + " -> " + steps[i])
          .isCloseTo(ratio, within(tolerance));
    }
    // the mean error shrinks too, at the same rate while it is well above float32 rounding (~1e-6)
    assertThat(e[2][1] / e[3][1]).as(line + "\nmean error ratio 40 -> 80").isCloseTo(ratio, within(tolerance));
    assertThat(Math.abs(e[4][1])).isLessThan(Math.abs(e[3][1]));
  }

  @Test
  void eulerAndDdimAreFirstOrder() throws Exception {
    assertOrder("euler", Spacing.KARRAS, 2, 0.2);
    assertOrder("euler", Spacing.LOGSNR, 2, 0.2);
    assertOrder("ddim", Spacing.LOGSNR, 2, 0.2);
  }

  @Test
  void heunIsSecondOrder() throws Exception {
    assertOrder("heun", Spacing.KARRAS, 4, 0.6);
    assertOrder("heun", Spacing.LOGSNR, 4, 0.6);
  }

  @Test
  void dpmSolverPlusPlus2mIsSecondOrder() throws Exception {
    assertOrder("dpmpp-2m", Spacing.KARRAS, 4, 0.6);
    assertOrder("dpmpp-2m", Spacing.LOGSNR, 4, 0.6);
  }

  @Test
  void eulerIsDeterministicDdimOnTheSameGrid() throws Exception {
    GaussianData data = data(GaussianData.linear(1000));
    for (Spacing spacing : Spacing.values()) {
      double[] euler = affine(data, make("euler", 12, spacing));
      double[] ddim = affine(data, make("ddim", 12, spacing));
      assertThat(euler[0]).as(spacing.id()).isCloseTo(ddim[0], within(1e-5 * Math.abs(ddim[0])));
      assertThat(euler[1]).as(spacing.id()).isCloseTo(ddim[1], within(1e-5));
    }
  }

  /**
   * On a v-prediction model with zero terminal SNR (sigma = infinity at T-1) the ODE samplers take their first
   * step in its limit form: finite samples, Euler still equal to DDIM, Heun one evaluation fewer; and they still
   * converge to the data (the flow from T-1 is then exact from pure noise).
   */
  @Test
  void zeroTerminalSnrOdeSamplers() throws Exception {
    double[] ab = GaussianData.linear(1000);
    ab[999] = 0;
    GaussianData data = new GaussianData(ab, MU, S, "v", PIXEL, -1, 1);
    for (Spacing spacing : new Spacing[] {Spacing.TRAILING, Spacing.LINSPACE}) {
      double[] euler = affine(data, make("euler", 30, spacing));
      double[] ddim = affine(data, make("ddim", 30, spacing));
      assertThat(euler[0]).isCloseTo(ddim[0], within(1e-5 * Math.abs(ddim[0])));
      assertThat(euler[1]).isCloseTo(ddim[1], within(1e-5));
      int[] calls = {0};
      Sampler heun = make("heun", 30, spacing);
      float[] out = heun.sample(data.denoiser(), PROBE, 0, 2, k -> calls[0] = k);
      assertThat(calls[0]).isEqualTo(58).isEqualTo(heun.evaluations(data.metadata()));
      assertThat(out[0]).isFinite();
      assertThat(out[1]).isFinite();
    }
    for (String name : new String[] {"heun", "dpmpp-2m"}) {
      double[] e = errors(data, make(name, 200, Spacing.TRAILING));
      assertThat(e[0]).as(name + " variance").isCloseTo(0, within(0.01));
      assertThat(e[1]).as(name + " mean").isCloseTo(0, within(1e-3));
    }
  }

  /** What a user of the linear schedule gets per network evaluation, each sampler on its default grid. */
  @Test
  void linearScheduleAtFewEvaluations() throws Exception {
    GaussianData data = data(GaussianData.linear(1000));
    StringBuilder table = new StringBuilder("variance / s^2 and mean - mu by network evaluations, linear schedule:\n");
    for (String name : Samplers.names()) {
      if (name.equals("ddpm")) {
        continue;
      }
      table.append(String.format(Locale.ROOT, "%-9s", name));
      for (int nfe : new int[] {5, 10, 20, 50}) {
        int steps = name.equals("heun") ? (nfe + 1) / 2 : nfe;
        Sampler sampler = Samplers.create(name, SamplerOptions.of(steps).withClipX0(false));
        double[] ab = affine(data, sampler);
        table.append(String.format(Locale.ROOT, " | %2d: %.3f %+.4f", sampler.steps(1000), ab[0] * ab[0] / (S * S),
            ab[1] - MU));
      }
      table.append('\n');
    }
    System.out.print(table);
    double[] dpm = affine(data, Samplers.create("dpmpp-2m", SamplerOptions.of(20).withClipX0(false)));
    assertThat(dpm[0] * dpm[0]).as(table.toString()).isCloseTo(S * S, within(0.05 * S * S));
    assertThat(dpm[1]).isCloseTo(MU, within(0.01));
  }

  /** The same claim with real noise: 4000 images of 16 pixels (relative standard error of the variance 0.56%). */
  @Test
  void dpmSolverPlusPlus2mAt20StepsWithSeededNoise() throws Exception {
    GaussianData data = new GaussianData(GaussianData.linear(1000), MU, S, "eps", new ImageShape(1, 4, 4), -1, 1);
    Sampler sampler = Samplers.create("dpmpp-2m", SamplerOptions.of(20).withClipX0(false));
    float[] x = sampler.sample(data.denoiser(), 4000, 11, k -> { });
    double[] mv = meanAndVariance(x);
    assertThat(mv[1]).as("variance").isCloseTo(S * S, within(0.05 * S * S));
    assertThat(mv[0]).as("mean").isCloseTo(MU, within(4 * S / Math.sqrt(x.length)));
    double[] exact = affine(data(GaussianData.linear(1000)), sampler);
    assertThat(mv[1]).as("variance against A^2").isCloseTo(exact[0] * exact[0], within(0.025 * S * S));
  }

  static double[] meanAndVariance(float[] x) {
    double sum = 0;
    for (float v : x) {
      sum += v;
    }
    double mean = sum / x.length;
    double sq = 0;
    for (float v : x) {
      sq += (v - mean) * (v - mean);
    }
    return new double[] {mean, sq / x.length};
  }

  /**
   * Mean and variance after a DDPM or DDIM chain, propagated step by step: each update is
   * {@code x' = cX0 x0_hat + cXt x_t + std z} with {@code x0_hat = mu + g (x_t - sqrt(ab) mu)}, so
   * {@code m' = cX0 (mu + g (m - sqrt(ab) mu)) + cXt m} and {@code v' = (cX0 g + cXt)^2 v + std^2}.
   */
  static double[] chain(GaussianData data, int[] ts, String sampler, double eta, boolean betaVariance) {
    double m = 0;
    double v = 1;
    for (int k = 0; k < ts.length; k++) {
      int t = ts[k];
      double a = data.alphabar()[t];
      double ap = k + 1 < ts.length ? data.alphabar()[ts[k + 1]] : 1;
      double g = data.gain(t);
      double cX0;
      double cXt;
      double var;
      if (sampler.equals("ddpm")) {
        double beta = 1 - a / ap;
        cX0 = Math.sqrt(ap) * beta / (1 - a);
        cXt = Math.sqrt(1 - beta) * (1 - ap) / (1 - a);
        var = k + 1 == ts.length ? 0 : betaVariance ? beta : beta * (1 - ap) / (1 - a);
      } else {
        // DDIM: x' = sqrt(ap) x0 + dir (x - sqrt(a) x0) / sqrt(1 - a) + sd z
        double sd = eta * Math.sqrt((1 - ap) / (1 - a)) * Math.sqrt(1 - a / ap);
        double dir = Math.sqrt(1 - ap - sd * sd) / Math.sqrt(1 - a);
        cX0 = Math.sqrt(ap) - dir * Math.sqrt(a);
        cXt = dir;
        var = sd * sd;
      }
      double x0Mean = MU + g * (m - Math.sqrt(a) * MU);
      m = cX0 * x0Mean + cXt * m;
      v = Math.pow(cX0 * g + cXt, 2) * v + var;
    }
    return new double[] {m, v};
  }

  @Test
  void stochasticSamplersMatchTheirChainAndConverge() throws Exception {
    GaussianData data = new GaussianData(GaussianData.linear(1000), MU, S, "eps", new ImageShape(1, 4, 4), -1, 1);
    StringBuilder report = new StringBuilder("stochastic samplers, variance / s^2 (chain; sampled):\n");
    Object[][] cases = {{"ddpm", 0.0, false}, {"ddpm", 0.0, true}, {"ddim", 1.0, false}};
    for (Object[] c : cases) {
      String name = (String) c[0];
      double eta = (double) c[1];
      boolean beta = (boolean) c[2];
      double previous = Double.POSITIVE_INFINITY;
      report.append(String.format(Locale.ROOT, "%s%s:", name, name.equals("ddim") ? " eta=1" : beta ? " beta" : ""));
      for (int steps : new int[] {10, 50, 250, 1000}) {
        SamplerOptions o = SamplerOptions.of(steps).withClipX0(false);
        o = name.equals("ddim") ? o.withEta(eta) : o.withVariance(beta ? DdpmSampler.Variance.BETA
            : DdpmSampler.Variance.POSTERIOR);
        Sampler sampler = Samplers.create(name, o);
        double[] expected = chain(data, sampler.timesteps(data.metadata()), name, eta, beta);
        float[] x = sampler.sample(data.denoiser(), 2000, 5, k -> { });
        double[] mv = meanAndVariance(x);
        report.append(String.format(Locale.ROOT, "  %d: %.4f; %.4f", steps, expected[1] / (S * S), mv[1] / (S * S)));
        // 32000 values: standard errors 0.8% of the variance and s / 179 of the mean
        assertThat(mv[1]).as(report.toString()).isCloseTo(expected[1], within(0.035 * expected[1]));
        assertThat(mv[0]).as(report.toString()).isCloseTo(expected[0], within(4 * Math.sqrt(expected[1] / x.length)));
        double error = Math.abs(expected[1] - S * S);
        assertThat(error).as(report.toString()).isLessThan(previous);
        previous = error;
      }
      report.append('\n');
      assertThat(previous).as(report.toString()).isLessThan(0.05 * S * S);
    }
    System.out.print(report);
  }
}
