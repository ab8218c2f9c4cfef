package dev.jdiffusion.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jdiffusion.core.LossWeights;
import dev.jdiffusion.core.PluginKind;
import dev.jdiffusion.core.WeightException;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every weighter on every schedule (also rescaled to zero terminal SNR) and parameterization. */
class FiniteWeightsTest {
  /** The weighters whose weight is unbounded as SNR goes to 0: refused there, never clamped. */
  private static final Set<String> UNBOUNDED_AT_ZERO_SNR = Set.of("inverse-snr", "vlb");

  /**
   * Bounded in their own (x0) space but not on the eps-MSE: refused at SNR = 0 for eps-prediction only
   * (x0- and v-prediction are weighted in their own space there).
   */
  private static final Set<String> UNBOUNDED_IN_EPS_SPACE_AT_ZERO_SNR = Set.of("truncated-snr");

  static Stream<Arguments> everyCombination() {
    List<String> weighters =
        Fixtures.PLUGINS.registry().list(PluginKind.WEIGHTER).stream()
            .map(e -> e.id())
            .map(id -> switch (id) {
              case "smoothed-kl" -> "smoothed-kl:lambda=0.2";
              case "soft-min-snr" -> "soft-min-snr:gamma=6";
              default -> id;
            })
            .toList();
    return Fixtures.SCHEDULES.stream()
        .flatMap(s -> Stream.of(s, s + ":zeroTerminalSnr=true"))
        .flatMap(s -> weighters.stream().flatMap(w -> Fixtures.PARAMETERIZATIONS.stream()
            .map(p -> Arguments.of(s, w, p))));
  }

  @ParameterizedTest(name = "{0} / {1} / {2}")
  @MethodSource("everyCombination")
  void finiteAndNonNegativeEverywhere(String schedule, String weighter, String param) {
    NoiseSchedule s = Fixtures.schedule(schedule);
    String id = weighter.contains(":") ? weighter.substring(0, weighter.indexOf(':')) : weighter;
    boolean zero = schedule.contains("zeroTerminalSnr");
    if (zero && (UNBOUNDED_AT_ZERO_SNR.contains(id)
        || param.equals("eps") && UNBOUNDED_IN_EPS_SPACE_AT_ZERO_SNR.contains(id))) {
      assertThatThrownBy(() -> Fixtures.weights(s, weighter, param))
          .isInstanceOf(WeightException.class)
          .hasMessageContaining("t = 999")
          .hasMessageContaining("logSNR = -Infinity");
      return;
    }
    LossWeights w = Fixtures.weights(s, weighter, param);
    for (int t = 0; t < s.timesteps(); t++) {
      assertThat(w.loss(t)).isFinite().isGreaterThanOrEqualTo(0);
      if (Double.isInfinite(w.eps(t))) {
        // Weighted in the trained space where SNR = 0: only there, and never for eps-prediction.
        assertThat(zero && t == s.timesteps() - 1 && !param.equals("eps")).as("infinite eps weight at t = %d", t)
            .isTrue();
      } else {
        assertThat(w.eps(t)).isFinite().isGreaterThanOrEqualTo(0);
      }
    }
  }

  /** At zero SNR the closed forms give the limits: min-snr -> 1, soft-min-snr -> 1, smoothed-kl -> 1/(1+lambda). */
  @org.junit.jupiter.api.Test
  void limitsAtZeroTerminalSnr() {
    NoiseSchedule s = Fixtures.schedule("cosine:zeroTerminalSnr=true");
    assertThat(Fixtures.weights(s, "min-snr", "eps").eps(999)).isEqualTo(1.0);
    assertThat(Fixtures.weights(s, "soft-min-snr:gamma=6", "eps").eps(999)).isEqualTo(1.0);
    assertThat(Fixtures.weights(s, "smoothed-kl:lambda=0.25", "eps").eps(999)).isEqualTo(0.8);
    assertThat(Fixtures.weights(s, "snr", "eps").eps(999)).isEqualTo(1.0);
    assertThat(Fixtures.weights(s, "min-snr", "x0").loss(999)).isZero();
    assertThat(Fixtures.weights(s, "min-snr", "v").loss(999)).isZero();
  }

  /** The identity holds for any lambda and any log-SNR, including far beyond real schedules. */
  @Property(tries = 2000)
  void smoothedKlOverSoftMinSnrIsConstant(
      @ForAll @DoubleRange(min = -9, max = 9) double logLambda,
      @ForAll @DoubleRange(min = -60, max = 60) double logSnr) {
    double lambda = Math.exp(logLambda);
    double gammaPrime = (1 + lambda) / lambda;
    var kl = Fixtures.PLUGINS.weighter(Fixtures.weighter("smoothed-kl:lambda=" + lambda).config());
    var soft = Fixtures.PLUGINS.weighter(Fixtures.weighter("soft-min-snr:gamma=" + gammaPrime).config());
    double klW = ((dev.jdiffusion.spi.weighter.SnrWeighter) kl).epsWeight(logSnr);
    double softW = ((dev.jdiffusion.spi.weighter.SnrWeighter) soft).epsWeight(logSnr);
    assertThat(klW).isFinite().isPositive();
    assertThat(klW / softW).isCloseTo(1 / (1 + lambda), org.assertj.core.api.Assertions.within(1e-12 / (1 + lambda)));
  }
}
