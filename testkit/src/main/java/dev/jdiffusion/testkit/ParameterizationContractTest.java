package dev.jdiffusion.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.core.PluginKind;
import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import dev.jdiffusion.spi.parameterization.ParameterizationConfig;
import dev.jdiffusion.spi.parameterization.ParameterizationProvider;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apiguardian.api.API;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The contract of a parameterization plugin. Besides the checks of {@link PluginContractTest}, on every
 * reference schedule (and its zero-terminal-SNR rescale, except the step where SNR = 0):
 * <ul>
 *   <li>every coefficient is finite, the target is not zero, and {@code epsFromOutput != 0} (the
 *       framework converts weights by {@code epsFromOutput^2});
 *   <li>the estimates are exact when the output equals the target: with
 *       {@code x_t = sqrt(alphabar) x0 + sigma eps} and {@code output = targetX0 x0 + targetEps eps},
 *       {@code x0FromXt x_t + x0FromOutput output == x0} and {@code epsFromXt x_t + epsFromOutput output == eps}
 *       for several {@code (x0, eps)}, to 1e-9 relative to the size of the terms;
 *   <li>the coefficients are pure.
 * </ul>
 *
 * @param <C> the parameterization's config record
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public abstract class ParameterizationContractTest<C extends ParameterizationConfig>
    extends PluginContractTest<C> {
  private static final double[][] SAMPLES = {{1, 0}, {0, 1}, {0.3, -1.7}, {-2.5, 0.4}};

  @Override
  protected abstract ParameterizationProvider<C> provider();

  @Override
  protected final PluginKind kind() {
    return PluginKind.PARAMETERIZATION;
  }

  private static Map<String, NoiseSchedule> schedules() {
    Map<String, NoiseSchedule> m = new LinkedHashMap<>(ReferenceSchedules.standard());
    m.putAll(ReferenceSchedules.zeroTerminalSnr());
    return m;
  }

  @TestFactory
  Stream<DynamicTest> estimatesAreExactWhenTheOutputEqualsTheTarget() {
    List<DynamicTest> tests = new ArrayList<>();
    for (C config : configs()) {
      for (Map.Entry<String, NoiseSchedule> e : schedules().entrySet()) {
        tests.add(DynamicTest.dynamicTest(config + " / " + e.getKey(), () -> {
          NoiseSchedule s = e.getValue();
          Parameterization p = provider().create(config);
          for (int t = 0; t < s.timesteps(); t++) {
            if (s.logSnr(t) == Double.NEGATIVE_INFINITY) {
              continue;
            }
            Coefficients c = p.coefficients(s, t);
            String at = "t = " + t + " (logSNR = " + s.logSnr(t) + "): " + c;
            assertThat(List.of(c.targetX0(), c.targetEps(), c.x0FromXt(), c.x0FromOutput(),
                    c.epsFromXt(), c.epsFromOutput()))
                .as("coefficients finite at %s", at)
                .allMatch(Double::isFinite);
            assertThat(Math.abs(c.targetX0()) + Math.abs(c.targetEps())).as("target at %s", at).isPositive();
            assertThat(c.epsFromOutput()).as("epsFromOutput at %s", at).isNotZero();
            double a = Math.exp(0.5 * s.logAlphabar(t));
            double sigma = Math.sqrt(s.sigma2(t));
            for (double[] sample : SAMPLES) {
              double x0 = sample[0];
              double eps = sample[1];
              double xt = a * x0 + sigma * eps;
              double out = c.targetX0() * x0 + c.targetEps() * eps;
              double x0Hat = c.x0FromXt() * xt + c.x0FromOutput() * out;
              double epsHat = c.epsFromXt() * xt + c.epsFromOutput() * out;
              double x0Scale = Math.max(1, Math.abs(c.x0FromXt() * xt) + Math.abs(c.x0FromOutput() * out));
              double epsScale = Math.max(1, Math.abs(c.epsFromXt() * xt) + Math.abs(c.epsFromOutput() * out));
              assertThat(x0Hat).as("x0_hat for x0 = %s, eps = %s at %s", x0, eps, at)
                  .isCloseTo(x0, within(1e-9 * x0Scale));
              assertThat(epsHat).as("eps_hat for x0 = %s, eps = %s at %s", x0, eps, at)
                  .isCloseTo(eps, within(1e-9 * epsScale));
            }
          }
        }));
      }
    }
    return tests.stream();
  }

  @Test
  void coefficientsArePure() {
    for (C config : configs()) {
      NoiseSchedule s = ReferenceSchedules.cosine(ReferenceSchedules.TIMESTEPS);
      Parameterization first = provider().create(config);
      Parameterization second = provider().create(config);
      List<Coefficients> forward = new ArrayList<>();
      for (int t = 0; t < s.timesteps(); t++) {
        forward.add(first.coefficients(s, t));
      }
      for (int t = s.timesteps() - 1; t >= 0; t--) {
        assertThat(first.coefficients(s, t)).as("%s at t = %d, again", config, t).isEqualTo(forward.get(t));
        assertThat(second.coefficients(s, t)).as("%s at t = %d, second instance", config, t)
            .isEqualTo(forward.get(t));
      }
    }
  }
}
