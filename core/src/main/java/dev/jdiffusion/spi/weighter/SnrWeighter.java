package dev.jdiffusion.spi.weighter;

import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.schedule.NoiseSchedule;
import java.util.Objects;
import java.util.function.DoubleUnaryOperator;
import org.apiguardian.api.API;

/** A weighter that is a pure function of log-SNR. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface SnrWeighter extends Weighter {

  /** The weight in {@link #space()} at log-SNR {@code logSnr} (which may be {@code -infinity}). */
  double weight(double logSnr);

  /** The weight on the eps-MSE; override with a closed form where the default conversion overflows. */
  default double epsWeight(double logSnr) {
    return weight(logSnr) * space().toEpsFactor(logSnr);
  }

  @Override
  default double weight(NoiseSchedule schedule, int t) {
    return weight(schedule.logSnr(t));
  }

  @Override
  default double epsWeight(NoiseSchedule schedule, int t) {
    return epsWeight(schedule.logSnr(t));
  }

  /** A weighter from its formula in {@code space}, converted to eps space by the exact factor. */
  static SnrWeighter of(LossSpace space, DoubleUnaryOperator weight) {
    return of(space, weight, logSnr -> weight.applyAsDouble(logSnr) * space.toEpsFactor(logSnr));
  }

  /**
   * A weighter from its formula in {@code space} and the same weight on the eps-MSE in a closed form
   * that stays finite at both ends of log-SNR.
   */
  static SnrWeighter of(LossSpace space, DoubleUnaryOperator weight, DoubleUnaryOperator epsWeight) {
    Objects.requireNonNull(space, "space");
    Objects.requireNonNull(weight, "weight");
    Objects.requireNonNull(epsWeight, "epsWeight");
    return new SnrWeighter() {
      @Override
      public LossSpace space() {
        return space;
      }

      @Override
      public double weight(double logSnr) {
        return weight.applyAsDouble(logSnr);
      }

      @Override
      public double epsWeight(double logSnr) {
        return epsWeight.applyAsDouble(logSnr);
      }
    };
  }
}
