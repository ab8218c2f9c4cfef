package dev.jdiffusion.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.dataset.DatasetSource;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The plugin facade: schedule tables (with the zero-terminal-SNR rescale checked against Lin et al.'s
 * algorithm written out here on the betas), weighters, parameterizations, datasets and weight tables, and
 * the errors for plugins that return something unusable.
 */
class PluginsTest {
  private static final Plugins PLUGINS = TestPlugins.plugins();

  @Test
  void scheduleIsTheTableOfThePluginsBetas() {
    NoiseSchedule s = PLUGINS.schedule(new ScheduleSpec(new TestPlugins.Linear.Config(0.01, 0.3), 5, false));
    double[] betas = {0.01, 0.0825, 0.155, 0.2275, 0.3};
    double alphabar = 1;
    for (int t = 0; t < 5; t++) {
      alphabar *= 1 - betas[t];
      assertThat(s.beta(t)).isCloseTo(betas[t], within(1e-15));
      assertThat(s.alphabar(t)).isCloseTo(alphabar, within(1e-15));
    }
    assertThat(PLUGINS.idOf(new TestPlugins.Linear.Config(0.01, 0.3))).isEqualTo("test-linear");
    assertThat(PLUGINS.registry()).isSameAs(TestPlugins.injector().getInstance(PluginRegistry.class));
  }

  /**
   * Lin et al. 2024, Algorithm 1, on the betas: running product, square root, shift so the last is 0,
   * scale so the first is kept, square, back to betas by ratios. Core computes it on its log-space table.
   */
  @Test
  void zeroTerminalSnrIsLinEtAlsRescale() {
    int n = 40;
    double[] betas = new double[n];
    for (int i = 0; i < n; i++) {
      betas[i] = 0.001 + (0.2 - 0.001) * i / (n - 1);
    }
    double[] root = new double[n];
    double p = 1;
    for (int i = 0; i < n; i++) {
      p *= 1 - betas[i];
      root[i] = Math.sqrt(p);
    }
    double first = root[0];
    double last = root[n - 1];
    double[] expected = new double[n];
    for (int i = 0; i < n; i++) {
      double r = (root[i] - last) * first / (first - last);
      expected[i] = r * r;
    }
    NoiseSchedule zero = PLUGINS.schedule(new ScheduleSpec(new TestPlugins.Linear.Config(0.001, 0.2), n, true));
    for (int i = 0; i < n - 1; i++) {
      assertThat(zero.alphabar(i)).as("alphabar at %d", i).isCloseTo(expected[i], within(1e-12 * expected[i]));
    }
    assertThat(zero.alphabar(n - 1)).isZero();
    assertThat(zero.logSnr(n - 1)).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(zero.beta(n - 1)).isEqualTo(1.0);
    // the rescaled betas: 1 - alphabar_t / alphabar_(t-1)
    assertThat(zero.beta(5)).isCloseTo(1 - expected[5] / expected[4], within(1e-12));
  }

  @Test
  void unusableBetasAreErrorsThatNameTheSchedule() {
    assertThatThrownBy(() -> PLUGINS.schedule(new ScheduleSpec(new TestPlugins.Short.Config(), 10, false)))
        .isInstanceOf(PluginException.class)
        .hasMessage("schedule 'test-short' returned 9 betas for timesteps = 10");
    assertThatThrownBy(() -> PLUGINS.schedule(new ScheduleSpec(new TestPlugins.ZeroBeta.Config(), 10, false)))
        .isInstanceOf(PluginException.class)
        .hasMessage("schedule 'test-zero-beta': beta[0] = 0.0 is not allowed: every beta must be in (0, 1]")
        .hasCauseInstanceOf(IllegalArgumentException.class);
    NoiseSchedule collapsing = PLUGINS.schedule(new ScheduleSpec(new TestPlugins.Collapsing.Config(), 10, false));
    assertThat(collapsing.alphabar(5)).isZero();
    assertThatThrownBy(() -> PLUGINS.schedule(new ScheduleSpec(new TestPlugins.Collapsing.Config(), 10, true)))
        .isInstanceOf(PluginException.class)
        .hasMessageStartingWith("schedule 'test-collapsing' cannot be rescaled to zero terminal SNR (zeroTerminalSnr:"
            + " true): its alphabar reaches 0 in double precision before the last timestep (alphabar[")
        .hasCauseInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void createsWeightersParameterizationsAndDatasets() throws Exception {
    var w = PLUGINS.weighter(new TestPlugins.MinSnr.Config(3));
    assertThat(w.space()).isEqualTo(LossSpace.X0);
    NoiseSchedule s = NoiseSchedule.fromAlphabar(new double[] {0.9, 0.5});
    assertThat(w.weight(s, 0)).isCloseTo(3, within(1e-15));
    assertThat(w.epsWeight(s, 1)).isCloseTo(1, within(1e-15));
    var x0 = PLUGINS.parameterization(new TestPlugins.X0.Config());
    assertThat(x0.coefficients(s, 0).targetX0()).isEqualTo(1);
    try (DatasetSource d = PLUGINS.openDataset(
        new TestPlugins.Data.Config(3, false, TestPlugins.Fill.ONES, "x", 1))) {
      float[] pixels = new float[4];
      d.read(0, pixels, 0);
      assertThat(d.size()).isEqualTo(3);
      assertThat(pixels).containsOnly(1f);
    }
  }

  @Test
  void lossWeightsOfASpecAndOfARunConfig() {
    NoiseSchedule s = NoiseSchedule.fromAlphabar(new double[] {0.8, 0.5, 0.2});
    LossWeights w = PLUGINS.lossWeights("mine", s,
        new WeighterSpec(new TestPlugins.MinSnr.Config(2), Optional.of(LossSpace.EPS), false),
        new TestPlugins.X0.Config());
    // min(SNR, 2) read as an eps weight, on the x0 loss (times SNR = 4, 1, 1/4)
    assertThat(w.label()).isEqualTo("mine");
    assertThat(w.loss()).containsExactly(new double[] {8, 1, 0.0625}, within(1e-14));

    RunConfig run = TestPlugins.reader().readYaml("run.yaml", """
        schedule: {name: test-linear, betaStart: 0.1, betaEnd: 0.3, timesteps: 3}
        parameterization: {name: test-eps}
        weighter: {name: test-min-snr, gamma: 2, normalize: true}
        """, RunConfig.class);
    LossWeights fromRun = PLUGINS.lossWeights(run);
    assertThat(fromRun.label()).isEqualTo("test-min-snr");
    assertThat(fromRun.timesteps()).isEqualTo(3);
    assertThat(fromRun.eps(0) + fromRun.eps(1) + fromRun.eps(2)).isCloseTo(3, within(1e-14));
  }
}
