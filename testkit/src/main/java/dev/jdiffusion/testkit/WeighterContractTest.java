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
 *   <li>the weights the source paper gives, stated by the plugin's test in {@link #referenceWeights()},
 *       hold (at least {@value #MIN_REFERENCE_WEIGHTS});
 *   <li>every weighter stays finite, {@code >= 0} and exactly converted on schedules that run from
 *       log-SNR 30 to -30 in coarse and fine steps, and a weighter of log-SNR alone on the whole line;
 *   <li>the weighter is pure: two weighters from one config, and repeated calls, give identical values.
 * </ul>
 *
 * @param <C> the weighter's config record
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public abstract class WeighterContractTest<C extends WeighterConfig> extends PluginContractTest<C> {
  /** Relative tolerance of the eps-space consistency check. */
  protected static final double RELATIVE_TOLERANCE = 1e-9;
  /** The fewest reference weights (see {@link #referenceWeights()}) a weighter's test must state. */
  protected static final int MIN_REFERENCE_WEIGHTS = 3;

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
   * The weights the source paper gives, which the contract checks (see {@link ReferenceWeight}): state at
   * least {@value #MIN_REFERENCE_WEIGHTS}, spread over the log-SNR range and over your configs, e.g. for
   * Min-SNR-gamma (Hang et al. 2023, {@code min(SNR, gamma)} on the x0-MSE):
   *
   * <pre>{@code
   * @Override
   * protected List<ReferenceWeight<MinSnrWeighter.Config>> referenceWeights() {
   *   var gamma5 = new MinSnrWeighter.Config(5);
   *   return List.of(
   *       ReferenceWeight.atLogSnr(gamma5, Math.log(10), 5, "min(10, 5)"),
   *       ReferenceWeight.atLogSnr(gamma5, 0, 1, "min(1, 5)"),
   *       ReferenceWeight.atLogSnr(gamma5, Math.log(0.25), 0.25, "min(0.25, 5)"));
   * }
   * }</pre>
   *
   * Without them the contract would pass any pure, finite, non-negative function; the default (none)
   * fails {@code referenceWeightsFromTheSourceHold}.
   */
  protected List<ReferenceWeight<C>> referenceWeights() {
    return List.of();
  }

  @TestFactory
  Stream<DynamicTest> referenceWeightsFromTheSourceHold() {
    List<ReferenceWeight<C>> references = referenceWeights();
    List<DynamicTest> tests = new ArrayList<>();
    tests.add(DynamicTest.dynamicTest("at least " + MIN_REFERENCE_WEIGHTS + " reference weights", () ->
        assertThat(references)
            .as("%s: state at least %d weights from the source paper in referenceWeights() (ReferenceWeight"
                + ".atLogSnr or .atTimestep); without them the contract cannot tell your formula from any other"
                + " pure, finite, non-negative function", provider().id(), MIN_REFERENCE_WEIGHTS)
            .hasSizeGreaterThanOrEqualTo(MIN_REFERENCE_WEIGHTS)));
    Map<String, NoiseSchedule> named = new LinkedHashMap<>(ReferenceSchedules.standard());
    named.putAll(ReferenceSchedules.zeroTerminalSnr());
    for (ReferenceWeight<C> r : references) {
      tests.add(DynamicTest.dynamicTest(r.toString(), () -> {
        Weighter w = weighter(r.config());
        double actual;
        if (r.logSnr().isPresent()) {
          if (!(w instanceof SnrWeighter snr)) {
            throw new AssertionError(r + ": " + provider().id() + " is not a function of log-SNR alone (not an"
                + " SnrWeighter); state its reference weights at timesteps (ReferenceWeight.atTimestep)");
          }
          actual = snr.weight(r.logSnr().getAsDouble());
        } else {
          NoiseSchedule schedule = named.get(r.schedule());
          if (schedule == null) {
            throw new AssertionError(r + ": no reference schedule named '" + r.schedule() + "'; known: "
                + named.keySet());
          }
          actual = w.weight(schedule, r.timestep().getAsInt());
        }
        assertThat(actual).as("%s: weight in the declared space %s", r, w.space().id())
            .isCloseTo(r.weight(), within(r.relativeTolerance() * r.weight()));
      }));
    }
    return tests.stream();
  }

  /**
   * Every weighter, far beyond any real schedule: on schedules whose log-SNR runs from 30 to -30 in steps
   * of 60, 1, 0.1 and 0.01 (and, when bounded there, one more step to SNR = 0), the weights are finite,
   * {@code >= 0} and converted exactly; for a weighter of log-SNR alone ({@link SnrWeighter}) also on a
   * log-SNR grid from -30 to 30 and at {@code logSnr = -infinity} when bounded there.
   */
  @TestFactory
  Stream<DynamicTest> weighterIsStableOnTheWholeLogSnrLine() {
    List<DynamicTest> tests = new ArrayList<>();
    for (C config : configs()) {
      for (double step : new double[] {60, 1, 0.1, 0.01}) {
        for (boolean zero : boundedAtZeroSnr() ? new boolean[] {false, true} : new boolean[] {false}) {
          String name = config + " / logSNR 30 to -30 in steps of " + step + (zero ? ", then SNR = 0" : "");
          tests.add(DynamicTest.dynamicTest(name, () -> {
            NoiseSchedule schedule = ReferenceSchedules.fromLogSnr(ramp(step, zero));
            Weighter w = weighter(config);
            for (int t = 0; t < schedule.timesteps(); t++) {
              double logSnr = schedule.logSnr(t);
              double own = w.weight(schedule, t);
              double eps = w.epsWeight(schedule, t);
              assertThat(own).as("%s: weight at t = %d (logSNR = %s)", name, t, logSnr).isNotNaN().isNotNegative();
              assertThat(eps).as("%s: epsWeight at t = %d (logSNR = %s)", name, t, logSnr).isFinite().isNotNegative();
              double converted = own * w.space().toEpsFactor(logSnr);
              if (Double.isFinite(converted)) {
                assertThat(eps).as("%s: epsWeight at t = %d (logSNR = %s) against weight * toEpsFactor", name, t,
                    logSnr).isCloseTo(converted, within(RELATIVE_TOLERANCE * Math.max(eps, converted)));
              }
            }
          }));
        }
      }
      if (weighter(config) instanceof SnrWeighter) {
        tests.add(DynamicTest.dynamicTest(config + " / log-SNR grid -30 .. 30", () -> {
          SnrWeighter w = (SnrWeighter) weighter(config);
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
        }));
      }
    }
    return tests.stream();
  }

  /** Log-SNR from 30 down to -30 in steps of {@code step}, then -infinity if {@code zero}. */
  private static double[] ramp(double step, boolean zero) {
    int n = (int) Math.round(60 / step) + 1;
    double[] logSnr = new double[n + (zero ? 1 : 0)];
    for (int i = 0; i < n; i++) {
      logSnr[i] = 30 - 60.0 * i / (n - 1);
    }
    if (zero) {
      logSnr[n] = Double.NEGATIVE_INFINITY;
    }
    return logSnr;
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
