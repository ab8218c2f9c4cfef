package dev.jdiffusion.testkit;

import dev.jdiffusion.spi.LossSpace;
import dev.jdiffusion.spi.parameterization.Coefficients;
import dev.jdiffusion.spi.parameterization.Parameterization;
import org.apiguardian.api.API;

/**
 * The three standard parameterizations as coefficients, from {@code x_t = sqrt(alphabar) x0 + sigma eps}:
 * eps-prediction (Ho et al. 2020), x0-prediction, and v-prediction with
 * {@code v = sqrt(alphabar) eps - sigma x0} (Salimans and Ho 2022). The loss space of each is the
 * {@link LossSpace} of the same name, so a weighter's weights can be checked in every space without the
 * built-in plugins.
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class ReferenceParameterizations {
  private ReferenceParameterizations() {}

  /** The parameterization whose network output lives in {@code space}. */
  public static Parameterization of(LossSpace space) {
    return switch (space) {
      case EPS -> (schedule, t) -> {
        double a = Math.exp(0.5 * schedule.logAlphabar(t));
        double sigma = Math.sqrt(schedule.sigma2(t));
        return new Coefficients(0, 1, 1 / a, -sigma / a, 0, 1);
      };
      case X0 -> (schedule, t) -> {
        double a = Math.exp(0.5 * schedule.logAlphabar(t));
        double sigma = Math.sqrt(schedule.sigma2(t));
        return new Coefficients(1, 0, 0, 1, 1 / sigma, -a / sigma);
      };
      case V -> (schedule, t) -> {
        double a = Math.exp(0.5 * schedule.logAlphabar(t));
        double sigma = Math.sqrt(schedule.sigma2(t));
        return new Coefficients(-sigma, a, a, -sigma, sigma, a);
      };
    };
  }
}
