package dev.jdiffusion.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.testkit.ReferenceParameterizations;
import dev.jdiffusion.testkit.ReferenceSchedules;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The testkit's reference tables, which third-party plugins are tested on, are the built-in plugins'
 * tables as a user gets them: schedules to 1e-12 relative in alphabar (also rescaled to zero terminal SNR
 * by core), parameterization coefficients to 1e-12 relative.
 */
class ReferenceAgreementTest {

  @ParameterizedTest
  @ValueSource(strings = {"linear", "cosine", "scaled-linear"})
  void referenceSchedulesAreTheBuiltIns(String id) {
    Map<String, NoiseSchedule> standard = ReferenceSchedules.standard();
    assertSameTable(Fixtures.schedule(id), standard.get(id));
    assertSameTable(Fixtures.schedule(id + ":zeroTerminalSnr=true"),
        ReferenceSchedules.zeroTerminalSnr().get(id + "+zeroTerminalSnr"));
  }

  private static void assertSameTable(NoiseSchedule builtIn, NoiseSchedule reference) {
    assertThat(reference.timesteps()).isEqualTo(builtIn.timesteps());
    for (int t = 0; t < builtIn.timesteps(); t++) {
      double a = builtIn.alphabar(t);
      assertThat(reference.alphabar(t)).as("alphabar at t = %d", t).isCloseTo(a, within(1e-12 * a));
    }
  }

  @ParameterizedTest
  @EnumSource(LossSpace.class)
  void referenceParameterizationsAreTheBuiltIns(LossSpace space) {
    Parameterization builtIn = Fixtures.PLUGINS.parameterization(Fixtures.parameterization(space.id()));
    Parameterization reference = ReferenceParameterizations.of(space);
    NoiseSchedule s = ReferenceSchedules.cosine(1000);
    for (int t = 0; t < s.timesteps(); t++) {
      Coefficients b = builtIn.coefficients(s, t);
      Coefficients r = reference.coefficients(s, t);
      double[] bs = {b.targetX0(), b.targetEps(), b.x0FromXt(), b.x0FromOutput(), b.epsFromXt(), b.epsFromOutput()};
      double[] rs = {r.targetX0(), r.targetEps(), r.x0FromXt(), r.x0FromOutput(), r.epsFromXt(), r.epsFromOutput()};
      for (int i = 0; i < bs.length; i++) {
        assertThat(rs[i]).as("%s coefficient %d at t = %d", space, i, t).isCloseTo(bs[i], within(1e-12 * Math.abs(bs[i])));
      }
    }
  }
}
