package dev.jdiffusion.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.core.PluginKind;
import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import dev.jdiffusion.spi.weighter.SnrWeighter;
import dev.jdiffusion.spi.weighter.Weighter;
import dev.jdiffusion.spi.weighter.WeighterConfig;
import dev.jdiffusion.spi.weighter.WeighterProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apiguardian.api.API;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The contract of a weighter plugin. Extend it in your plugin's tests:
 *
 * <pre>{@code
 * class SigmoidWeighterTest extends WeighterContractTest<SigmoidWeighter.Config> {
 *   @Override protected SigmoidWeighter provider() { return new SigmoidWeighter(); }
 * }
 * }</pre>
 *
 * <p>Besides the checks of {@link PluginContractTest}, for each of {@link #configs()}:
 * <ul>
 *   <li>the weights are finite and {@code >= 0} at every timestep of every reference schedule (linear,
 *       cosine, scaled-linear at T = 1000, and each rescaled to zero terminal SNR unless
 *       {@link #boundedAtZeroSnr()} says otherwise), on the eps-, x0- and v-MSE, as core computes them;
 *   <li>{@code epsWeight} is the declared-space weight converted exactly:
 *       {@code epsWeight == weight * space.toEpsFactor(logSnr)} to 1e-9 relative wherever both are finite;
 *   <li>the weighter is pure: two weighters from one config, and repeated calls, give identical values.
 * </ul>
 *
 * @param <C> the weighter's config record
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public abstract class WeighterContractTest<C extends WeighterConfig> extends PluginContractTest<C> {
  /** Relative tolerance of the eps-space consistency check. */
  protected static final double RELATIVE_TOLERANCE = 1e-9;

  @Override
  protected abstract WeighterProvider<C> provider();

  @Override
  protected final PluginKind kind() {
    return PluginKind.WEIGHTER;
  }

  /**
   * Whether the eps-space weight stays finite where SNR = 0 (zero terminal SNR). Return false for a
   * weighter that is unbounded there in eps space, like {@code inverse-snr}, {@code truncated-snr} or the
   * variational bound: the framework then refuses that step with a clear error unless the weight is finite
   * in the trained parameterization's own space (an x0-space weight for x0- or v-prediction), and the
   * zero-terminal-SNR schedules are not checked here.
   */
  protected boolean boundedAtZeroSnr() {
    return true;
  }

  /** The schedules the numeric checks run on, by name. */
  protected Map<String, NoiseSchedule> schedules() {
    Map<String, NoiseSchedule> m = new LinkedHashMap<>(ReferenceSchedules.standard());
    if (boundedAtZeroSnr()) {
      m.putAll(ReferenceSchedules.zeroTerminalSnr());
    }
    return m;
  }

  private Weighter weighter(C config) {
    return provider().create(config);
  }

  @TestFactory
  Stream<DynamicTest> weightsAreFiniteAndNonNegativeInEveryLossSpace() {
    List<DynamicTest> tests = new ArrayList<>();
    for (C config : configs()) {
      for (Map.Entry<String, NoiseSchedule> s : schedules().entrySet()) {
        for (LossSpace space : LossSpace.values()) {
          tests.add(DynamicTest.dynamicTest(config + " / " + s.getKey() + " / " + space.id(), () -> {
            NoiseSchedule schedule = s.getValue();
            Weighter w = weighter(config);
            LossWeights weights = LossWeights.compute(
                provider().id(), schedule, w, Optional.empty(), false,
                ReferenceParameterizations.of(space));
            for (int t = 0; t < schedule.timesteps(); t++) {
              assertThat(weights.eps(t)).as("eps-space weight at t = %d", t).isFinite().isNotNegative();
              assertThat(weights.loss(t)).as("%s-space weight at t = %d", space.id(), t)
                  .isFinite().isNotNegative();
              double own = w.weight(schedule, t);
              assertThat(own).as("weight in the declared space %s at t = %d (logSNR = %s)",
                  w.space().id(), t, schedule.logSnr(t)).isNotNaN().isNotNegative();
            }
          }));
        }
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> epsWeightIsTheDeclaredWeightConvertedExactly() {
    List<DynamicTest> tests = new ArrayList<>();
    Map<String, NoiseSchedule> all = new LinkedHashMap<>(ReferenceSchedules.standard());
    all.putAll(ReferenceSchedules.zeroTerminalSnr());
    for (C config : configs()) {
      for (Map.Entry<String, NoiseSchedule> s : all.entrySet()) {
        tests.add(DynamicTest.dynamicTest(config + " / " + s.getKey(), () -> {
          NoiseSchedule schedule = s.getValue();
          Weighter w = weighter(config);
          for (int t = 0; t < schedule.timesteps(); t++) {
            double converted = w.weight(schedule, t) * w.space().toEpsFactor(schedule.logSnr(t));
            double eps = w.epsWeight(schedule, t);
            if (Double.isFinite(converted) && Double.isFinite(eps)) {
              assertThat(eps)
                  .as("epsWeight at t = %d (logSNR = %s) against weight * %s.toEpsFactor",
                      t, schedule.logSnr(t), w.space())
                  .isCloseTo(converted, within(RELATIVE_TOLERANCE * Math.max(Math.abs(eps), Math.abs(converted))));
            }
          }
        }));
      }
    }
    return tests.stream();
  }

  /**
   * For weighters that are functions of log-SNR alone: the same checks on a log-SNR grid from -30 to 30,
   * beyond any real schedule, and at {@code logSnr = -infinity} when bounded there.
   */
  @Test
  void snrWeighterIsStableOnTheWholeLogSnrLine() {
    for (C config : configs()) {
      if (!(weighter(config) instanceof SnrWeighter w)) {
        continue;
      }
      for (int i = -300; i <= 300; i++) {
        double logSnr = i / 10.0;
        double eps = w.epsWeight(logSnr);
        double own = w.weight(logSnr);
        assertThat(eps).as("%s: epsWeight(%s)", config, logSnr).isFinite().isNotNegative();
        assertThat(own).as("%s: weight(%s)", config, logSnr).isFinite().isNotNegative();
        double converted = own * w.space().toEpsFactor(logSnr);
        assertThat(eps).as("%s: epsWeight(%s) against weight * toEpsFactor", config, logSnr)
            .isCloseTo(converted, within(RELATIVE_TOLERANCE * Math.max(eps, converted)));
      }
      if (boundedAtZeroSnr()) {
        assertThat(w.epsWeight(Double.NEGATIVE_INFINITY))
            .as("%s: epsWeight(-infinity); give a closed form if the conversion overflows", config)
            .isFinite().isNotNegative();
      }
    }
  }

  @Test
  void weighterIsPure() {
    for (C config : configs()) {
      for (NoiseSchedule schedule : schedules().values()) {
        Weighter first = weighter(config);
        Weighter second = provider().create(config);
        int n = schedule.timesteps();
        double[] forward = new double[n];
        for (int t = 0; t < n; t++) {
          forward[t] = first.epsWeight(schedule, t);
        }
        for (int t = n - 1; t >= 0; t--) {
          same(first.epsWeight(schedule, t), forward[t], config + ": epsWeight at t = " + t + ", called again");
          same(second.epsWeight(schedule, t), forward[t],
              config + ": epsWeight at t = " + t + " from a second weighter of the same config");
          same(second.weight(schedule, t), first.weight(schedule, t),
              config + ": weight at t = " + t + " from a second weighter of the same config");
          assertThat(second.space()).isEqualTo(first.space());
        }
      }
    }
  }

  /** Identical values, NaN included (purity is about sameness, not finiteness). */
  private static void same(double actual, double expected, String what) {
    if (Double.compare(actual, expected) != 0) {
      throw new AssertionError(what + ": expected " + expected + " but was " + actual);
    }
  }
}
