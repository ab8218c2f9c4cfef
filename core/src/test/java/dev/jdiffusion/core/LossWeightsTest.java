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
}
