package dev.jdiffusion.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.spi.schedule.NoiseSchedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ScheduleTest {

  /**
   * Published values. Linear: alphabar_0 = 1 - 1e-4 and alphabar_999 ~ 4.036e-5 (Ho et al. 2020's
   * schedule; diffusers' DDPMScheduler prints the same). Cosine: alphabar_0 = f(1/T)/f(0) ~ 0.99995872
   * (Nichol and Dhariwal 2021). The first t with SNR < 1 is 259 (linear) and 496 (cosine).
   */
  @ParameterizedTest
  @CsvSource({
    "linear, 0.9999,     1e-12, 4.036e-5, 0.001e-5, 259",
    "cosine, 0.99995872, 1e-8,  ,         ,         496",
  })
  void publishedConstants(
      String id, double alphabar0, double tol0, Double alphabarLast, Double tolLast, int firstBelowOne) {
    NoiseSchedule s = Fixtures.schedule(id);
    assertThat(s.timesteps()).isEqualTo(1000);
    assertThat(s.alphabar(0)).isCloseTo(alphabar0, within(tol0));
    if (alphabarLast != null) {
      assertThat(s.alphabar(999)).isCloseTo(alphabarLast, within(tolLast));
    }
    int first = 0;
    while (s.snr(first) >= 1) {
      first++;
    }
    assertThat(first).isEqualTo(firstBelowOne);
  }

  /** The table agrees with a plain running product of the DESIGN.md formulas, to 1e-12 relative. */
  @ParameterizedTest
  @ValueSource(strings = {"linear", "cosine", "scaled-linear"})
  void tableMatchesIndependentFormulas(String id) {
    NoiseSchedule s = Fixtures.schedule(id);
    double[] expected = IndependentSchedules.alphabar(id);
    for (int t = 0; t < 1000; t++) {
      assertThat(s.alphabar(t)).isCloseTo(expected[t], within(1e-12 * expected[t]));
      double snr = expected[t] / (1 - expected[t]);
      assertThat(s.snr(t)).isCloseTo(snr, within(1e-9 * snr));
      assertThat(s.sigma2(t)).isCloseTo(1 - expected[t], within(1e-12));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"linear", "cosine", "scaled-linear"})
  void zeroTerminalSnrKeepsTheFirstStepAndEndsAtZero(String id) {
    NoiseSchedule plain = Fixtures.schedule(id);
    NoiseSchedule zero = Fixtures.schedule(id + ":zeroTerminalSnr=true");
    assertThat(zero.alphabar(0)).isCloseTo(plain.alphabar(0), within(1e-12));
    assertThat(zero.alphabar(999)).isZero();
    assertThat(zero.logSnr(999)).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(zero.sigma2(999)).isEqualTo(1.0);
    for (int t = 1; t < 1000; t++) {
      assertThat(zero.logSnr(t)).isLessThan(zero.logSnr(t - 1));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 10, 4000})
  void anyNumberOfTimesteps(int n) {
    for (String id : Fixtures.SCHEDULES) {
      NoiseSchedule s = Fixtures.schedule(id + ":timesteps=" + n);
      assertThat(s.timesteps()).isEqualTo(n);
      double[] expected = IndependentSchedules.alphabar(IndependentSchedules.betas(id, n));
      assertThat(s.alphabar(n - 1)).isCloseTo(expected[n - 1], within(1e-12 + 1e-9 * expected[n - 1]));
    }
  }

  /** A schedule whose alphabar underflows before its last step cannot be rescaled; the error says why. */
  @org.junit.jupiter.api.Test
  void rescalingAnUnderflowingScheduleIsRefusedClearly() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Fixtures.schedule("linear:betaEnd=1,zeroTerminalSnr=true"))
        .isInstanceOf(dev.jdiffusion.core.PluginException.class)
        .hasMessageStartingWith("schedule 'linear' cannot be rescaled to zero terminal SNR (zeroTerminalSnr: true):"
            + " its alphabar reaches 0 in double precision before the last timestep (alphabar[");
  }
}
