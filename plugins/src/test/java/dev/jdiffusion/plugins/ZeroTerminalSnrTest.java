package dev.jdiffusion.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.core.ConfigException;
import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.core.RunConfig;
import dev.jdiffusion.core.WeightException;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.core.ScheduleSpec;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Zero terminal SNR (Lin et al. 2024): where SNR = 0 the loss weight is evaluated in the trained
 * parameterization's own space, so Lin et al.'s recipe (v-prediction, weight 1 on the v-MSE) can be
 * written {@code uniform:space=v}; eps-prediction, whose estimates divide by {@code sqrt(alphabar) = 0}
 * there, is refused when the configuration is read. References are computed here from alphabar alone
 * ({@link IndependentSchedules}, rescaled by Lin et al.'s Algorithm 1 written out below).
 */
class ZeroTerminalSnrTest {

  /** Lin et al. 2024, Algorithm 1, on {@code alphabar}: shift sqrt(alphabar) to end at 0, keep the first. */
  static double[] rescaled(String schedule) {
    double[] a = IndependentSchedules.alphabar(schedule);
    double first = Math.sqrt(a[0]);
    double last = Math.sqrt(a[a.length - 1]);
    double[] out = new double[a.length];
    for (int t = 0; t < a.length; t++) {
      double s = (Math.sqrt(a[t]) - last) * first / (first - last);
      out[t] = s * s;
    }
    out[a.length - 1] = 0;
    return out;
  }

  static NoiseSchedule zero(String schedule) {
    return Fixtures.schedule(schedule + ":zeroTerminalSnr=true");
  }

  @ParameterizedTest
  @ValueSource(strings = {"linear", "cosine", "scaled-linear"})
  void uniformInVSpaceIsOneAtEveryStepOfAVPrediction(String schedule) {
    LossWeights w = Fixtures.weights(zero(schedule), "uniform:space=v", "v");
    for (int t = 0; t < 1000; t++) {
      assertThat(w.loss(t)).as("v-space weight at t = %d", t).isCloseTo(1.0, within(1e-12));
    }
    assertThat(w.loss(999)).isEqualTo(1.0);
    assertThat(w.eps(999)).as("the eps-MSE of a v-prediction is identically 0 at SNR = 0").isInfinite();
    // Weight 1 declared on the x0-MSE instead: w_v = w_x0 / (1 + SNR) = 1 / (1 + SNR), 1 at SNR = 0.
    double[] a = rescaled(schedule);
    LossWeights x0 = Fixtures.weights(zero(schedule), "uniform:space=x0", "v");
    for (int t = 0; t < 1000; t++) {
      double snr = a[t] / (1 - a[t]);
      assertThat(x0.loss(t)).as("t = %d", t).isCloseTo(1 / (1 + snr), within(1e-9 / (1 + snr)));
    }
  }

  static Stream<Arguments> x0SpaceWeighters() {
    DoubleUnaryOperator snr = s -> s;
    DoubleUnaryOperator truncated = s -> Math.max(s, 1);
    DoubleUnaryOperator minSnr = s -> Math.min(s, 5);
    DoubleUnaryOperator softMinSnr = s -> s * 6 / (s + 6);
    return Stream.of("linear", "cosine", "scaled-linear").flatMap(sch -> Stream.of(
        Arguments.of(sch, "snr", snr),
        Arguments.of(sch, "truncated-snr", truncated),
        Arguments.of(sch, "min-snr", minSnr),
        Arguments.of(sch, "soft-min-snr:gamma=6", softMinSnr)));
  }

  /**
   * Every x0-space weighter on a v-prediction: {@code w_v = w_x0 / (1 + SNR)} at every step, the terminal
   * one included (there {@code w_x0(0)}: 1 for truncated-snr, which was refused before, 0 for the others).
   * On an x0-prediction: {@code w_x0} itself.
   */
  @ParameterizedTest(name = "{0} / {1}")
  @MethodSource("x0SpaceWeighters")
  void x0SpaceWeightsReachTheTerminalStep(String schedule, String weighter, DoubleUnaryOperator wx0) {
    double[] a = rescaled(schedule);
    LossWeights v = Fixtures.weights(zero(schedule), weighter, "v");
    LossWeights x0 = Fixtures.weights(zero(schedule), weighter, "x0");
    for (int t = 0; t < 1000; t++) {
      double snr = a[t] / (1 - a[t]);
      double expectedV = wx0.applyAsDouble(snr) / (1 + snr);
      double expectedX0 = wx0.applyAsDouble(snr);
      assertThat(v.loss(t)).as("v, t = %d", t).isFinite().isCloseTo(expectedV, within(1e-9 * expectedV + 1e-300));
      assertThat(x0.loss(t)).as("x0, t = %d", t).isFinite().isCloseTo(expectedX0, within(1e-9 * expectedX0 + 1e-300));
    }
  }

  @Test
  void anEpsSpaceWeightGivesAVPredictionsTerminalStepNoWeight() {
    // eps_hat = sigma x_t + sqrt(alphabar) v_hat = x_t at SNR = 0: the eps-MSE there is 0 whatever the output.
    assertThat(Fixtures.weights(zero("cosine"), "uniform", "v").loss(999)).isZero();
    assertThat(Fixtures.weights(zero("cosine"), "smoothed-kl:lambda=0.2", "v").loss(999)).isZero();
  }

  @Test
  void normalizingAWeightThatIsInfiniteInEpsSpaceIsRefused() {
    assertThatThrownBy(() -> Fixtures.weights(zero("cosine"), "uniform:space=v,normalize=true", "v"))
        .isInstanceOf(WeightException.class)
        .hasMessageContaining("cannot be normalized to mean 1 in eps space")
        .hasMessageContaining("t = 999");
  }

  @Test
  void weightsUnboundedAtZeroSnrAreStillRefused() {
    assertThatThrownBy(() -> Fixtures.weights(zero("cosine"), "inverse-snr", "v"))
        .isInstanceOf(WeightException.class)
        .hasMessageContaining("t = 999 (logSNR = -Infinity, SNR = 0)");
    assertThatThrownBy(() -> Fixtures.weights(zero("cosine"), "uniform:space=v", "eps"))
        .isInstanceOf(WeightException.class)
        .hasMessageContaining("t = 999 (logSNR = -Infinity, SNR = 0)");
  }

  private static final String RUN = """
      schedule: {name: cosine, zeroTerminalSnr: true}
      parameterization: {name: PARAM}
      weighter: {name: uniform, space: v}
      """;

  @Test
  void epsPredictionWithZeroTerminalSnrIsRefusedWhenTheConfigurationIsRead() {
    assertThatThrownBy(() -> Fixtures.READER.readYaml("run.yaml", RUN.replace("PARAM", "eps"), RunConfig.class))
        .isInstanceOf(ConfigException.class)
        .hasMessage("run.yaml: parameterization: 'eps' cannot be used with schedule.zeroTerminalSnr: true (at SNR"
            + " = 0 its x0FromXt = Infinity, x0FromOutput = -Infinity); zero terminal SNR needs v-prediction:"
            + " parameterization: {name: v}")
        .satisfies(e -> assertThat(((ConfigException) e).path()).isEqualTo("parameterization"));
    // Without the rescale, and with v- or x0-prediction, the same file is read.
    assertThat(Fixtures.READER.readYaml("run.yaml",
        RUN.replace("PARAM", "eps").replace(", zeroTerminalSnr: true", ""), RunConfig.class)).isNotNull();
    assertThat(Fixtures.READER.readYaml("run.yaml", RUN.replace("PARAM", "v"), RunConfig.class)
        .schedule().zeroTerminalSnr()).isTrue();
    assertThat(Fixtures.READER.readYaml("run.yaml", RUN.replace("PARAM", "x0"), RunConfig.class)).isNotNull();
  }

  /** A configuration with a list of schedules, like the comparison's: the offending one is named. */
  public record Grid(List<ScheduleSpec> schedules, ParameterizationConfig parameterization) {}

  @Test
  void aListOfSchedulesIsCheckedToo() {
    String text = """
        schedules: [{name: linear}, {name: cosine, zeroTerminalSnr: true}]
        parameterization: {name: eps}
        """;
    assertThatThrownBy(() -> Fixtures.READER.readYaml("compare.yaml", text, Grid.class))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("compare.yaml: parameterization: 'eps' cannot be used with"
            + " schedules[1].zeroTerminalSnr: true");
    assertThat(Fixtures.READER.readYaml("compare.yaml", text.replace("eps", "v"), Grid.class).schedules())
        .hasSize(2);
  }
}
