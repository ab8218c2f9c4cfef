package dev.jdiffusion.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NoiseScheduleTest {

  @Test
  void keepsItsDigitsWhenAlphabarIsCloseToOne() {
    NoiseSchedule s = NoiseSchedule.fromBetas(new double[] {1e-12, 1e-12, 0.5});
    assertThat(s.sigma2(0)).isCloseTo(1e-12, within(1e-24));
    assertThat(s.sigma2(1)).isCloseTo(2e-12, within(1e-23));
    assertThat(s.logSnr(0)).isCloseTo(Math.log(1e12), within(1e-9));
  }

  @Test
  void betaOfOneIsZeroTerminalSnr() {
    NoiseSchedule s = NoiseSchedule.fromBetas(new double[] {0.1, 0.5, 1.0});
    assertThat(s.alphabar(2)).isZero();
    assertThat(s.sigma2(2)).isEqualTo(1.0);
    assertThat(s.snr(2)).isZero();
    assertThat(s.logSnr(2)).isEqualTo(Double.NEGATIVE_INFINITY);
  }

  @Test
  void rejectsBadBetasByIndex() {
    assertThatThrownBy(() -> NoiseSchedule.fromBetas(new double[] {0.1, 0}))
        .hasMessage("beta[1] = 0.0 is not allowed: every beta must be in (0, 1]");
    assertThatThrownBy(() -> NoiseSchedule.fromBetas(new double[] {0.1, Double.NaN}))
        .hasMessage("beta[1] = NaN is not allowed: every beta must be in (0, 1]");
    assertThatThrownBy(() -> NoiseSchedule.fromBetas(new double[] {0.1}))
        .hasMessage("a schedule needs at least 2 timesteps, got 1");
    assertThatThrownBy(() -> NoiseSchedule.fromAlphabar(new double[] {0.9, 0.95}))
        .hasMessageStartingWith("alphabar[1] = 0.95 is not allowed");
  }

  @Test
  void fromAlphabarInvertsTheTable() {
    double[] alphabar = {0.99, 0.7, 0.2, 0.0};
    NoiseSchedule s = NoiseSchedule.fromAlphabar(alphabar);
    for (int t = 0; t < alphabar.length; t++) {
      assertThat(s.alphabar(t)).isCloseTo(alphabar[t], within(1e-15));
    }
  }

  @Test
  void aWeighterWithoutAClosedFormIsRefusedAtZeroSnrWithAHint(@TempDir Path dir) {
    var injector = Bootstrap.createInjector(
        TestWeighters.loaderListing(dir, List.of(TestWeighters.NoClosedForm.class)), null);
    NoiseSchedule s = NoiseSchedule.fromBetas(new double[] {0.1, 0.5, 1.0});
    var weighter = new TestWeighters.NoClosedForm().create(new TestWeighters.NoClosedForm.Config());
    assertThat(injector).isNotNull();
    // eps-prediction: x0_hat = (x_t - sigma out) / sqrt(alphabar), so an x0-space weight cannot reach it.
    Parameterization eps = (sched, t) -> {
      double root = Math.sqrt(sched.alphabar(t));
      double sigma = Math.sqrt(sched.sigma2(t));
      return new Coefficients(0, 1, 1 / root, -sigma / root, 0, 1);
    };
    assertThatThrownBy(() -> LossWeights.compute("test-no-closed-form", s, weighter, Optional.empty(), false, eps))
        .isInstanceOf(WeightException.class)
        .hasMessageContaining("weighter test-no-closed-form has no finite weight at t = 2 (logSNR = -Infinity")
        .hasMessageContaining("override epsWeight");
    // v-prediction: x0_hat = sqrt(alphabar) x_t - sigma out, so the x0-space weight min(0, 5) = 0 applies.
    Parameterization v = (sched, t) -> {
      double root = Math.sqrt(sched.alphabar(t));
      double sigma = Math.sqrt(sched.sigma2(t));
      return new Coefficients(-sigma, root, root, -sigma, sigma, root);
    };
    LossWeights w = LossWeights.compute("test-no-closed-form", s, weighter, Optional.empty(), false, v);
    assertThat(w.loss(2)).isZero();
    assertThat(w.eps(2)).isZero();
  }

  @Test
  void matchingRuleAndItsInverses() {
    assertThat(MatchingRule.minSnrGamma(0.2)).isCloseTo(5.0, within(1e-15));
    assertThat(MatchingRule.softMinSnrGamma(0.2)).isCloseTo(6.0, within(1e-15));
    assertThat(MatchingRule.softMinSnrScale(0.2)).isCloseTo(1 / 1.2, within(1e-15));
    for (double lambda : new double[] {1e-3, 0.2, 1, 7.5}) {
      assertThat(MatchingRule.lambdaForMinSnr(MatchingRule.minSnrGamma(lambda))).isCloseTo(lambda, within(1e-15 * (1 + lambda)));
      assertThat(MatchingRule.lambdaForSoftMinSnr(MatchingRule.softMinSnrGamma(lambda))).isCloseTo(lambda, within(1e-12 * lambda));
    }
    assertThatThrownBy(() -> MatchingRule.lambdaForSoftMinSnr(1.0)).hasMessageContaining("must be > 1");
    assertThatThrownBy(() -> MatchingRule.minSnrGamma(0)).hasMessageContaining("lambda = 0.0 is not allowed");
  }

  @Test
  void accessorsAgreeWithTheDefinitions() {
    double[] betas = {0.1, 0.25, 0.5};
    NoiseSchedule s = NoiseSchedule.fromBetas(betas);
    double alphabar = 1;
    for (int t = 0; t < 3; t++) {
      alphabar *= 1 - betas[t];
      assertThat(s.beta(t)).isEqualTo(betas[t]);
      assertThat(s.alpha(t)).isEqualTo(1 - betas[t]);
      assertThat(s.logAlphabar(t)).isCloseTo(Math.log(alphabar), within(1e-15));
      assertThat(s.snr(t)).isCloseTo(alphabar / (1 - alphabar), within(1e-14 * alphabar / (1 - alphabar)));
    }
    assertThat(s.alphabars()).containsExactly(new double[] {0.9, 0.675, 0.3375}, within(1e-15));
    double[] copy = s.betas();
    copy[0] = 0.9;
    assertThat(s.betas()).containsExactly(betas);
  }

  @Test
  void fromAlphabarRefusesEqualStepsAndAnEarlyZero() {
    assertThatThrownBy(() -> NoiseSchedule.fromAlphabar(new double[] {0.9, 0.9, 0.1}))
        .hasMessageStartingWith("alphabar[1] = 0.9 is not allowed: alphabar must decrease strictly within (0, 1)");
    assertThatThrownBy(() -> NoiseSchedule.fromAlphabar(new double[] {1.0, 0.5}))
        .hasMessageStartingWith("alphabar[0] = 1.0 is not allowed");
    assertThatThrownBy(() -> NoiseSchedule.fromAlphabar(new double[] {0.9, 0.0, 0.0}))
        .hasMessageStartingWith("alphabar[1] = 0.0 is not allowed");
    assertThatThrownBy(() -> NoiseSchedule.fromAlphabar(new double[] {0.9, -0.1}))
        .hasMessageStartingWith("alphabar[1] = -0.1 is not allowed");
    assertThat(NoiseSchedule.fromAlphabar(new double[] {0.9, 0.0}).snr(1)).isZero();
  }

  @Test
  void specsAndExceptionsCarryTheirParts() {
    ConfigException e = new ConfigException("run.yaml", "weighter.gamma", "bad", null);
    assertThat(e).hasMessage("run.yaml: weighter.gamma: bad");
    assertThat(e.source()).isEqualTo("run.yaml");
    assertThat(e.path()).isEqualTo("weighter.gamma");
    assertThat(new ConfigException("run.yaml", "", "bad", null)).hasMessage("run.yaml: bad");
    var config = new TestWeighters.A.Config(2);
    assertThat(WeighterSpec.of(config)).isEqualTo(new WeighterSpec(config, Optional.empty(), false));
    var schedule = new TestPlugins.Linear.Config(0.1, 0.2);
    assertThat(ScheduleSpec.of(schedule)).isEqualTo(new ScheduleSpec(schedule, 1000, false));
    var eps = new TestPlugins.Eps.Config();
    assertThat(new RunConfig(ScheduleSpec.of(schedule), eps, WeighterSpec.of(config), null).dataset()).isEmpty();
    assertThatThrownBy(() -> new RunConfig(null, eps, WeighterSpec.of(config), Optional.empty())).hasMessage("schedule");
    assertThatThrownBy(() -> new RunConfig(ScheduleSpec.of(schedule), null, WeighterSpec.of(config), Optional.empty()))
        .hasMessage("parameterization");
    assertThatThrownBy(() -> new RunConfig(ScheduleSpec.of(schedule), eps, null, Optional.empty())).hasMessage("weighter");
  }
}
