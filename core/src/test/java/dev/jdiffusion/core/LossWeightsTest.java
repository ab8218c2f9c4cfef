package dev.jdiffusion.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The weight tables against closed forms: a weight declared in x0 space is {@code w / SNR} on the eps-MSE
 * and {@code w} again on the x0-MSE; a declared-space override reinterprets the same numbers; normalization
 * makes the eps-space mean exactly 1; bad weights are refused with the timestep.
 */
class LossWeightsTest {
  /** alphabar = 0.8, 0.5, 0.2: SNR = 4, 1, 1/4. */
  static final NoiseSchedule S = NoiseSchedule.fromAlphabar(new double[] {0.8, 0.5, 0.2});
  static final double[] SNR = {4, 1, 0.25};
  static final Parameterization EPS = new TestPlugins.Eps().create(new TestPlugins.Eps.Config());
  static final Parameterization X0 = new TestPlugins.X0().create(new TestPlugins.X0.Config());

  /** min(SNR, 2) on the x0-MSE, with the default conversion. */
  static final Weighter MIN_SNR_2 = SnrWeighter.of(LossSpace.X0, l -> Math.min(Math.exp(l), 2));

  @Test
  void anX0SpaceWeightIsConvertedToEpsAndBackToX0() {
    LossWeights onEps = LossWeights.compute("min-snr", S, MIN_SNR_2, Optional.empty(), false, EPS);
    LossWeights onX0 = LossWeights.compute("min-snr", S, MIN_SNR_2, Optional.empty(), false, X0);
    for (int t = 0; t < 3; t++) {
      double x0Weight = Math.min(SNR[t], 2);
      assertThat(onEps.eps(t)).as("eps at %d", t).isCloseTo(x0Weight / SNR[t], within(1e-14));
      assertThat(onEps.loss(t)).as("eps loss at %d", t).isCloseTo(x0Weight / SNR[t], within(1e-14));
      assertThat(onX0.eps(t)).isEqualTo(onEps.eps(t));
      // MSE_x0 = MSE_eps / SNR, so the weight on the x0-MSE is the eps weight times SNR: the x0 weight again
      assertThat(onX0.loss(t)).as("x0 loss at %d", t).isCloseTo(x0Weight, within(1e-14));
    }
    assertThat(onEps.eps()).containsExactly(onEps.eps(0), onEps.eps(1), onEps.eps(2));
    assertThat(onX0.loss()).containsExactly(onX0.loss(0), onX0.loss(1), onX0.loss(2));
    assertThat(onEps.timesteps()).isEqualTo(3);
    assertThat(onEps.label()).isEqualTo("min-snr");
    assertThat(onEps.normalizationScale()).isEqualTo(1);
  }

  @Test
  void theTablesAreCopies() {
    LossWeights w = LossWeights.compute("min-snr", S, MIN_SNR_2, Optional.empty(), false, EPS);
    w.eps()[0] = 99;
    w.loss()[0] = 99;
    assertThat(w.eps(0)).isCloseTo(0.5, within(1e-15));
    assertThat(w.loss(0)).isCloseTo(0.5, within(1e-15));
  }

  @Test
  void aSpaceOverrideReinterpretsTheWeight() {
    // the same numbers min(SNR, 2), declared to apply to the v-MSE: w_eps = w (1 + SNR) / SNR
    LossWeights v = LossWeights.compute("min-snr", S, MIN_SNR_2, Optional.of(LossSpace.V), false, EPS);
    // ... or to the eps-MSE directly
    LossWeights eps = LossWeights.compute("min-snr", S, MIN_SNR_2, Optional.of(LossSpace.EPS), false, EPS);
    // an override equal to the declared space changes nothing
    LossWeights x0 = LossWeights.compute("min-snr", S, MIN_SNR_2, Optional.of(LossSpace.X0), false, EPS);
    for (int t = 0; t < 3; t++) {
      double w = Math.min(SNR[t], 2);
      assertThat(v.eps(t)).isCloseTo(w * (1 + SNR[t]) / SNR[t], within(1e-14));
      assertThat(eps.eps(t)).isCloseTo(w, within(1e-15));
      assertThat(x0.eps(t)).isCloseTo(w / SNR[t], within(1e-14));
    }
  }

  @Test
  void normalizationMakesTheEpsMeanOne() {
    LossWeights w = LossWeights.compute("min-snr", S, MIN_SNR_2, Optional.empty(), true, X0);
    double[] raw = {2.0 / 4, 1.0, 0.25 / 0.25};
    double mean = (raw[0] + raw[1] + raw[2]) / 3;
    assertThat(w.normalizationScale()).isCloseTo(1 / mean, within(1e-15));
    for (int t = 0; t < 3; t++) {
      assertThat(w.eps(t)).isCloseTo(raw[t] / mean, within(1e-15));
      assertThat(w.loss(t)).isCloseTo(raw[t] / mean * SNR[t], within(1e-14));
    }
    assertThat(w.eps(0) + w.eps(1) + w.eps(2)).isCloseTo(3, within(1e-14));
  }

  @Test
  void refusesNegativeNanInfiniteAndZeroMeanWeightsNamingTheTimestep() {
    Weighter negative = SnrWeighter.of(LossSpace.EPS, l -> l - 0.5);
    assertThatThrownBy(() -> LossWeights.compute("lin", S, negative, Optional.empty(), false, EPS))
        .isInstanceOf(WeightException.class)
        .hasMessage("weighter lin gives a negative value " + (S.logSnr(1) - 0.5) + " as eps-space weight at t = 1 (logSNR = "
            + S.logSnr(1) + ", alphabar = " + S.alphabar(1) + "); weights must be finite and >= 0 at every"
            + " timestep.");
    Weighter infinite = SnrWeighter.of(LossSpace.EPS, l -> l < -1 ? Double.POSITIVE_INFINITY : 1);
    assertThatThrownBy(() -> LossWeights.compute("inf", S, infinite, Optional.empty(), false, EPS))
        .hasMessageStartingWith("weighter inf gives an infinite value as eps-space weight at t = 2 (logSNR = ");
    Weighter nan = SnrWeighter.of(LossSpace.EPS, l -> l > 1 ? Double.NaN : 1);
    assertThatThrownBy(() -> LossWeights.compute("nan", S, nan, Optional.empty(), false, EPS))
        .hasMessageStartingWith("weighter nan gives NaN as eps-space weight at t = 0 (logSNR = ")
        .hasMessageEndingWith("must give its eps-space weight in closed form where SNR = 0 (override epsWeight).");
    Weighter zero = SnrWeighter.of(LossSpace.EPS, l -> 0);
    assertThat(LossWeights.compute("zero", S, zero, Optional.empty(), false, EPS).eps(1)).isZero();
    assertThatThrownBy(() -> LossWeights.compute("zero", S, zero, Optional.empty(), true, EPS))
        .isInstanceOf(WeightException.class)
        .hasMessage("weighter zero has mean eps-space weight 0.0: cannot normalize it to mean 1");
    Weighter huge = SnrWeighter.of(LossSpace.EPS, l -> Double.MAX_VALUE);
    assertThatThrownBy(() -> LossWeights.compute("huge", S, huge, Optional.empty(), true, EPS))
        .hasMessage("weighter huge has mean eps-space weight Infinity: cannot normalize it to mean 1");
    // finite in eps space, infinite once converted to the x0 loss space
    Weighter big = SnrWeighter.of(LossSpace.EPS, l -> Double.MAX_VALUE / 2);
    assertThatThrownBy(() -> LossWeights.compute("big", S, big, Optional.empty(), false, X0))
        .hasMessageStartingWith("weighter big gives an infinite value as loss-space weight at t = 0 (logSNR = ");
  }

  /** alphabar = 0.8, 0.5, 0: the last step has SNR = 0 (zero terminal SNR). */
  static final NoiseSchedule ZERO_TERMINAL = NoiseSchedule.fromAlphabar(new double[] {0.8, 0.5, 0});

  @Test
  void atZeroSnrTheWeightIsTakenInTheTrainedOutputsOwnSpace() {
    // x0-prediction at SNR = 0: x0 = out (k_x0 = 1), eps = x_t (k_eps = 0), v = -x0 (k_v = -1)
    Weighter one = SnrWeighter.of(LossSpace.X0, l -> 1.5);
    LossWeights x0 = LossWeights.compute("one", ZERO_TERMINAL, one, Optional.empty(), false, X0);
    assertThat(x0.loss(2)).isCloseTo(1.5, within(1e-15));
    assertThat(x0.eps(2)).isEqualTo(Double.POSITIVE_INFINITY);
    // the steps with SNR > 0 are converted as usual: 1.5 on the x0-MSE is 1.5 / SNR on the eps-MSE
    assertThat(x0.eps(1)).isCloseTo(1.5, within(1e-14));
    assertThat(x0.loss(1)).isCloseTo(1.5, within(1e-14));
    // the same numbers declared on the v-MSE: k_v^2 = 1
    LossWeights v = LossWeights.compute("one", ZERO_TERMINAL, one, Optional.of(LossSpace.V), false, X0);
    assertThat(v.loss(2)).isCloseTo(1.5, within(1e-15));
    assertThat(v.eps(2)).isEqualTo(Double.POSITIVE_INFINITY);
    // SNR = 1 at t = 1: w_eps = w_v (1 + SNR) / SNR = 3, and on the x0-MSE 3 * SNR = 3
    assertThat(v.eps(1)).isCloseTo(3, within(1e-14));
    assertThat(v.loss(1)).isCloseTo(3, within(1e-14));
    // a weight of 0 there leaves the eps-space table finite, so it can be normalized
    Weighter minSnr = SnrWeighter.of(LossSpace.X0, l -> Math.min(Math.exp(l), 2));
    LossWeights clamped = LossWeights.compute("min-snr", ZERO_TERMINAL, minSnr, Optional.empty(), true, X0);
    assertThat(clamped.loss(2)).isZero();
    assertThat(clamped.eps(2)).isZero();
    // mean eps weight before scaling: (2/4 + 1/1 + 0) / 3 = 1/2
    assertThat(clamped.normalizationScale()).isCloseTo(2, within(1e-14));
    assertThat(clamped.eps(1)).isCloseTo(2, within(1e-14));
    // an eps-space weight keeps its meaning: the x0-prediction's eps-MSE has k_eps = 0 there
    Weighter uniformEps = SnrWeighter.of(LossSpace.EPS, l -> 1);
    LossWeights eps = LossWeights.compute("uniform", ZERO_TERMINAL, uniformEps, Optional.empty(), false, X0);
    assertThat(eps.eps(2)).isEqualTo(1);
    assertThat(eps.loss(2)).isZero();
  }

  @Test
  void atZeroSnrAPositiveOwnSpaceWeightCannotBeNormalizedAndAnInfiniteOneIsRefused() {
    Weighter one = SnrWeighter.of(LossSpace.X0, l -> 1);
    assertThatThrownBy(() -> LossWeights.compute("one", ZERO_TERMINAL, one, Optional.empty(), true, X0))
        .isInstanceOf(WeightException.class)
        .hasMessage("weighter one cannot be normalized to mean 1 in eps space: its eps-space weight is infinite"
            + " at t = 2 (SNR = 0), where it is defined only in the trained parameterization's space; drop"
            + " normalize");
    Weighter inverse = SnrWeighter.of(LossSpace.X0, l -> Math.exp(-l));
    assertThatThrownBy(() -> LossWeights.compute("inverse", ZERO_TERMINAL, inverse, Optional.empty(), false, X0))
        .isInstanceOf(WeightException.class)
        .hasMessageStartingWith("weighter inverse has no finite weight at t = 2 (logSNR = -Infinity, SNR = 0): its"
            + " eps-space weight is Infinity, its x0-space weight Infinity, on the trained output's MSE Infinity;");
  }
}
