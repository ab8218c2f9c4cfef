package dev.jdiffusion.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.core.PluginKind;
import dev.jdiffusion.core.ScheduleSpec;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.spi.schedule.ScheduleConfig;
import dev.jdiffusion.spi.schedule.ScheduleProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apiguardian.api.API;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The contract of a schedule plugin. Besides the checks of {@link PluginContractTest}, for each of
 * {@link #configs()} and each of {@link #timesteps()}:
 * <ul>
 *   <li>{@code betas(T)} has length T, every beta in {@code (0, 1]}, and makes a valid
 *       {@link NoiseSchedule}: alphabar strictly decreasing, log-SNR finite at {@code t = 0};
 *   <li>the schedule is pure and hands out a fresh array each time;
 *   <li>through the framework ({@code {name: <id>, zeroTerminalSnr: true}}), the rescale to zero terminal
 *       SNR keeps the first timestep and ends at {@code logSNR = -infinity}.
 * </ul>
 *
 * @param <C> the schedule's config record
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public abstract class ScheduleContractTest<C extends ScheduleConfig> extends PluginContractTest<C> {

  @Override
  protected abstract ScheduleProvider<C> provider();

  @Override
  protected final PluginKind kind() {
    return PluginKind.SCHEDULE;
  }

  /** The numbers of timesteps T to check; the framework allows any T >= 2. */
  protected List<Integer> timesteps() {
    return List.of(2, 10, 1000);
  }

  @TestFactory
  Stream<DynamicTest> betasMakeAValidSchedule() {
    List<DynamicTest> tests = new ArrayList<>();
    for (C config : configs()) {
      for (int n : timesteps()) {
        tests.add(DynamicTest.dynamicTest(config + " / T = " + n, () -> {
          double[] betas = provider().create(config).betas(n);
          assertThat(betas).as("betas(%d)", n).hasSize(n);
          for (int t = 0; t < n; t++) {
            assertThat(betas[t]).as("beta[%d] of T = %d", t, n).isGreaterThan(0).isLessThanOrEqualTo(1);
          }
          NoiseSchedule[] table = new NoiseSchedule[1];
          assertThatCode(() -> table[0] = NoiseSchedule.fromBetas(betas)).doesNotThrowAnyException();
          NoiseSchedule s = table[0];
          assertThat(s.logSnr(0)).as("logSNR at t = 0").isFinite();
          for (int t = 1; t < n; t++) {
            assertThat(s.logAlphabar(t)).as("log alphabar at t = %d", t).isLessThan(s.logAlphabar(t - 1));
          }
        }));
      }
    }
    return tests.stream();
  }

  @Test
  void scheduleIsPureAndReturnsAFreshArray() {
    for (C config : configs()) {
      for (int n : timesteps()) {
        double[] first = provider().create(config).betas(n);
        double[] expected = first.clone();
        first[0] = Double.NaN;
        assertThat(provider().create(config).betas(n)).as("%s: betas(%d) again", config, n)
            .containsExactly(expected);
        var schedule = provider().create(config);
        schedule.betas(n);
        assertThat(schedule.betas(n)).as("%s: a second call on one schedule", config).containsExactly(expected);
      }
    }
  }

  @Test
  void zeroTerminalSnrRescaleAppliesThroughTheFramework() {
    for (C config : configs()) {
      NoiseSchedule plain = plugins().schedule(new ScheduleSpec(config, ReferenceSchedules.TIMESTEPS, false));
      NoiseSchedule zero = plugins().schedule(new ScheduleSpec(config, ReferenceSchedules.TIMESTEPS, true));
      int last = zero.timesteps() - 1;
      assertThat(zero.logSnr(last)).as("%s: logSNR at the last step, zeroTerminalSnr", config)
          .isEqualTo(Double.NEGATIVE_INFINITY);
      assertThat(zero.alphabar(0)).as("%s: alphabar at t = 0 is kept", config)
          .isCloseTo(plain.alphabar(0), within(1e-12));
    }
  }
}
