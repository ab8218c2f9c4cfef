package dev.jdiffusion.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.core.MatchingRule;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The identities DESIGN.md and the smoothed-KL paper state, on every built-in schedule, each checked
 * against formulas computed here from alphabar alone (a plain running product of the schedule's betas),
 * not against the plugins' own code paths.
 */
class WeightIdentitiesTest {

  static Stream<Arguments> schedulesAndLambdas() {
    return Fixtures.SCHEDULES.stream()
        .flatMap(s -> Stream.of(0.05, 0.2, 1.0, 5.0).map(l -> Arguments.of(s, l)));
  }

  /** smoothed-kl(lambda) / soft-min-snr(gamma' = (1 + lambda)/lambda) = 1/(1 + lambda) at every t, 1e-12 relative. */
  @ParameterizedTest(name = "{0}, lambda = {1}")
  @MethodSource("schedulesAndLambdas")
  void smoothedKlIsAConstantMultipleOfSoftMinSnr(String schedule, double lambda) {
    double gammaPrime = (1 + lambda) / lambda;
    LossWeights kl = Fixtures.weights(schedule, "smoothed-kl:lambda=" + lambda, "eps");
    LossWeights soft = Fixtures.weights(schedule, "soft-min-snr:gamma=" + gammaPrime, "eps");
    for (int t = 0; t < 1000; t++) {
      assertThat(kl.eps(t) / soft.eps(t)).isCloseTo(1 / (1 + lambda), within(1e-12 / (1 + lambda)));
    }
    assertThat(MatchingRule.softMinSnrGamma(lambda)).isCloseTo(gammaPrime, within(1e-15 * gammaPrime));
  }

  /**
   * smoothed-kl(lambda) / min-snr(gamma = 1/lambda), eps space: exactly SNR/(SNR + gamma') wherever
   * SNR > 1/lambda (there min-snr is gamma/SNR), hence tends to 1 as SNR grows.
   */
  @ParameterizedTest(name = "{0}, lambda = {1}")
  @MethodSource("schedulesAndLambdas")
  void smoothedKlMatchesMinSnrAtHighSnr(String schedule, double lambda) {
    double gamma = 1 / lambda;
    double gammaPrime = (1 + lambda) / lambda;
    double[] alphabar = IndependentSchedules.alphabar(schedule);
    LossWeights kl = Fixtures.weights(schedule, "smoothed-kl:lambda=" + lambda, "eps");
    LossWeights min = Fixtures.weights(schedule, "min-snr:gamma=" + gamma, "eps");
    double previousRatio = Double.NaN;
    int checked = 0;
    for (int t = 999; t >= 0; t--) {
      double snr = alphabar[t] / (1 - alphabar[t]);
      if (snr <= gamma) {
        continue;
      }
      double ratio = kl.eps(t) / min.eps(t);
      assertThat(ratio).isCloseTo(snr / (snr + gammaPrime), within(1e-10));
      if (!Double.isNaN(previousRatio)) {
        assertThat(ratio).isGreaterThanOrEqualTo(previousRatio); // SNR grows as t falls
      }
      previousRatio = ratio;
      checked++;
    }
    assertThat(checked).isPositive();
    // The highest SNR of the schedule: ratio within gamma'/SNR of 1.
    double snr0 = alphabar[0] / (1 - alphabar[0]);
    assertThat(kl.eps(0) / min.eps(0)).isCloseTo(1.0, within(1.01 * gammaPrime / snr0));
  }

  /**
   * vlb = beta_t^2 / (2 sigma_t^2 alpha_t (1 - alphabar_t)) with sigma_t^2 the posterior variance
   * beta_t (1 - alphabar_{t-1}) / (1 - alphabar_t), for t >= 1; at t = 0 the Gaussian decoder with
   * variance beta_0 gives 1 / (2 alpha_0).
   */
  @ParameterizedTest
  @ValueSource(strings = {"linear", "cosine", "scaled-linear"})
  void vlbIsTheDdpmBoundTerm(String schedule) {
    double[] beta = IndependentSchedules.betas(schedule, 1000);
    double[] alphabar = IndependentSchedules.alphabar(beta);
    LossWeights vlb = Fixtures.weights(schedule, "vlb", "eps");
    assertThat(vlb.eps(0)).isCloseTo(1 / (2 * (1 - beta[0])), within(1e-12));
    for (int t = 1; t < 1000; t++) {
      double posterior = beta[t] * (1 - alphabar[t - 1]) / (1 - alphabar[t]);
      double closed = beta[t] * beta[t] / (2 * posterior * (1 - beta[t]) * (1 - alphabar[t]));
      assertThat(vlb.eps(t)).isCloseTo(closed, within(1e-9 * closed));
    }
  }

  /** Min-SNR-gamma in each loss space: min(SNR,g)/SNR (eps), min(SNR,g) (x0), min(SNR,g)/(SNR+1) (v). */
  @ParameterizedTest
  @ValueSource(strings = {"linear", "cosine", "scaled-linear"})
  void minSnrInEachLossSpace(String schedule) {
    double[] alphabar = IndependentSchedules.alphabar(schedule);
    for (double gamma : new double[] {1, 5, 20}) {
      String w = "min-snr:gamma=" + gamma;
      LossWeights eps = Fixtures.weights(schedule, w, "eps");
      LossWeights x0 = Fixtures.weights(schedule, w, "x0");
      LossWeights v = Fixtures.weights(schedule, w, "v");
      for (int t = 0; t < 1000; t++) {
        double snr = alphabar[t] / (1 - alphabar[t]);
        double m = Math.min(snr, gamma);
        assertThat(eps.loss(t)).isCloseTo(m / snr, within(1e-9 * m / snr));
        assertThat(x0.loss(t)).isCloseTo(m, within(1e-9 * m));
        assertThat(v.loss(t)).isCloseTo(m / (snr + 1), within(1e-9 * m / (snr + 1)));
      }
    }
  }

  /** Whatever the parameterization, the objective is the same: loss weight times MSE ratio is the eps weight. */
  @ParameterizedTest
  @ValueSource(strings = {"uniform", "snr", "truncated-snr", "soft-min-snr:gamma=3", "p2", "smoothed-kl:lambda=0.2", "vlb"})
  void conversionPreservesTheObjective(String weighter) {
    double[] alphabar = IndependentSchedules.alphabar("linear");
    LossWeights eps = Fixtures.weights("linear", weighter, "eps");
    LossWeights x0 = Fixtures.weights("linear", weighter, "x0");
    LossWeights v = Fixtures.weights("linear", weighter, "v");
    for (int t = 0; t < 1000; t++) {
      double snr = alphabar[t] / (1 - alphabar[t]);
      // MSE_x0 = MSE_eps / SNR and MSE_v = (1 + 1/SNR) MSE_eps
      double viaX0 = x0.loss(t) / snr;
      double viaV = v.loss(t) * (1 + 1 / snr);
      assertThat(viaX0).isCloseTo(eps.loss(t), within(1e-9 * eps.loss(t)));
      assertThat(viaV).isCloseTo(eps.loss(t), within(1e-9 * eps.loss(t)));
    }
  }

  /** Each weighter's documented formula in its native space, from SNR computed here. */
  @ParameterizedTest
  @ValueSource(strings = {"linear", "cosine"})
  void nativeFormulas(String schedule) {
    double[] alphabar = IndependentSchedules.alphabar(schedule);
    LossWeights snrW = Fixtures.weights(schedule, "snr", "x0");
    LossWeights inv = Fixtures.weights(schedule, "inverse-snr", "x0");
    LossWeights trunc = Fixtures.weights(schedule, "truncated-snr", "x0");
    LossWeights soft = Fixtures.weights(schedule, "soft-min-snr:gamma=5", "x0");
    LossWeights p2 = Fixtures.weights(schedule, "p2:k=1,gamma=0.5", "eps");
    LossWeights kl = Fixtures.weights(schedule, "smoothed-kl:lambda=0.3", "eps");
    LossWeights uni = Fixtures.weights(schedule, "uniform", "eps");
    for (int t = 0; t < 1000; t++) {
      double snr = alphabar[t] / (1 - alphabar[t]);
      double sigma2 = 1 - alphabar[t];
      assertThat(snrW.loss(t)).isCloseTo(snr, within(1e-9 * snr));
      assertThat(inv.loss(t)).isCloseTo(1 / snr, within(1e-9 / snr));
      assertThat(trunc.loss(t)).isCloseTo(Math.max(snr, 1), within(1e-9 * Math.max(snr, 1)));
      double s = 1 / (1 / snr + 1 / 5.0);
      assertThat(soft.loss(t)).isCloseTo(s, within(1e-9 * s));
      double p = 1 / Math.sqrt(1 + snr);
      assertThat(p2.loss(t)).isCloseTo(p, within(1e-9 * p));
      double k = sigma2 / (sigma2 + 0.3);
      assertThat(kl.loss(t)).isCloseTo(k, within(1e-9 * k));
      assertThat(uni.loss(t)).isEqualTo(1.0);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"min-snr", "smoothed-kl:lambda=0.2", "vlb", "p2"})
  void normalizedWeightsHaveMeanOneInEpsSpace(String weighter) {
    NoiseSchedule s = Fixtures.schedule("cosine");
    LossWeights raw = Fixtures.weights(s, weighter, "v");
    LossWeights norm = Fixtures.weights(s, weighter + (weighter.contains(":") ? "," : ":") + "normalize=true", "v");
    double sum = 0;
    for (int t = 0; t < 1000; t++) {
      sum += norm.eps(t);
      assertThat(norm.loss(t) / raw.loss(t)).isCloseTo(norm.normalizationScale(), within(1e-12 * norm.normalizationScale()));
    }
    assertThat(sum / 1000).isCloseTo(1.0, within(1e-12));
  }

  /** A space override applies the formula to another MSE: min-snr with space=eps is min(SNR, gamma) on the eps-MSE. */
  @org.junit.jupiter.api.Test
  void spaceOverrideAppliesTheFormulaInTheGivenSpace() {
    double[] alphabar = IndependentSchedules.alphabar("linear");
    LossWeights w = Fixtures.weights("linear", "min-snr:gamma=5,space=eps", "eps");
    for (int t = 0; t < 1000; t++) {
      double snr = alphabar[t] / (1 - alphabar[t]);
      assertThat(w.loss(t)).isCloseTo(Math.min(snr, 5), within(1e-9 * Math.min(snr, 5)));
    }
  }
}
