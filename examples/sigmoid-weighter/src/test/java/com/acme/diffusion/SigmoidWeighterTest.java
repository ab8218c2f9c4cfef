package com.acme.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.spi.InvalidParameterException;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.testkit.ReferenceSchedules;
import dev.jdiffusion.testkit.ReferenceWeight;
import dev.jdiffusion.testkit.WeighterContractTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The framework's weighter contract (from the testkit), plus the paper's formula. */
class SigmoidWeighterTest extends WeighterContractTest<SigmoidWeighter.Config> {

  @Override
  protected SigmoidWeighter provider() {
    return new SigmoidWeighter();
  }

  @Override
  protected Map<String, Object> requiredParameters() {
    return Map.of("bias", 2);
  }

  @Override
  protected List<SigmoidWeighter.Config> configs() {
    return List.of(
        new SigmoidWeighter.Config(2), new SigmoidWeighter.Config(-3), new SigmoidWeighter.Config(40));
  }

  /** The ELBO factor is infinite where SNR = 0, as for the built-in vlb. */
  @Override
  protected boolean boundedAtZeroSnr() {
    return false;
  }

  /**
   * Kingma and Gao's sigmoid weighting, {@code sigmoid(b - lambda)} relative to the ELBO, times the discrete
   * ELBO term {@code (SNR(t-1) - SNR(t)) / (2 SNR(t))} ({@code 1 / (2 alpha_0)} at t = 0), on the cosine
   * schedule (Nichol and Dhariwal's formula, betas clipped at 0.999), evaluated with 40 digits in mpmath.
   */
  @Override
  protected List<ReferenceWeight<SigmoidWeighter.Config>> referenceWeights() {
    var b2 = new SigmoidWeighter.Config(2);
    return List.of(
        ReferenceWeight.atTimestep(b2, "cosine", 0, 1.5249180143103734355e-4, "t = 0, logSNR = 10.095"),
        ReferenceWeight.atTimestep(b2, "cosine", 1, 3.6080910164320945154e-4, "t = 1, logSNR = 9.345"),
        ReferenceWeight.atTimestep(b2, "cosine", 500, 2.7644228203110432331e-3, "t = 500, logSNR = -0.031"),
        ReferenceWeight.atTimestep(new SigmoidWeighter.Config(-3), "cosine", 300, 5.116217743569758892e-5,
            "b = -3, t = 300, logSNR = 1.299"),
        ReferenceWeight.atTimestep(new SigmoidWeighter.Config(40), "cosine", 999, 499.50121317201657576,
            "b = 40, t = 999, logSNR = -19.836: the ELBO term"));
  }

  private static double weight(double bias, NoiseSchedule s, int t) {
    return new SigmoidWeighter().create(new SigmoidWeighter.Config(bias)).weight(s, t);
  }

  /**
   * The weight written from alphabar with plain formulas: {@code sigmoid(b - lambda) = 1 / (1 + SNR e^-b)}
   * and the ELBO term {@code (SNR(t-1) - SNR(t)) / (2 SNR(t))}; 1e-9 relative on every reference schedule.
   */
  @ParameterizedTest
  @ValueSource(strings = {"linear", "cosine", "scaled-linear"})
  void isTheSigmoidTimesTheElboTerm(String id) {
    NoiseSchedule s = ReferenceSchedules.standard().get(id);
    double[] alphabar = s.alphabars();
    for (double bias : new double[] {-3, 0, 2, 5}) {
      for (int t = 1; t < s.timesteps(); t++) {
        double snr = alphabar[t] / (1 - alphabar[t]);
        double snrBefore = alphabar[t - 1] / (1 - alphabar[t - 1]);
        double expected = 1 / (1 + snr * Math.exp(-bias)) * (snrBefore - snr) / (2 * snr);
        assertThat(weight(bias, s, t)).as("bias %s, t = %d", bias, t)
            .isCloseTo(expected, within(1e-9 * expected));
      }
    }
  }

  /** The sigmoid factor is 1/2 where logSNR = b, and non-increasing in logSNR (the paper's monotonicity). */
  @Test
  void sigmoidFactorIsHalfAtTheBiasAndMonotone() {
    assertThat(SigmoidWeighter.sigmoid(0)).isEqualTo(0.5);
    NoiseSchedule s = ReferenceSchedules.cosine(1000);
    double previous = 0;
    for (int t = 1; t < s.timesteps(); t++) {
      double factor = weight(2, s, t) / SigmoidWeighter.elboWeight(s, t);
      assertThat(factor).as("t = %d", t).isGreaterThanOrEqualTo(previous - 1e-15);
      previous = factor;
    }
  }

  /** The sigmoid in closed form: no overflow, exact limits at both infinities. */
  @ParameterizedTest
  @CsvSource({"Infinity, 1", "-Infinity, 0", "1000, 1", "-1000, 0", "745, 1"})
  void sigmoidIsStableAtTheEnds(double x, double expected) {
    assertThat(SigmoidWeighter.sigmoid(x)).isEqualTo(expected);
  }

  /** As b grows the weighting becomes the ELBO's, i.e. jdiffusion's vlb weight. */
  @Test
  void largeBiasGivesTheElbo() {
    NoiseSchedule s = ReferenceSchedules.linear(1000);
    Weighter w = new SigmoidWeighter().create(new SigmoidWeighter.Config(60));
    for (int t = 0; t < s.timesteps(); t++) {
      assertThat(w.epsWeight(s, t)).isCloseTo(SigmoidWeighter.elboWeight(s, t), within(1e-15));
    }
    assertThat(SigmoidWeighter.elboWeight(s, 0)).isEqualTo(1 / (2 * (1 - 1e-4)));
  }

  @ParameterizedTest
  @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
  void biasMustBeFinite(double bias) {
    assertThatThrownBy(() -> new SigmoidWeighter.Config(bias))
        .isInstanceOf(InvalidParameterException.class)
        .hasMessage("bias = " + bias + " is not allowed: must be a finite number");
  }
}
