package dev.jdiffusion.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The conversion factors against the MSEs themselves: for a prediction of eps, the implied x0 and v
 * predictions are formed and each MSE computed from its definition, and a weight {@code w} on the space's MSE
 * must equal {@code w * toEpsFactor} on the eps-MSE.
 */
class LossSpaceTest {

  @Test
  void factorsMakeTheWeightedMsesEqual() {
    Random r = new Random(4);
    for (double alphabar : new double[] {0.999, 0.7, 0.3, 0.01}) {
      double a = Math.sqrt(alphabar);
      double s = Math.sqrt(1 - alphabar);
      double logSnr = Math.log(alphabar / (1 - alphabar));
      int n = 64;
      double mseEps = 0;
      double mseX0 = 0;
      double mseV = 0;
      for (int i = 0; i < n; i++) {
        double x0 = r.nextGaussian();
        double eps = r.nextGaussian();
        double xt = a * x0 + s * eps;
        double epsHat = eps + 0.3 * r.nextGaussian();
        double x0Hat = (xt - s * epsHat) / a;
        double v = a * eps - s * x0;
        double vHat = a * epsHat - s * x0Hat;
        mseEps += (epsHat - eps) * (epsHat - eps) / n;
        mseX0 += (x0Hat - x0) * (x0Hat - x0) / n;
        mseV += (vHat - v) * (vHat - v) / n;
      }
      assertThat(LossSpace.EPS.toEpsFactor(logSnr) * mseEps).isCloseTo(mseEps, within(1e-15));
      assertThat(LossSpace.X0.toEpsFactor(logSnr) * mseEps).as("x0 at alphabar %s", alphabar)
          .isCloseTo(mseX0, within(1e-9 * mseX0));
      assertThat(LossSpace.V.toEpsFactor(logSnr) * mseEps).as("v at alphabar %s", alphabar)
          .isCloseTo(mseV, within(1e-9 * mseV));
    }
    assertThat(LossSpace.X0.toEpsFactor(Double.NEGATIVE_INFINITY)).isInfinite();
    assertThat(LossSpace.V.toEpsFactor(Double.NEGATIVE_INFINITY)).isInfinite();
    assertThat(LossSpace.EPS.toEpsFactor(Double.NEGATIVE_INFINITY)).isEqualTo(1);
  }

  @Test
  void idsParseInAnyCase() {
    assertThat(LossSpace.V.id()).isEqualTo("v");
    assertThat(LossSpace.parse("X0")).isEqualTo(LossSpace.X0);
    assertThat(LossSpace.parse("eps")).isEqualTo(LossSpace.EPS);
    assertThat(LossSpace.parse("V")).isEqualTo(LossSpace.V);
    assertThatThrownBy(() -> LossSpace.parse("score"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown loss space 'score': expected one of eps, x0, v");
  }

  @Test
  void snrWeighterDefaultsConvertByTheFactorAndReadTheSchedule() {
    NoiseSchedule sched = NoiseSchedule.fromAlphabar(new double[] {0.8, 0.2});
    SnrWeighter snr = SnrWeighter.of(LossSpace.X0, Math::exp);
    // weight SNR on the x0-MSE is 1 on the eps-MSE
    assertThat(snr.epsWeight(Math.log(3))).isCloseTo(1, within(1e-15));
    assertThat(snr.weight(sched, 0)).isCloseTo(4, within(1e-14));
    assertThat(snr.epsWeight(sched, 1)).isCloseTo(1, within(1e-15));
    SnrWeighter closed = SnrWeighter.of(LossSpace.V, l -> 2, l -> 7);
    assertThat(closed.space()).isEqualTo(LossSpace.V);
    assertThat(closed.weight(0)).isEqualTo(2);
    assertThat(closed.epsWeight(0)).isEqualTo(7);
    assertThat(closed.epsWeight(sched, 0)).isEqualTo(7);
    // a plain Weighter converts by the factor too
    Weighter plain = new Weighter() {
      @Override public LossSpace space() { return LossSpace.V; }
      @Override public double weight(NoiseSchedule s, int t) { return t + 1; }
    };
    assertThat(plain.epsWeight(sched, 1)).isCloseTo(2 * (1 + 1 / 0.25), within(1e-14));
    assertThatThrownBy(() -> SnrWeighter.of(null, l -> 1)).isInstanceOf(NullPointerException.class).hasMessage("space");
    assertThatThrownBy(() -> SnrWeighter.of(LossSpace.EPS, null, l -> 1)).hasMessage("weight");
    assertThatThrownBy(() -> SnrWeighter.of(LossSpace.EPS, l -> 1, null)).hasMessage("epsWeight");
  }

  @Test
  void requireNamesTheParameterTheValueAndTheRange() {
    assertThat(Require.positive("g", 2.5)).isEqualTo(2.5);
    assertThat(Require.nonNegative("g", 0)).isEqualTo(0);
    assertThat(Require.openInterval("b", 0.5, 0, 1)).isEqualTo(0.5);
    assertThat(Require.halfOpenInterval("b", 1, 0, 1)).isEqualTo(1);
    assertThat(Require.atLeast("n", 2, 2)).isEqualTo(2);
    assertInvalid(() -> Require.positive("g", 0), "g = 0.0 is not allowed: must be > 0 and finite");
    assertInvalid(() -> Require.positive("g", Double.NaN), "g = NaN is not allowed: must be > 0 and finite");
    assertInvalid(() -> Require.positive("g", Double.POSITIVE_INFINITY),
        "g = Infinity is not allowed: must be > 0 and finite");
    assertInvalid(() -> Require.nonNegative("g", -1e-300), "g = -1.0E-300 is not allowed: must be >= 0 and finite");
    assertInvalid(() -> Require.nonNegative("g", Double.NaN), "g = NaN is not allowed: must be >= 0 and finite");
    assertInvalid(() -> Require.nonNegative("g", Double.POSITIVE_INFINITY),
        "g = Infinity is not allowed: must be >= 0 and finite");
    assertInvalid(() -> Require.openInterval("b", 0, 0, 1), "b = 0.0 is not allowed: must be in (0.0, 1.0)");
    assertInvalid(() -> Require.openInterval("b", 1, 0, 1), "b = 1.0 is not allowed: must be in (0.0, 1.0)");
    assertInvalid(() -> Require.openInterval("b", Double.NaN, 0, 1), "b = NaN is not allowed: must be in (0.0, 1.0)");
    assertInvalid(() -> Require.halfOpenInterval("b", 0, 0, 1), "b = 0.0 is not allowed: must be in (0.0, 1.0]");
    assertInvalid(() -> Require.halfOpenInterval("b", 1.5, 0, 1), "b = 1.5 is not allowed: must be in (0.0, 1.0]");
    assertInvalid(() -> Require.atLeast("n", 1, 2), "n = 1 is not allowed: must be >= 2");
  }

  private static void assertInvalid(Runnable call, String message) {
    assertThatThrownBy(call::run).isInstanceOf(InvalidParameterException.class).hasMessage(message)
        .satisfies(e -> {
          InvalidParameterException ipe = (InvalidParameterException) e;
          assertThat(message).startsWith(ipe.parameter() + " = " + ipe.value() + " ").endsWith(ipe.allowed());
        });
  }
}
